// A server that starts a grandchild in a session of its own (setsid), handing it the server's
// stdout and stderr: a process-group kill misses it, and its open pipes would keep mcpm waiting for
// an EOF that never comes. mcpm must finish, and the grandchild must be gone.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { isAlive, TestHost } from '../helpers/test-host.js';
import { defs, mcpm, SERVERS, tempProject, tool } from './helpers.js';

/** A project whose one server, "escape", leaves a setsid grandchild; returns how to read its pid. */
function escapingProject(): { dir: string; grandchild: () => number } {
  const dir = tempProject();
  const pidFile = join(dir, 'grandchild.pid');
  writeFileSync(join(dir, 'defs.json'), JSON.stringify(defs([tool('add', 'Adds.')])));
  const env = { FIXTURE_DEFS: join(dir, 'defs.json'), FIXTURE_GRANDCHILD_PID_FILE: pidFile };
  writeFileSync(join(dir, '.mcp.json'), JSON.stringify({ mcpServers: { escape: { command: process.execPath, args: [join(SERVERS, 'session-escape.mjs')], env } } }));
  const grandchild = () => {
    const pid = Number(readFileSync(pidFile, 'utf8'));
    // Whatever the test's outcome, the grandchild must not outlive it.
    onTestFinished(() => {
      if (isAlive(pid)) process.kill(pid, 'SIGKILL');
    });
    return pid;
  };
  return { dir, grandchild };
}

/** Its own session: the grandchild really escaped the server's process group. */
function sessionOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[3]);
}

/** Waits (by polling /proc, bounded) for a killed process to stop running. */
async function gone(pid: number): Promise<boolean> {
  for (let i = 0; i < 100 && isAlive(pid); i++) await new Promise((r) => setTimeout(r, 20));
  return !isAlive(pid);
}

describe.runIf(process.platform === 'linux')('a grandchild in its own session', () => {
  it('install and verify finish, and the grandchild is ended', async () => {
    const p = escapingProject();
    const installed = await mcpm(['install', '-C', p.dir], { timeoutMs: 15_000 });
    expect(installed.status, installed.stderr).toBe(0);
    expect(await gone(p.grandchild())).toBe(true);

    const verified = await mcpm(['verify', '-C', p.dir], { timeoutMs: 15_000 });
    expect(verified.status, verified.stderr).toBe(0);
    expect(await gone(p.grandchild())).toBe(true);
  });

  it.each([
    ['the host closes stdin', (host: TestHost) => host.close(), 0],
    ['the host sends SIGTERM', (host: TestHost) => (host.child.kill('SIGTERM'), host.waitForExit()), 128 + 15],
  ])('mcpm run exits when %s, and the grandchild is ended', async (_how, end, status) => {
    const p = escapingProject();
    expect((await mcpm(['install', '-C', p.dir])).status).toBe(0);
    await gone(p.grandchild());
    const host = TestHost.mcpm(['run', '-C', p.dir, 'escape'], { timeoutMs: 15_000 });
    onTestFinished(() => {
      if (!host.exitInfo) host.child.kill('SIGKILL');
    });
    await host.initialize();
    const pid = p.grandchild();
    expect(isAlive(pid)).toBe(true);
    expect(sessionOf(pid)).toBe(pid);
    expect((await end(host)).code).toBe(status);
    expect(await gone(pid)).toBe(true);
  });
});
