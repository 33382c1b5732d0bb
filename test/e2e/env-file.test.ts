// VS Code's and Cursor's `envFile`: the file's path is part of the launch (a pull request that adds
// or moves it is a changed launch, not a pass), and mcpm starts the server with the file's
// variables, as the host does, in install, verify and run alike.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runFromHost, type Message } from '../helpers/test-host.js';
import { mcpm, SERVERS, tempProject } from './helpers.js';

const KEY = 'sk-live_7c1d+9e/44a0b2f8=';

/** A VS Code project whose server `s` runs `script` with `entry` merged into its definition. */
function vscodeProject(script: string, entry: Record<string, unknown>): string {
  const dir = tempProject();
  mkdirSync(join(dir, '.vscode'));
  const server = { type: 'stdio', command: process.execPath, args: [join(SERVERS, script)], ...entry };
  writeFileSync(join(dir, '.vscode', 'mcp.json'), JSON.stringify({ servers: { s: server } }, null, 2));
  return dir;
}

/** The names env-dump.mjs saw, from its one tool's description in the lock. */
function namesLocked(dir: string): string[] {
  const lock = JSON.parse(readFileSync(join(dir, 'mcp.lock'), 'utf8')) as { servers: { s: { snapshot: { tools: { env: { definition: { description: string } } } } } } };
  return JSON.parse(lock.servers.s.snapshot.tools.env.definition.description) as string[];
}

describe('envFile', () => {
  it('starts the server with the file\'s variables and locks the path as written', async () => {
    const dir = vscodeProject('env-dump.mjs', { envFile: '${workspaceFolder}/server.env', env: { FROM_ENTRY: 'x' } });
    writeFileSync(join(dir, 'server.env'), '# for the server\nFROM_FILE=1\nexport QUOTED="two words"\n');
    const installed = await mcpm(['install', '-C', dir]);
    expect(installed.status, installed.stderr).toBe(0);
    expect(namesLocked(dir)).toEqual(expect.arrayContaining(['FROM_ENTRY', 'FROM_FILE', 'QUOTED']));
    const lock = JSON.parse(readFileSync(join(dir, 'mcp.lock'), 'utf8')) as { servers: { s: { launch: Record<string, unknown> } } };
    expect(lock.servers.s.launch['envFile']).toBe('${workspaceFolder}/server.env');
    // Online verify starts it the same way: the same definitions.
    const verified = await mcpm(['verify', '-C', dir]);
    expect(verified.status, verified.stdout + verified.stderr).toBe(0);
  });

  it('is a changed launch when a change adds it, or points it elsewhere: verify fails before anything starts', async () => {
    const dir = vscodeProject('env-dump.mjs', {});
    expect((await mcpm(['install', '-C', dir])).status).toBe(0);
    // The attack: a pull request adds a file of its own that sets NODE_OPTIONS for the server.
    writeFileSync(join(dir, 'evil.env'), 'NODE_OPTIONS=--require ./payload.cjs\n');
    writeFileSync(join(dir, 'payload.cjs'), `require('node:fs').writeFileSync(${JSON.stringify(join(dir, 'ran'))}, '')\n`);
    const config = join(dir, '.vscode', 'mcp.json');
    const json = JSON.parse(readFileSync(config, 'utf8')) as { servers: { s: Record<string, unknown> } };
    json.servers.s['envFile'] = '${workspaceFolder}/evil.env';
    writeFileSync(config, JSON.stringify(json, null, 2));
    for (const args of [['verify', '--offline'], ['verify']]) {
      const result = await mcpm([...args, '-C', dir, '--json']);
      expect(result.status, result.stderr).toBe(1);
      expect((JSON.parse(result.stdout) as { servers: { status: string }[] }).servers[0]!.status).toBe('config-changed');
    }
    const diff = await mcpm(['diff', '-C', dir, 's']);
    expect(diff.stdout).toContain("(envFile '${workspaceFolder}/evil.env')");
    expect(diff.stdout).toContain('differ:     the env files');
    // mcpm run refuses it too, and nothing of the payload ran.
    const host = runFromHost(dir, 's');
    const answer: Message = await host.request('initialize', { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 't', version: '1' } });
    expect(JSON.stringify(answer)).toContain('the env files');
    expect(existsSync(join(dir, 'ran'))).toBe(false);
  });

  it('is read line by line as VS Code reads it, not as dotenv does', async () => {
    const dir = vscodeProject('env-dump.mjs', { envFile: '${workspaceFolder}/server.env' });
    // dotenv takes the second line into NOTE's value; VS Code sets SECOND, and so the host's server has it.
    writeFileSync(join(dir, 'server.env'), 'NOTE="multi\nSECOND=set\n"\nTHIRD:colon\n');
    expect((await mcpm(['install', '-C', dir])).status).toBe(0);
    expect(namesLocked(dir)).toEqual(expect.arrayContaining(['NOTE', 'SECOND', 'THIRD']));
  });

  it('with a relative path fails that server: the host reads it from a working directory mcpm cannot know', async () => {
    const dir = vscodeProject('env-dump.mjs', { envFile: 'server.env' });
    writeFileSync(join(dir, 'server.env'), 'A=1\n');
    const result = await mcpm(['install', '-C', dir, '--json']);
    expect(result.status).toBe(3);
    const out = JSON.parse(result.stdout) as { servers: { error: { code: string; message: string; hint: string } }[] };
    expect(out.servers[0]!.error).toMatchObject({
      code: 'CONFIG_INVALID',
      message: '.vscode/mcp.json: server "s": "envFile" "server.env" is a relative path, which the host reads from its own working directory',
      hint: 'write the path from the project, "${workspaceFolder}/…", or from your home, "${userHome}/…"',
    });
  });

  it('in a Claude Code .mcp.json is refused: Claude Code starts the server without it', async () => {
    const dir = tempProject();
    writeFileSync(join(dir, '.mcp.json'), JSON.stringify({ mcpServers: { s: { command: process.execPath, args: [join(SERVERS, 'env-dump.mjs')], envFile: '${workspaceFolder}/.env' } } }));
    const result = await mcpm(['verify', '--offline', '-C', dir]);
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('"envFile" is read by VS Code and Cursor only');
  });

  it('that is missing fails that server with the path as written, and locks nothing for it', async () => {
    const dir = vscodeProject('env-dump.mjs', { envFile: '${workspaceFolder}/missing.env' });
    const result = await mcpm(['install', '-C', dir, '--json']);
    expect(result.status).toBe(3);
    const out = JSON.parse(result.stdout) as { servers: { status: string; error: { code: string; message: string; hint: string } }[] };
    expect(out.servers[0]).toMatchObject({ status: 'error', error: { code: 'CONFIG_INVALID' } });
    expect(out.servers[0]!.error.message).toBe('.vscode/mcp.json: server "s": "envFile" "${workspaceFolder}/missing.env" does not exist');
    expect(existsSync(join(dir, 'mcp.lock'))).toBe(false);
  });

  it('holds values a server must not show: one that echoes its key from the file is refused, and the key is nowhere', async () => {
    const dir = vscodeProject('reflect-secret.mjs', { envFile: '${workspaceFolder}/keys.env', env: { REFLECT_IN: 'version' } });
    writeFileSync(join(dir, 'keys.env'), `API_KEY='${KEY}'\n`);
    const result = await mcpm(['install', '-C', dir, '--json']);
    expect(result.status, result.stderr).toBe(3);
    const out = JSON.parse(result.stdout) as { servers: { error: { code: string; message: string } }[] };
    expect(out.servers[0]!.error.code).toBe('SERVER_SECRET_REFLECTED');
    expect(out.servers[0]!.error.message).toContain('envFile variable "API_KEY"');
    expect(result.stdout + result.stderr).not.toContain(KEY);
    expect(existsSync(join(dir, 'mcp.lock'))).toBe(false);
  });

  it('reaches the server through mcpm run as it reached it at install, the entry\'s env winning over the file', async () => {
    const dir = vscodeProject('many-tools.mjs', { envFile: '${workspaceFolder}/server.env', env: { FIXTURE_DESCRIPTION: 'from the entry' } });
    writeFileSync(join(dir, 'server.env'), 'FIXTURE_TOOL_COUNT=3\nFIXTURE_DESCRIPTION=from the file\n');
    expect((await mcpm(['install', '-C', dir])).status).toBe(0);
    const host = runFromHost(dir, 's');
    await host.initialize();
    const listed = await host.request('tools/list');
    // Not withheld as drifted: the server run was given what the server locked was given.
    expect((listed['result'] as { tools: { name: string; description: string }[] }).tools.map((t) => [t.name, t.description])).toEqual([
      ['tool_0', 'from the entry 0.'],
      ['tool_1', 'from the entry 1.'],
      ['tool_2', 'from the entry 2.'],
    ]);
  });
});
