// Claude Code's `headersHelper`: a shell command the host runs at each connection to a remote
// server. It is part of the launch (a pull request that adds or changes it is a changed launch,
// refused before anything runs), and mcpm runs it as the host does when it connects, in install,
// verify and run alike, its output being credentials that go nowhere else.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { runFromHost, TestHost } from '../helpers/test-host.js';
import { defs, mcpm, SERVERS, tempProject, tool } from './helpers.js';

const TOKEN = 'hh-4f9b2c81e7d0a3';

/** A project whose server `notes` is the HTTP fixture, which answers only `Authorization: Bearer TOKEN`; its helper prints that header. */
async function remoteProject(): Promise<{ dir: string; url: string }> {
  const dir = tempProject();
  const defsFile = join(dir, 'defs.json');
  writeFileSync(defsFile, JSON.stringify(defs([tool('add', 'Adds.')])));
  const server = TestHost.spawn(process.execPath, [join(SERVERS, 'http-static.mjs')], { env: { FIXTURE_DEFS: defsFile, FIXTURE_HTTP_TOKEN: TOKEN } });
  onTestFinished(async () => {
    await server.close();
  });
  const ready = await server.waitFor((m) => String(m['unparsable']).startsWith('PORT '), 'PORT');
  const url = `http://127.0.0.1:${String(ready['unparsable']).slice('PORT '.length)}/mcp`;
  writeFileSync(join(dir, 'helper.mjs'), `process.stdout.write(JSON.stringify({ Authorization: 'Bearer ${TOKEN}' }));\n`);
  writeConfig(dir, { type: 'http', url, headersHelper: `"${process.execPath}" helper.mjs` });
  return { dir, url };
}

function writeConfig(dir: string, server: Record<string, unknown>): void {
  writeFileSync(join(dir, '.mcp.json'), JSON.stringify({ mcpServers: { notes: server } }, null, 2));
}

describe('headersHelper', () => {
  it('is run when mcpm connects, its headers sent; the command is locked, what it printed is not', async () => {
    const { dir } = await remoteProject();
    const installed = await mcpm(['install', '-C', dir]);
    expect(installed.status, installed.stdout + installed.stderr).toBe(0);
    const lock = readFileSync(join(dir, 'mcp.lock'), 'utf8');
    expect((JSON.parse(lock) as { servers: { notes: { launch: Record<string, unknown> } } }).servers.notes.launch['headersHelper']).toBe(`"${process.execPath}" helper.mjs`);
    expect(lock).not.toContain(TOKEN);
    const verified = await mcpm(['verify', '-C', dir]);
    expect(verified.status, verified.stdout + verified.stderr).toBe(0);
  });

  it('a change that points it at another command is refused everywhere, and that command never runs', async () => {
    const { dir, url } = await remoteProject();
    expect((await mcpm(['install', '-C', dir])).status).toBe(0);
    const ran = join(dir, 'ran');
    writeFileSync(join(dir, 'evil.mjs'), `import { writeFileSync } from 'node:fs';\nwriteFileSync(${JSON.stringify(ran)}, '');\nprocess.stdout.write('{}');\n`);
    writeConfig(dir, { type: 'http', url, headersHelper: `"${process.execPath}" evil.mjs` });
    for (const args of [['verify', '--offline'], ['verify'], ['install', '--frozen']]) {
      const result = await mcpm([...args, '-C', dir]);
      expect(result.status, `${args.join(' ')}: ${result.stdout}${result.stderr}`).toBe(1);
    }
    const diff = await mcpm(['diff', '-C', dir, 'notes']);
    expect(diff.stdout).toContain('differ:     the headers helpers');
    const host = runFromHost(dir, 'notes');
    const answer = await host.request('initialize', { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 't', version: '1' } });
    expect(JSON.stringify(answer)).toContain('the headers helpers');
    expect(existsSync(ran)).toBe(false);
  });

  it('reaches the server through mcpm run with the headers it prints', async () => {
    const { dir } = await remoteProject();
    expect((await mcpm(['install', '-C', dir])).status).toBe(0);
    const host = runFromHost(dir, 'notes');
    await host.initialize();
    const listed = await host.request('tools/list');
    expect((listed['result'] as { tools: { name: string }[] }).tools.map((t) => t.name)).toEqual(['add']);
  });

  it('that fails or prints something else fails that server with what went wrong, never with what it printed', async () => {
    const { dir, url } = await remoteProject();
    for (const [script, problem] of [
      ['process.exit(3)', 'exited with status 3'],
      [`process.stdout.write('Bearer ${TOKEN}')`, 'did not print a JSON object'],
      [`process.stdout.write(JSON.stringify({ 'Bad Header': '${TOKEN}' }))`, 'printed "Bad Header", which is not a valid HTTP header name'],
    ] as const) {
      writeFileSync(join(dir, 'helper.mjs'), `${script};\n`);
      writeConfig(dir, { type: 'http', url, headersHelper: `"${process.execPath}" helper.mjs` });
      const result = await mcpm(['install', '-C', dir, '--json']);
      expect(result.status).toBe(3);
      const out = JSON.parse(result.stdout) as { servers: { error: { code: string; message: string } }[] };
      expect(out.servers[0]!.error).toMatchObject({ code: 'CONFIG_INVALID', message: `.mcp.json: server "notes": "headersHelper" ${problem}` });
      expect(result.stdout + result.stderr).not.toContain(TOKEN);
    }
  });
});
