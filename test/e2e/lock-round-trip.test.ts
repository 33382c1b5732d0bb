// Every lock mcpm writes, every command reads: numbers spelled as servers in other languages spell
// them, and servers too large for a lock file. Real CLI, real fixture servers, real files.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { TestHost } from '../helpers/test-host.js';
import { defs, mcpm, SERVERS, tempProject, tool } from './helpers.js';

const read = (dir: string) => readFileSync(join(dir, 'mcp.lock'), 'utf8');

interface Status {
  name: string;
  status: string;
  error?: { code: string; message: string };
}
const statuses = (stdout: string) => (JSON.parse(stdout) as { servers: Status[] }).servers;

/** .mcp.json with a static server "plain" and a number-spellings server per entry of `numbers`. */
function writeConfig(dir: string, numbers: Record<string, string>): void {
  writeFileSync(join(dir, 'plain.defs.json'), JSON.stringify(defs([tool('add', 'Adds two numbers.')])));
  const mcpServers: Record<string, unknown> = {
    plain: { command: process.execPath, args: [join(SERVERS, 'static.mjs')], env: { FIXTURE_DEFS: join(dir, 'plain.defs.json') } },
  };
  for (const [name, texts] of Object.entries(numbers)) {
    mcpServers[name] = { command: process.execPath, args: [join(SERVERS, 'number-spellings.mjs')], env: { FIXTURE_NUMBERS: texts } };
  }
  writeFileSync(join(dir, '.mcp.json'), JSON.stringify({ mcpServers }, null, 2));
}

/** `mcpm run NAME` as a host: the tools/list line the host received, raw. */
async function listThroughGuard(dir: string, name: string): Promise<string> {
  const host = TestHost.mcpm(['run', '-C', dir, name]);
  onTestFinished(async () => {
    if (!host.exitInfo) await host.close().catch(() => {});
  });
  await host.initialize();
  const list = await host.request('tools/list', {});
  expect(list, host.stderr).toHaveProperty('result');
  expect((await host.close()).code).toBe(0);
  return host.received.toString().split('\n').find((line) => line.includes('"result":{"tools":'))!;
}

describe('numbers as other languages spell them', () => {
  it('"maximum": 1e20 and other spellings are locked, and install, verify, ls and run all read that lock', async () => {
    const dir = tempProject();
    const spellings = '1e20,100000000000000000000,9007199254740992.0,-0,1E-7,5e-324,1.7976931348623157e308,12345678901234567000,1e-400';
    writeConfig(dir, { wide: spellings });
    const installed = await mcpm(['install', '-C', dir, '--json']);
    expect(installed.status, installed.stderr).toBe(0);
    const lock = read(dir);
    // Written as RFC 8785 numbers (Number::toString), which is what failed to read back before.
    for (const printed of ['100000000000000000000', '9007199254740992', '0', '1e-7', '5e-324', '1.7976931348623157e+308', '12345678901234567000']) {
      expect(lock).toContain(`"maximum": ${printed},`);
    }

    const again = await mcpm(['install', '-C', dir]);
    expect(again.status, again.stderr).toBe(0);
    expect(read(dir)).toBe(lock);
    const verified = await mcpm(['verify', '-C', dir, '--json']);
    expect(verified.status, verified.stderr).toBe(0);
    expect(statuses(verified.stdout).map((s) => [s.name, s.status])).toEqual([
      ['plain', 'ok'],
      ['wide', 'ok'],
    ]);
    expect((await mcpm(['verify', '--offline', '-C', dir])).status).toBe(0);
    const listed = await mcpm(['ls', '-C', dir]);
    expect(listed.status, listed.stderr).toBe(0);
    expect(listed.stdout).toContain('wide');

    // The guard holds the live list to the lock and forwards the server's own bytes.
    expect(await listThroughGuard(dir, 'wide')).toContain(`"maximum":${spellings.split(',')[0]}}`);
    expect(await listThroughGuard(dir, 'plain')).toContain('"Adds two numbers."');
  });

  it('9007199254740993.0 and 1e400 are refused at the snapshot, naming the field; the lock and the other servers are unaffected', async () => {
    const dir = tempProject();
    writeConfig(dir, { exact: '1,9007199254740993.0', huge: '1e400' });
    const installed = await mcpm(['install', '-C', dir, '--json']);
    expect(installed.status).toBe(3);
    const byName = new Map(statuses(installed.stdout).map((s) => [s.name, s]));
    expect(byName.get('plain')?.status).toBe('new');
    expect(byName.get('exact')?.error).toMatchObject({
      code: 'SERVER_PROTOCOL',
      message: expect.stringContaining(
        'number 9007199254740993.0 would be written back as 9007199254740992, a different integer in "/result/tools/0/inputSchema/properties/n1/maximum"',
      ),
    });
    expect(byName.get('huge')?.error).toMatchObject({
      code: 'SERVER_PROTOCOL',
      message: expect.stringContaining('number 1e400 is out of range in "/result/tools/0/inputSchema/properties/n0/maximum"'),
    });
    const lock = JSON.parse(read(dir)) as { servers: Record<string, unknown> };
    expect(Object.keys(lock.servers)).toEqual(['plain']);

    expect((await mcpm(['verify', 'plain', '-C', dir])).status).toBe(0);
    expect((await mcpm(['ls', '-C', dir])).status).toBe(0);
    expect(await listThroughGuard(dir, 'plain')).toContain('"Adds two numbers."');
  });
});

describe('a server too large for a lock file', () => {
  it('is refused at the write, named with the limit, and the lock on disk stays as it was and readable', async () => {
    const dir = tempProject();
    writeConfig(dir, {});
    expect((await mcpm(['install', '-C', dir])).status).toBe(0);
    const before = read(dir);

    // 20 tools with 30,000 numbers each: one 3.6 MB message, one line per number in the lock.
    const config = JSON.parse(readFileSync(join(dir, '.mcp.json'), 'utf8')) as { mcpServers: Record<string, unknown> };
    config.mcpServers.big = {
      command: process.execPath,
      args: [join(SERVERS, 'many-tools.mjs')],
      env: { FIXTURE_TOOL_COUNT: '20', FIXTURE_ENUM_LENGTH: '30000', FIXTURE_PAGE_SIZE: '20' },
    };
    writeFileSync(join(dir, '.mcp.json'), JSON.stringify(config));
    const installed = await mcpm(['install', '-C', dir], { timeoutMs: 60_000 });
    expect(installed.status).toBe(2);
    expect(installed.stderr).toBe(
      'mcpm: mcp.lock was not written: it would be 16.4 MiB, over the 16 MiB limit on a lock file (mcpm reads none larger); the largest server: "big" (16.4 MiB)\n' +
        'hint: remove "big" from the config: it is over the limit even alone\n',
    );
    expect(read(dir)).toBe(before);
    const offline = await mcpm(['verify', '--offline', 'plain', '-C', dir]);
    expect(offline.status, offline.stderr).toBe(0);
    // A 16 MiB snapshot takes seconds on a loaded machine: this test may take longer than most.
  }, 90_000);
});
