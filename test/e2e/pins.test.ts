// Package pinning end to end, without the internet: a local npm registry serves the fixture
// package @fixture/mcp-demo (test/fixtures/packages/mcp-demo, packed with `npm pack`), the servers
// really run through `npx -y`, and mcpm's `npm view` asks the same registry through
// npm_config_registry. Every version serves identical definitions, so whatever drift is found
// here comes from the package alone.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { packFixture, startRegistry, type FixtureRegistry, type Published } from '../helpers/npm-registry.js';
import { spawnPty } from '../helpers/pty.js';
import { mcpm, tempProject } from './helpers.js';

const PKG = '@fixture/mcp-demo';
const VERSIONS = ['1.0.0', '1.0.1', '1.1.0', '2.0.0'] as const;
const packs = new Map<string, Published>();
let republished: Published;

beforeAll(async () => {
  const packed = await Promise.all([...VERSIONS.map((v) => packFixture('mcp-demo', v)), packFixture('mcp-demo', '1.1.0', 're-published')]);
  VERSIONS.forEach((v, i) => packs.set(v, packed[i]!));
  republished = packed[VERSIONS.length]!;
}, 60_000);

/** A registry with every fixture version, `latest` on the one given (2.0.0 is published untagged, as a pre-announced major). */
async function registry(latest: string): Promise<FixtureRegistry> {
  const r = await startRegistry();
  onTestFinished(() => r.close());
  for (const v of VERSIONS) r.publish(PKG, v, packs.get(v)!, null);
  r.setTag(PKG, 'latest', latest);
  return r;
}

interface Project {
  dir: string;
  run: (...args: string[]) => ReturnType<typeof mcpm>;
  lock: () => { servers: Record<string, { integrity: string; launch: { args: string[] }; package?: Record<string, string> }> };
}

/**
 * A project whose `.npmrc` points at the registry, for the `npx` that starts each server (it gets
 * only a minimal environment); mcpm itself gets npm_config_registry, as a user's shell would.
 */
function project(r: FixtureRegistry, configText: string): Project {
  const dir = tempProject();
  const cache = join(dir, '.npm-cache');
  mkdirSync(cache);
  writeFileSync(join(dir, '.npmrc'), `registry=${r.url}\ncache=${cache}\nupdate-notifier=false\n`);
  writeFileSync(join(dir, '.mcp.json'), configText);
  return {
    dir,
    run: (...args) => mcpm([...args, '-C', dir], { env: { npm_config_registry: r.url, npm_config_cache: cache }, timeoutMs: 60_000 }),
    lock: () => JSON.parse(readFileSync(join(dir, 'mcp.lock'), 'utf8')),
  };
}

const config = (args: string[]) => `${JSON.stringify({ mcpServers: { demo: { command: 'npx', args } } }, null, 2)}\n`;

describe('package pins', { timeout: 90_000 }, () => {
  afterAll(() => packs.clear());

  it('install records the exact version and integrity of an unpinned npx server; verify --offline warns, --strict fails, and asks no registry', async () => {
    const r = await registry('1.1.0');
    const p = project(r, config(['-y', PKG]));
    const installed = await p.run('install');
    expect(installed.status, installed.stderr).toBe(0);
    expect(p.lock().servers.demo!.package).toEqual({ manager: 'npm', name: PKG, version: '1.1.0', integrity: packs.get('1.1.0')!.integrity });
    expect(installed.stdout).toContain(`warning: npx ${PKG} has no version`);

    const asked = r.requests.length;
    const offline = await p.run('verify', '--offline', '--json');
    expect(offline.status).toBe(0);
    expect(JSON.parse(offline.stdout).warnings).toEqual([{ name: 'demo', message: expect.stringContaining('has no version') }]);
    const strict = await p.run('verify', '--offline', '--strict');
    expect(strict.status).toBe(1);
    expect(strict.stdout).toContain('--strict: 1 warning(s) fail the run');
    // Exit codes never depend on the output format.
    expect((await p.run('verify', '--offline', '--strict', '--format', 'sarif')).status).toBe(1);
    expect(r.requests.length).toBe(asked);
  });

  it('approve of a changed launch keeps the pin when the package is the same, and resolves it anew when the launch names another one', async () => {
    const r = await registry('1.1.0');
    const p = project(r, `${JSON.stringify({ mcpServers: { demo: { command: 'npx', args: ['-y', `${PKG}@1.0.0`], env: { MODE: 'a' } } } }, null, 2)}\n`);
    expect((await p.run('install')).status).toBe(0);
    const pinned = { manager: 'npm', name: PKG, version: '1.0.0', integrity: packs.get('1.0.0')!.integrity };
    expect(p.lock().servers.demo!.package).toEqual(pinned);
    // An env value changed: the same package runs.
    writeFileSync(join(p.dir, '.mcp.json'), JSON.stringify({ mcpServers: { demo: { command: 'npx', args: ['-y', `${PKG}@1.0.0`], env: { MODE: 'b' } } } }));
    const approved = await p.run('approve', '--yes', 'demo');
    expect(approved.status, approved.stdout + approved.stderr).toBe(0);
    expect(p.lock().servers.demo!.package).toEqual(pinned);
    // Another version named: its own pin.
    writeFileSync(join(p.dir, '.mcp.json'), JSON.stringify({ mcpServers: { demo: { command: 'npx', args: ['-y', `${PKG}@1.0.1`], env: { MODE: 'b' } } } }));
    expect((await p.run('approve', '--yes', 'demo')).status).toBe(0);
    expect(p.lock().servers.demo!.package).toEqual({ manager: 'npm', name: PKG, version: '1.0.1', integrity: packs.get('1.0.1')!.integrity });
    expect((await p.run('verify', '--offline', '--strict')).status).toBe(0);
  });

  it('pin writes the locked version into the config, byte for byte elsewhere, and the lock launch follows', async () => {
    const r = await registry('1.0.1');
    // Hand-written formatting: tabs, a second server, keys in an odd order, no trailing newline.
    const original = `{\n\t"mcpServers": {\n\t\t"demo": { "args": ["-y",   "${PKG}@^1.0"], "command": "npx" },\n\t\t"local": {"command": "node", "args": ["./x.js"]}\n\t}\n}`;
    const p = project(r, original);
    writeFileSync(join(p.dir, 'x.js'), '');
    const installed = await p.run('install', 'demo');
    expect(installed.status, installed.stderr).toBe(0);
    const before = p.lock().servers.demo!;
    expect(before.package).toMatchObject({ version: '1.0.1' });

    const pinned = await p.run('pin', 'demo', '--json');
    expect(pinned.status, pinned.stderr).toBe(0);
    expect(JSON.parse(pinned.stdout)).toMatchObject({
      servers: [{ name: 'demo', result: 'pinned', from: `${PKG}@^1.0`, to: `${PKG}@1.0.1` }],
      written: { configs: ['.mcp.json'], lockfile: true },
    });
    expect(readFileSync(join(p.dir, '.mcp.json'), 'utf8')).toBe(original.replace(`"${PKG}@^1.0"`, `"${PKG}@1.0.1"`));
    const after = p.lock().servers.demo!;
    expect(after.launch.args).toEqual(['-y', `${PKG}@1.0.1`]);
    expect(after.integrity).toBe(before.integrity);
    expect(after.package).toEqual(before.package);

    const offline = await p.run('verify', '--offline', '--strict', 'demo');
    expect(offline.status, offline.stdout).toBe(0);
    const online = await p.run('verify', 'demo');
    expect(online.status, online.stdout + online.stderr).toBe(0);
    const again = await p.run('pin', 'demo');
    expect(again.status).toBe(0);
    expect(again.stdout).toMatch(/already pinned\s+demo/);
  });

  it('pin refuses a server that is not locked, and changes nothing', async () => {
    const r = await registry('1.0.0');
    const p = project(r, config(['-y', PKG]));
    const result = await p.run('pin');
    expect(result.status).toBe(1);
    expect(result.stdout).toMatch(/NOT LOCKED\s+demo/);
    expect(readFileSync(join(p.dir, '.mcp.json'), 'utf8')).toBe(config(['-y', PKG]));
  });

  it('outdated lists the newest patch, minor and major versions', async () => {
    const r = await registry('1.1.0');
    const p = project(r, config(['-y', `${PKG}@1.0.0`]));
    expect((await p.run('install')).status).toBe(0);
    const result = await p.run('outdated', '--json');
    // As npm outdated: something newer exists, so exit 1.
    expect(result.status).toBe(1);
    expect(JSON.parse(result.stdout).servers).toEqual([
      { name: 'demo', manager: 'npm', package: PKG, current: '1.0.0', patch: '1.0.1', minor: '1.1.0', major: '2.0.0', latest: '1.1.0', type: 'major' },
    ]);
    const text = await p.run('outdated');
    expect(text.stdout).toMatch(/demo\s+@fixture\/mcp-demo\s+1\.0\.0\s+1\.0\.1\s+1\.1\.0\s+2\.0\.0/);
  });

  it('a package version from a tampered lock prints on one line in outdated, pin and update', async () => {
    const r = await registry('1.1.0');
    const p = project(r, config(['-y', PKG]));
    expect((await p.run('install')).status).toBe(0);
    // A pull request edits the lock: what follows the newline must not print as a line of mcpm's.
    const lock = p.lock();
    lock.servers.demo!.package!.version = '1.0.0\nmcpm: all servers verified\nok  fake';
    writeFileSync(join(p.dir, 'mcp.lock'), `${JSON.stringify(lock, null, 2)}\n`);
    for (const command of [['outdated'], ['pin'], ['update', 'demo', '--yes', '--to', '1.1.0']]) {
      const out = await p.run(...command);
      for (const line of `${out.stdout}\n${out.stderr}`.split('\n')) {
        expect(line.startsWith('mcpm: all') || line.startsWith('ok  fake'), `${command.join(' ')}: ${line}`).toBe(false);
      }
    }
  });

  it('verify: a newer version behind an unpinned spec is drift, though the definitions are identical', async () => {
    const r = await registry('1.0.1');
    const p = project(r, config(['-y', PKG]));
    expect((await p.run('install')).status).toBe(0);
    expect((await p.run('verify')).status).toBe(0);

    r.setTag(PKG, 'latest', '1.1.0');
    const result = await p.run('verify', '--json');
    expect(result.status, result.stderr).toBe(1);
    const server = JSON.parse(result.stdout).servers[0];
    expect(server).toMatchObject({
      name: 'demo',
      status: 'drifted',
      package: { changed: true, locked: { version: '1.0.1' }, resolved: { version: '1.1.0', integrity: packs.get('1.1.0')!.integrity } },
    });
    expect(result.stderr).toContain('package changed: locked @fixture/mcp-demo@1.0.1');
  });

  it('verify: the same exact version re-published with other bytes is drift', async () => {
    const r = await registry('1.1.0');
    const p = project(r, config(['-y', `${PKG}@1.1.0`]));
    expect((await p.run('install')).status).toBe(0);
    expect(p.lock().servers.demo!.package!.integrity).toBe(packs.get('1.1.0')!.integrity);

    r.publish(PKG, '1.1.0', republished, null);
    const result = await p.run('verify', '--format', 'sarif');
    expect(result.status).toBe(1);
    const sarif = JSON.parse(result.stdout);
    const ids = sarif.runs[0].results.map((x: { ruleId: string }) => x.ruleId);
    expect(ids).toEqual(expect.arrayContaining(['mcpm/drifted', 'mcpm/package-changed']));
    expect(result.stderr).toMatch(/DRIFTED\s+demo/);
  });

  it('update --yes moves to a version and writes config and lock; without a terminal and without --yes it exits 2 and changes nothing', async () => {
    const r = await registry('1.1.0');
    const p = project(r, config(['-y', `${PKG}@1.0.0`]));
    expect((await p.run('install')).status).toBe(0);
    const lockBefore = readFileSync(join(p.dir, 'mcp.lock'), 'utf8');

    const refused = await p.run('update', 'demo');
    expect(refused.status).toBe(2);
    expect(refused.stderr).toContain('mcpm: update needs a terminal');
    expect(readFileSync(join(p.dir, 'mcp.lock'), 'utf8')).toBe(lockBefore);

    // The organisation's list judges the launch the update would write: denied, nothing runs or is written.
    const list = join(p.dir, 'list.json');
    writeFileSync(list, JSON.stringify({ allowlistVersion: 1, allow: [{ command: ['npx', '-y', `${PKG}@*`] }], deny: [{ command: ['npx', '-y', `${PKG}@1.1.*`] }] }));
    const denied = await p.run('update', 'demo', '--to', '1.1.0', '--yes', '--allowlist', list);
    expect(denied.status).toBe(1);
    expect(denied.stderr).toContain('is denied by the allow-list');
    expect(readFileSync(join(p.dir, 'mcp.lock'), 'utf8')).toBe(lockBefore);

    const updated = await p.run('update', 'demo', '--to', '^1', '--yes');
    expect(updated.status, updated.stderr).toBe(0);
    expect(updated.stdout).toContain('the definitions are identical');
    expect(readFileSync(join(p.dir, '.mcp.json'), 'utf8')).toBe(config(['-y', `${PKG}@1.1.0`]));
    expect(p.lock().servers.demo).toMatchObject({
      launch: { args: ['-y', `${PKG}@1.1.0`] },
      package: { version: '1.1.0', integrity: packs.get('1.1.0')!.integrity },
    });
    expect((await p.run('verify', '--strict')).status).toBe(0);
  });

  it('update in a terminal starts the new version once and reviews that snapshot: approved, config and lock get launch and pin; rejected, nothing is written', async () => {
    const r = await registry('1.1.0');
    const p = project(r, '{}');
    const log = join(p.dir, 'launches.log');
    const launches = () => readFileSync(log, 'utf8').trim().split('\n');
    const logged = (version: string) => config(['-y', `${PKG}@${version}`, '--launch-log', log]);
    writeFileSync(join(p.dir, '.mcp.json'), logged('1.0.0'));
    expect((await p.run('install')).status).toBe(0);
    expect(launches()).toEqual(['1.0.0']);
    const configBefore = readFileSync(join(p.dir, '.mcp.json'), 'utf8');
    const lockBefore = readFileSync(join(p.dir, 'mcp.lock'), 'utf8');

    const rejected = terminal(['update', 'demo', '--to', '1.0.1', '-C', p.dir], r, p.dir);
    const shown = await rejected.waitFor('y approve');
    await settle();
    rejected.write('n');
    expect(await rejected.exited).toBe(1);
    // The review screen of what update started, not approve's question before starting it again.
    const screen = rejected.text();
    expect(screen.slice(0, shown)).toMatch(/mcpm approve\s+1\/1\s+demo\s+LAUNCH CHANGED/);
    expect(screen).toContain(`launch    npx -y ${PKG}@1.0.1 --launch-log`);
    expect(screen).toContain(`locked    npx -y ${PKG}@1.0.0 --launch-log`);
    expect(screen).not.toContain('has not run it');
    expect(screen).not.toContain('start a changed command');
    expect(screen).toContain(`not updated: demo stays at ${PKG}@1.0.0`);
    expect(launches()).toEqual(['1.0.0', '1.0.1']);
    expect(readFileSync(join(p.dir, '.mcp.json'), 'utf8')).toBe(configBefore);
    expect(readFileSync(join(p.dir, 'mcp.lock'), 'utf8')).toBe(lockBefore);

    const approved = terminal(['update', 'demo', '--to', '1.0.1', '-C', p.dir], r, p.dir);
    await approved.waitFor('y approve');
    await settle();
    approved.write('y');
    expect(await approved.exited).toBe(0);
    expect(approved.text()).toContain(`updated demo to ${PKG}@1.0.1`);
    expect(launches()).toEqual(['1.0.0', '1.0.1', '1.0.1']);
    expect(readFileSync(join(p.dir, '.mcp.json'), 'utf8')).toBe(logged('1.0.1'));
    expect(p.lock().servers.demo).toMatchObject({
      launch: { args: ['-y', `${PKG}@1.0.1`, '--launch-log', log] },
      package: { manager: 'npm', name: PKG, version: '1.0.1', integrity: packs.get('1.0.1')!.integrity },
    });
    // What was locked is what the new version serves: verify starts it (once more) and finds no drift.
    expect((await p.run('verify')).status).toBe(0);
    expect(launches()).toHaveLength(4);
  });
});

// Keys within 300 ms of a new screen are dropped on purpose by the review UI (typeahead guard).
const settle = () => new Promise((resolve) => setTimeout(resolve, 600));

/** mcpm in a real pseudo-terminal (80×24), for the hand-off to approve's review UI; waitFor resolves past the match. */
function terminal(args: string[], r: FixtureRegistry, dir: string) {
  const term = spawnPty(args, {
    cwd: dir,
    env: { npm_config_registry: r.url, npm_config_cache: join(dir, '.npm-cache') },
    killAfterMs: 50_000,
    waitMs: 40_000,
  });
  return { ...term, waitFor: term.waitPast };
}
