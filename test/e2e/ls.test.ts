// `mcpm ls [NAME...]`: starts nothing, so a server whose launch matches the lock is "locked" (the
// JSON keeps the contract's "ok"); names filter, and an unknown name is a usage error.
import { describe, expect, it } from 'vitest';
import { defs, mcpm, tempProject, tool, writeProject } from './helpers.js';

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

    const unknown = await mcpm(['ls', '-C', dir, 'gamma']);
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toContain('no server named "gamma"');
  });
});
