// The compiled code of the bundles `mcpm run` and `verify --offline` load, kept in mcpm's cache
// directory (src/code-cache.ts): used as it is by the next run, never for a bundle that changed
// (even to the same length), never from a file that is not V8's or that another user could write.
import { spawnSync } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import Module from 'node:module';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { functionText } from '../../src/bundle-wrapper.js';
import { BIN, ROOT, defs, mcpm, relockedText, tempProject, tool, writeProject } from './helpers.js';

// Node 22.1 and later keep the code themselves (module.enableCompileCache), in their own layout.
const nodeKeepsIt = typeof (Module as unknown as { enableCompileCache?: unknown }).enableCompileCache === 'function';

function cli(bin: string, args: string[], env: NodeJS.ProcessEnv) {
  return spawnSync(process.execPath, [bin, ...args], { env: { ...process.env, NO_COLOR: '1', ...env }, input: '', encoding: 'utf8', timeout: 20_000 });
}

async function project(): Promise<{ dir: string; env: NodeJS.ProcessEnv; code: string }> {
  const dir = tempProject();
  writeProject(dir, { a: { defs: defs([tool('x', 'X.')]) } });
  const env = { XDG_CACHE_HOME: join(dir, 'cache') };
  expect((await mcpm(['install', '-C', dir], { env })).status).toBe(0);
  return { dir, env, code: join(dir, 'cache', 'mcpm', 'code') };
}

/** The cache files of the bundle `name` (run-bundle.cjs, …), by name, with their modification times. */
function cacheFiles(code: string, name: string): Map<string, number> {
  const files = existsSync(code) ? readdirSync(code).filter((f) => f.startsWith(`${name}.`) && f.endsWith('.bin')) : [];
  return new Map(files.map((f) => [f, statSync(join(code, f)).mtimeMs]));
}

/** The first lines of the cache files of the bundle `name`: each names the file, and says whether it is partial. */
function headers(code: string, name: string): string[] {
  return [...cacheFiles(code, name).keys()].map((f) => readFileSync(join(code, f), 'latin1').split('\n')[0]!.trimEnd());
}

/** A copy of mcpm's install (bin, dist) in a directory of its own; `rename` edits its verify bundle to the same length. */
function installCopy(): { bin: string; rename(from: string, to: string): void } {
  const install = tempProject();
  for (const part of ['bin', 'dist', 'package.json']) cpSync(join(ROOT, part), join(install, part), { recursive: true });
  symlinkSync(join(ROOT, 'node_modules'), join(install, 'node_modules'), 'dir');
  return {
    bin: join(install, 'bin', 'mcpm.cjs'),
    rename(from, to) {
      expect(to.length).toBe(from.length);
      const bundle = join(install, 'dist', 'verify-bundle.cjs');
      const text = readFileSync(bundle, 'utf8');
      expect(text).toContain(`${from}: exit`);
      writeFileSync(bundle, text.replace(`${from}: exit`, `${to}: exit`));
    },
  };
}

describe('the code cache of the bundles', () => {
  it('is written by the first verify --offline and run, readable by the user alone, and taken as it is by the next', async () => {
    const { dir, env, code } = await project();
    for (const [args, bundles] of [
      [['verify', '--offline', '-C', dir, '-q'], ['verify-bundle.cjs', 'verify-bundle-rolldown-runtime.cjs']],
      [['run', '-C', dir, 'a'], ['run-bundle.cjs', 'run-bundle-relay.cjs']],
    ] as const) {
      const first = cli(BIN, [...args], env);
      expect(first.status, first.stderr).toBe(0);
      if (nodeKeepsIt) {
        expect(readdirSync(code).length).toBeGreaterThan(0);
        continue;
      }
      const written = bundles.map((b) => cacheFiles(code, b));
      for (const files of written) {
        expect(files.size).toBe(1);
        if (process.platform !== 'win32') for (const f of files.keys()) expect(statSync(join(code, f)).mode & 0o777).toBe(0o600);
      }
      if (args[0] === 'run') {
        // Kept when the server was spawned (the flags change then), the start is partial; the relay,
        // kept as soon as it loaded and again at exit, whole.
        expect(headers(code, 'run-bundle.cjs')).toEqual([expect.stringMatching(/ partial$/)]);
        expect(headers(code, 'run-bundle-relay.cjs')).toEqual([expect.not.stringMatching(/ partial$/)]);
      }
      const second = cli(BIN, [...args], env);
      expect(second.status, second.stderr).toBe(0);
      // Not written again: V8 took it (a cache it refuses is replaced).
      expect(bundles.map((b) => cacheFiles(code, b))).toEqual(written);
    }
  });

  it('kept when the flags changed (a large lock, read in full), is kept again whole by the next run that changes none, once', async () => {
    const { dir, env, code } = await project();
    const lock = join(dir, 'mcp.lock');
    writeFileSync(lock, relockedText(lock, (x) => Array.from({ length: 1500 }, (_, i) => ({ ...x, name: `t${i}`, description: `Tool ${i}. `.repeat(40) }))));
    const headerOf = () => headers(code, 'verify-bundle.cjs');
    const verify = () => expect(cli(BIN, ['verify', '--offline', '-C', dir, '-q'], env).status).toBe(0);
    verify();
    if (nodeKeepsIt) return;
    // The first read changes V8's flags before it parses the lock: what ran after is not in the cache.
    expect(headerOf()).toEqual([expect.stringMatching(/ partial$/)]);
    const partial = cacheFiles(code, 'verify-bundle.cjs');
    // The next reads the lock's outline and changes no flags: it keeps all it compiled.
    verify();
    const whole = cacheFiles(code, 'verify-bundle.cjs');
    expect([...whole.keys()]).toEqual([...partial.keys()]);
    expect(whole).not.toEqual(partial);
    expect(headerOf()).toEqual([expect.not.stringMatching(/ partial$/)]);
    verify();
    expect(cacheFiles(code, 'verify-bundle.cjs')).toEqual(whole);
  });

  it("removes other installs' caches not written for a month when it writes one, and keeps younger ones", async () => {
    const { dir, env, code } = await project();
    if (nodeKeepsIt) return;
    mkdirSync(code, { recursive: true, mode: 0o700 });
    const planted = (name: string, days: number) => {
      writeFileSync(join(code, name), 'x', { mode: 0o600 });
      const when = new Date(Date.now() - days * 24 * 60 * 60 * 1000);
      utimesSync(join(code, name), when, when);
    };
    planted('verify-bundle.cjs.0badcafe.gone.bin', 31);
    planted('verify-bundle.cjs.0badcafe.used.bin', 29);
    expect(cli(BIN, ['verify', '--offline', '-C', dir, '-q'], env).status).toBe(0);
    const left = readdirSync(code);
    expect(left).not.toContain('verify-bundle.cjs.0badcafe.gone.bin');
    expect(left).toContain('verify-bundle.cjs.0badcafe.used.bin');
    expect(cacheFiles(code, 'verify-bundle.cjs').size).toBe(2);
  });

  it("run's way to the full CLI (an ES module, imported) works from cached code", async () => {
    const { env } = await project();
    for (let i = 0; i < 2; i++) {
      const help = cli(BIN, ['run', '--help'], env);
      expect(help.status, help.stderr).toBe(0);
      expect(help.stdout).toContain('Usage: mcpm run');
    }
  });

  it('never gives a bundle rebuilt to the same length the code of the one before', async () => {
    const { dir, env } = await project();
    const install = installCopy();
    const verify = () => cli(install.bin, ['verify', '--offline', '-C', dir, '--json'], env);
    expect(verify().stdout).toContain('"exitStatus": 0');
    expect(verify().stdout).toContain('"exitStatus": 0');
    install.rename('exitStatus', 'exitStatuz');
    const changed = verify();
    expect(changed.status, changed.stderr).toBe(0);
    expect(changed.stdout).toContain('"exitStatuz": 0');
  });

  it("keeps two installs' caches apart, and takes no cache file renamed to another's name", async () => {
    if (nodeKeepsIt) return;
    const { dir, env, code } = await project();
    const a = installCopy();
    const b = installCopy();
    // The same build, and a bundle of the same length that says something else.
    b.rename('exitStatus', 'exitStatuz');
    const verify = (install: { bin: string }) => cli(install.bin, ['verify', '--offline', '-C', dir, '--json'], env);
    for (let i = 0; i < 2; i++) expect(verify(a).stdout).toContain('"exitStatus": 0');
    const [ofA] = [...cacheFiles(code, 'verify-bundle.cjs').keys()];
    for (let i = 0; i < 2; i++) expect(verify(b).stdout).toContain('"exitStatuz": 0');
    // Both kept: b did not remove a's, and a takes its own as it is.
    const both = cacheFiles(code, 'verify-bundle.cjs');
    expect(both.size).toBe(2);
    expect(verify(a).stdout).toContain('"exitStatus": 0');
    expect(cacheFiles(code, 'verify-bundle.cjs')).toEqual(both);
    // b's cache under a's name, as anyone who can write a shared cache directory can put it.
    const ofB = [...both.keys()].find((f) => f !== ofA)!;
    renameSync(join(code, ofB), join(code, ofA!));
    const swapped = verify(a);
    expect(swapped.status, swapped.stderr).toBe(0);
    expect(swapped.stdout).toContain('"exitStatus": 0');
    expect(swapped.stdout).not.toContain('exitStatuz');
  });

  it("removes the caches of the bundle's earlier builds when it writes one, and leaves other installs' alone", async () => {
    if (nodeKeepsIt) return;
    const { dir, env, code } = await project();
    const verify = () => expect(cli(BIN, ['verify', '--offline', '-C', dir, '-q'], env).status).toBe(0);
    verify();
    const [ours] = [...cacheFiles(code, 'verify-bundle.cjs').keys()];
    // verify-bundle.cjs.<install>.<build>.<identity>.<node>.bin
    const install = ours!.split('.').slice(0, 3).join('.');
    const earlier = `${install}.00000000-0000-0000-0000-000000000000.1-2-3-4-5.v20.0.0-x64-00000000.bin`;
    const other = `verify-bundle.cjs.0123abcd.00000000-0000-0000-0000-000000000000.1-2-3-4-5.v20.0.0-x64-00000000.bin`;
    for (const name of [earlier, other]) writeFileSync(join(code, name), 'x', { mode: 0o600 });
    // Taken as it is: nothing written, nothing removed.
    verify();
    expect(cacheFiles(code, 'verify-bundle.cjs').size).toBe(3);
    rmSync(join(code, ours!));
    verify();
    expect([...cacheFiles(code, 'verify-bundle.cjs').keys()].sort()).toEqual([ours, other].sort());
  });

  it("wraps every bundle file's code in a function it calls, which the cache compiles alone, and Node's own loader runs where there is no cache", async () => {
    const dist = join(ROOT, 'dist');
    const bundles = readdirSync(dist).filter((f) => f.endsWith('.cjs'));
    expect(bundles).toEqual(expect.arrayContaining(['run-bundle.cjs', 'run-bundle-relay.cjs', 'verify-bundle.cjs', 'code-cache.cjs']));
    for (const bundle of bundles) {
      const text = readFileSync(join(dist, bundle), 'latin1');
      const banner = /^\/\*mcpm-build [0-9a-f-]{36}\*\//.exec(text);
      expect(banner, bundle).not.toBeNull();
      expect(functionText(text, banner![0].length), bundle).toMatch(/^\(function \(exports, require, module, __filename, __dirname\) \{[^]*\}\)$/);
    }
    // No cache directory (no HOME, no XDG_CACHE_HOME): bin/mcpm.cjs leaves the bundles to Node's loader.
    const { dir } = await project();
    const bare = Object.fromEntries(Object.entries({ ...process.env, NO_COLOR: '1' }).filter(([k]) => k !== 'HOME' && k !== 'XDG_CACHE_HOME' && k !== 'XDG_STATE_HOME'));
    const uncached = (args: string[]) => spawnSync(process.execPath, [BIN, ...args], { env: bare, input: '', encoding: 'utf8', timeout: 20_000 });
    const verify = uncached(['verify', '--offline', '-C', dir]);
    expect(verify.status, verify.stderr).toBe(0);
    expect(verify.stdout).toMatch(/\ba\b.*ok|ok.*\ba\b/i);
    const run = spawnSync(process.execPath, [BIN, 'run', '-C', dir, 'a'], {
      env: bare,
      input: `${JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 't', version: '1' } } })}\n`,
      encoding: 'utf8',
      timeout: 20_000,
    });
    expect(run.status, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout.split('\n')[0]!)).toMatchObject({ id: 1, result: { serverInfo: expect.any(Object) } });
  });

  it('replaces a cache file that is not V8 code, or that others could write, and runs all the same', async () => {
    if (nodeKeepsIt) return;
    const { dir, env, code } = await project();
    const args = ['verify', '--offline', '-C', dir, '-q'];
    expect(cli(BIN, args, env).status).toBe(0);
    const [file] = [...cacheFiles(code, 'verify-bundle.cjs').keys()];
    const path = join(code, file!);
    const good = readFileSync(path);
    writeFileSync(path, Buffer.alloc(good.length, 7));
    const garbage = cli(BIN, args, env);
    expect(garbage.status, garbage.stderr).toBe(0);
    expect(readFileSync(path).every((b) => b === 7)).toBe(false);
    if (process.platform !== 'win32') {
      chmodSync(path, 0o666);
      const open = cli(BIN, args, env);
      expect(open.status, open.stderr).toBe(0);
      expect(statSync(path).mode & 0o777).toBe(0o600);
    }
  });
});
