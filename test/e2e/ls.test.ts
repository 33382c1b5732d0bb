// `mcpm ls [NAME...]`: starts nothing, so a server whose launch matches the lock is "locked" (the
// JSON keeps the contract's "ok"); names filter, and an unknown name is a usage error.
import { spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BIN, defs, mcpm, tempProject, tool, writeProject } from './helpers.js';

describe('mcpm ls', { timeout: 60_000 }, () => {
  it('says locked, filters by name, and keeps "ok" in JSON', async () => {
    const dir = tempProject();
    writeProject(dir, { alpha: { defs: defs([tool('a', 'A.')]) }, beta: { defs: defs([tool('b', 'B.')]) } });
    expect((await mcpm(['install', '-C', dir, 'alpha'])).status).toBe(0);

    const all = await mcpm(['ls', '-C', dir]);
    expect(all.status, all.stderr).toBe(0);
    expect(all.stdout).toMatch(/^locked {2}alpha {2}fixture@1\.0\.0, 1 tool$/m);
    expect(all.stdout).toMatch(/^new {5}beta {2}not locked$/m);
    expect(all.stdout).not.toMatch(/^ok\b/m);

    const one = await mcpm(['ls', '-C', dir, 'alpha']);
    expect(one.status).toBe(0);
    expect(one.stdout).toContain('alpha');
    expect(one.stdout).not.toContain('beta');

    const json = await mcpm(['ls', '-C', dir, '--json', 'beta', 'alpha']);
    expect(json.status).toBe(0);
    const servers = (JSON.parse(json.stdout) as { servers: { name: string; status: string }[] }).servers;
    expect(servers.map((s) => [s.name, s.status])).toEqual([
      ['alpha', 'ok'],
      ['beta', 'new'],
    ]);

    // --quiet: what is not locked as configured, and nothing else.
    const quiet = await mcpm(['ls', '-C', dir, '-q']);
    expect(quiet.status).toBe(0);
    expect(quiet.stdout).toMatch(/^new +beta +not locked\n/);
    expect(quiet.stdout).not.toMatch(/alpha|config:/);
    expect((await mcpm(['ls', '-C', dir, '-q', 'alpha'])).stdout).toBe('');

    const unknown = await mcpm(['ls', '-C', dir, 'gamma']);
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toContain('no server named "gamma"');

    // From a subdirectory, the config and the lock are both named from there.
    mkdirSync(join(dir, 'sub'));
    const below = await mcpm(['ls', '-C', join(dir, 'sub')]);
    expect(below.stdout).toMatch(/^config: \.\.\/\.mcp\.json\nlock: {3}\.\.\/mcp\.lock$/m);
  });
});

describe('a reader that goes away (`mcpm ls | head -0`)', { timeout: 60_000 }, () => {
  /** Runs mcpm with its stdout closed by the reader before mcpm has started, as a pipe into `head -0` does. */
  function withReaderGone(args: string[]): Promise<{ status: number | null; stderr: string }> {
    return new Promise((resolvePromise, reject) => {
      const child = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
      // Node takes far longer to start than this takes: the first write mcpm makes meets a pipe no one reads.
      child.stdout.destroy();
      let stderr = '';
      child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
      child.on('error', reject);
      child.on('close', (status) => resolvePromise({ status, stderr }));
    });
  }

  it('ends quietly with the command status, through the full CLI and the fast offline entry', async () => {
    const dir = tempProject();
    writeProject(dir, { alpha: { defs: defs([tool('a', 'A.')]) } });
    expect((await mcpm(['install', '-C', dir])).status).toBe(0);
    for (const args of [
      ['ls', '-C', dir],
      ['verify', '--offline', '-C', dir],
    ]) {
      const run = await withReaderGone(args);
      // An unhandled EPIPE would be a stack trace and exit 1 (or mcpm's internal error, 70).
      expect(run.stderr, args.join(' ')).toBe('');
      expect(run.status, args.join(' ')).toBe(0);
    }
  });
});
