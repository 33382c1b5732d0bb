// Servers that cannot be snapshotted next to one that can: a command that exits at once (`false`),
// one that does not exist (ENOENT), a file that is not executable (EACCES), and a server that dies
// part way through its answers while the CPU is busy. Each is that server's error (exit 3); the
// good server is still reported, and `--json` always prints the whole result. Never exit 70.
import { chmodSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { withCompetingCpuLoad } from '../helpers/cpu-load.js';
import { defs, mcpm, SERVERS, tempProject, tool } from './helpers.js';

interface JsonServer {
  name: string;
  status: string;
  action?: string;
  result?: string;
  error?: { code: string; message: string };
}

function servers(stdout: string): Map<string, JsonServer> {
  const parsed = JSON.parse(stdout) as { servers: JsonServer[] };
  return new Map(parsed.servers.map((s) => [s.name, s]));
}

/** The definitions the good server serves; returns the file. */
function writeGoodDefs(dir: string): string {
  const file = join(dir, 'good.defs.json');
  writeFileSync(file, JSON.stringify(defs([tool('add', 'Adds two numbers.')])));
  return file;
}

/** An executable that runs the static fixture server on `defsFile`, whatever it is called. */
function shim(file: string, defsFile: string): void {
  writeFileSync(file, `#!/bin/sh\nFIXTURE_DEFS=${JSON.stringify(defsFile)} exec ${JSON.stringify(process.execPath)} ${JSON.stringify(join(SERVERS, 'static.mjs'))}\n`, { mode: 0o755 });
}

/**
 * A project with four servers: `bad` runs `false`, `ghost` a command not on the PATH, `noexec` a
 * file without the execute bit, `good` the static fixture. With `locked`, all four are locked
 * first: `false` and the ghost are shims on the PATH of that one install, and the file is
 * executable then (the lock records only the command, so verify later runs the real ones).
 */
async function project(locked: boolean): Promise<string> {
  const dir = tempProject();
  const goodDefs = writeGoodDefs(dir);
  const noexec = join(dir, 'noexec.sh');
  shim(noexec, goodDefs);
  writeFileSync(
    join(dir, '.mcp.json'),
    JSON.stringify({
      mcpServers: {
        bad: { command: 'false' },
        ghost: { command: 'mcpm-no-such-command' },
        noexec: { command: noexec },
        good: { command: 'node', args: [join(SERVERS, 'static.mjs')], env: { FIXTURE_DEFS: goodDefs } },
      },
    }),
  );
  if (locked) {
    const bin = join(dir, 'shims');
    mkdirSync(bin);
    shim(join(bin, 'false'), goodDefs);
    shim(join(bin, 'mcpm-no-such-command'), goodDefs);
    const installed = await mcpm(['install', '-C', dir, '--json'], { env: { PATH: `${bin}:${process.env.PATH}` } });
    expect(installed.status, installed.stderr).toBe(0);
    expect([...servers(installed.stdout).values()].map((s) => s.action)).toEqual(['added', 'added', 'added', 'added']);
  }
  chmodSync(noexec, 0o644);
  return dir;
}

function expectFailuresReported(stdout: string): Map<string, JsonServer> {
  const byName = servers(stdout);
  expect([...byName.keys()].sort()).toEqual(['bad', 'ghost', 'good', 'noexec']);
  expect(byName.get('bad')).toMatchObject({ status: 'error', error: { code: 'SERVER_EXITED', message: 'server "bad" exited with code 1 during initialize' } });
  expect(byName.get('ghost')).toMatchObject({ status: 'error', error: { code: 'SERVER_SPAWN_FAILED' } });
  expect(byName.get('ghost')!.error!.message).toContain('(ENOENT)');
  expect(byName.get('noexec')).toMatchObject({ status: 'error', error: { code: 'SERVER_SPAWN_FAILED' } });
  expect(byName.get('noexec')!.error!.message).toContain('(EACCES)');
  return byName;
}

describe('servers that cannot start or exit at once, next to a good one', () => {
  it('install locks the good server, reports the others, and exits 3', async () => {
    const dir = await project(false);
    const result = await mcpm(['install', '-C', dir, '--json']);
    expect(result.status, result.stderr).toBe(3);
    expect(expectFailuresReported(result.stdout).get('good')).toMatchObject({ status: 'new', action: 'added' });
    expect(JSON.parse(readFileSync(join(dir, 'mcp.lock'), 'utf8')).servers).toHaveProperty('good');

    const text = await mcpm(['install', '-C', dir]);
    expect(text.status, text.stderr).toBe(3);
    expect(text.stdout).toMatch(/^ok\s+good/m);
    expect(text.stdout).toContain('server "bad" exited with code 1 during initialize');
  });

  it('verify and diff report the good server as ok and the others as errors, and exit 3', async () => {
    const dir = await project(true);
    for (const command of ['verify', 'diff', 'install']) {
      const result = await mcpm([command, '-C', dir, '--json']);
      expect(result.status, `${command}: ${result.stderr}`).toBe(3);
      const good = expectFailuresReported(result.stdout).get('good')!;
      expect(good.status, command).toBe('ok');
    }
    const text = await mcpm(['verify', '-C', dir]);
    expect(text.status, text.stderr).toBe(3);
    expect(text.stdout).toMatch(/^ok\s+good/m);
  });

  it('approve --yes --all approves the good server and reports the others, and exits 3', async () => {
    const dir = await project(false);
    const result = await mcpm(['approve', '--yes', '--all', '-C', dir, '--json']);
    expect(result.status, result.stderr).toBe(3);
    const byName = expectFailuresReported(result.stdout);
    expect(byName.get('good')).toMatchObject({ result: 'approved' });
    expect(JSON.parse(readFileSync(join(dir, 'mcp.lock'), 'utf8')).servers).toHaveProperty('good');
  });
});

describe('a server that dies part way through its answers, under CPU load', () => {
  withCompetingCpuLoad();

  it.each(['static.mjs', 'stateless.mjs'])('install exits 3 and reports both servers when %s dies at the start or right after an answer', async (script) => {
    const dir = tempProject();
    const goodDefs = writeGoodDefs(dir);
    const configure = (env: Record<string, string>) =>
      writeFileSync(
        join(dir, '.mcp.json'),
        JSON.stringify({
          mcpServers: {
            cut: { command: 'node', args: [join(SERVERS, 'die-after.mjs')], env: { FIXTURE_SCRIPT: script, FIXTURE_DEFS: goodDefs, ...env } },
            good: { command: 'node', args: [join(SERVERS, 'static.mjs')], env: { FIXTURE_DEFS: goodDefs } },
          },
        }),
      );
    // One whole run tells where each answer ends.
    const writes = join(dir, 'writes');
    configure({ FIXTURE_WRITES: writes });
    expect((await mcpm(['install', '-C', dir])).status).toBe(0);
    let end = 0;
    const ends = readFileSync(writes, 'utf8').trim().split('\n').map((n) => (end += Number(n)));
    expect(ends.length).toBeGreaterThanOrEqual(5);

    // At once, and after the first and the second answer: mcpm's next write races the exit.
    for (const k of [0, ends[0]!, ends[1]!]) {
      rmSync(join(dir, 'mcp.lock'));
      configure({ FIXTURE_DIE_AFTER_BYTES: String(k) });
      const result = await mcpm(['install', '-C', dir, '--json'], { timeoutMs: 60_000 });
      expect(result.status, `k=${k}: ${result.stderr}`).toBe(3);
      const byName = servers(result.stdout);
      expect(byName.get('cut'), `k=${k}`).toMatchObject({ status: 'error', error: { code: 'SERVER_EXITED' } });
      expect(byName.get('good'), `k=${k}`).toMatchObject({ status: 'new', action: 'added' });
    }
  }, 120_000);
});
