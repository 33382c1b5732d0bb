// Start-up cost: `--help` and `verify --offline` must not load the SDK, execa, ink or react
// (about 0.5 s on Node 20), nor the keychain binding; `mcpm run` of a stdio server none of the
// login code either. Checked on the modules actually loaded, not on timings.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BIN, ROOT, defs, tempProject, tool, writeProject } from './helpers.js';

const HEAVY = /node_modules\/(@modelcontextprotocol|@napi-rs|execa|ink|react|zod|smol-toml)\//;

function loaded(args: string[], cwd: string): { status: number | null; modules: string[] } {
  const file = join(cwd, 'imports.txt');
  const r = spawnSync(process.execPath, ['--import', join(ROOT, 'test/fixtures/scripts/trace-imports.mjs'), BIN, ...args], {
    cwd,
    env: { ...process.env, TRACE_IMPORTS_FILE: file },
    encoding: 'utf8',
    timeout: 20_000,
  });
  let modules: string[] = [];
  try {
    modules = readFileSync(file, 'utf8').trim().split('\n');
  } catch {
    modules = [];
  }
  return { status: r.status, modules };
}

/** The CommonJS modules required and the ES modules imported by one mcpm run (stdin empty). */
function traced(args: string[], cwd: string): { status: number | null; stderr: string; required: string[]; imported: string[] } {
  const esm = join(cwd, 'imports.txt');
  const cjs = join(cwd, 'requires.txt');
  const r = spawnSync(
    process.execPath,
    ['--require', join(ROOT, 'test/fixtures/scripts/trace-require.cjs'), '--import', join(ROOT, 'test/fixtures/scripts/trace-imports.mjs'), BIN, ...args],
    { cwd, env: { ...process.env, TRACE_IMPORTS_FILE: esm, TRACE_REQUIRE_FILE: cjs }, input: '', encoding: 'utf8', timeout: 20_000 },
  );
  const lines = (file: string) => (existsSync(file) ? readFileSync(file, 'utf8').trim().split('\n') : []);
  return { status: r.status, stderr: r.stderr, required: lines(cjs), imported: lines(esm) };
}

describe('start-up imports', () => {
  it('--help loads none of the heavy modules', () => {
    const dir = tempProject();
    const { status, modules } = loaded(['--help'], dir);
    expect(status).toBe(0);
    expect(modules.some((m) => m.includes('commander'))).toBe(true);
    expect(modules.filter((m) => HEAVY.test(m))).toEqual([]);
  });

  it('verify --offline and ls load none of them either', async () => {
    const dir = tempProject();
    writeProject(dir, { a: { defs: defs([tool('x', 'X.')]) } });
    const { mcpm } = await import('./helpers.js');
    expect((await mcpm(['install', '-C', dir])).status).toBe(0);
    // Options before the command: the full CLI, module by module.
    for (const args of [['-C', dir, 'verify', '--offline'], ['ls', '-C', dir]]) {
      const { status, modules } = loaded(args, dir);
      expect(status).toBe(0);
      expect(modules.some((m) => m.includes('/dist/core/lockfile.js'))).toBe(true);
      expect(modules.filter((m) => HEAVY.test(m))).toEqual([]);
    }
  });

  it('verify --offline, as hooks run it, loads its bundle only: no commander, no ES module of mcpm', async () => {
    const dir = tempProject();
    writeProject(dir, { a: { defs: defs([tool('x', 'X.')]) } });
    const { mcpm } = await import('./helpers.js');
    expect((await mcpm(['install', '-C', dir])).status).toBe(0);
    const { status, stderr, required, imported } = traced(['verify', '--offline', '-C', dir, '-q'], dir);
    expect(status, stderr).toBe(0);
    const ours = required.filter((m) => m.startsWith(join(ROOT, 'dist')));
    expect(ours).toContain(join(ROOT, 'dist/verify-bundle.cjs'));
    // And the code cache's own small bundle, which loads it (src/code-cache.ts).
    expect(ours.filter((m) => !/\/dist\/verify-bundle[-.]/.test(m))).toEqual([join(ROOT, 'dist/code-cache.cjs')]);
    // What only online verify, --format sarif, --otlp or an allow-list load stays out.
    expect(ours.filter((m) => /snapshot-all|execa|pins|sarif|telemetry|allowlist-source|hosts/.test(m))).toEqual([]);
    expect(imported.filter((m) => m.includes('/dist/') || m.includes('commander'))).toEqual([]);
    expect(required.filter((m) => m.includes('commander') || HEAVY.test(m))).toEqual([]);
  });

  it('run, as hosts start it, loads the run bundle only: no commander, no dist/cli.js, no ES module of mcpm', async () => {
    const dir = tempProject();
    writeProject(dir, { a: { defs: defs([tool('x', 'X.')]) } });
    const { mcpm } = await import('./helpers.js');
    expect((await mcpm(['install', '-C', dir])).status).toBe(0);
    // stdin closed at once: the guard starts the server, sees the host leave and ends both.
    const { status, stderr, required, imported } = traced(['run', '-C', dir, 'a'], dir);
    expect(status, stderr).toBe(0);
    expect(required.filter((m) => m.startsWith(join(ROOT, 'dist')))).toEqual([join(ROOT, 'dist/code-cache.cjs'), join(ROOT, 'dist/run-bundle.cjs'), join(ROOT, 'dist/run-bundle-relay.cjs')]);
    expect(imported.filter((m) => m.includes('/dist/') || m.includes('commander'))).toEqual([]);
    expect(required.filter((m) => m.includes('commander') || HEAVY.test(m))).toEqual([]);
  });

  it('run starts the server before it loads node:crypto (16 modules, milliseconds a host waits for at every session start)', async () => {
    const dir = tempProject();
    writeProject(dir, { a: { defs: defs([tool('x', 'X.')]) } });
    // The value as a reference: a literal value is checked with scrypt, from node:crypto, before the spawn.
    const config = join(dir, '.mcp.json');
    const text = readFileSync(config, 'utf8');
    const defsFile = (JSON.parse(text) as { mcpServers: { a: { env: { FIXTURE_DEFS: string } } } }).mcpServers.a.env.FIXTURE_DEFS;
    writeFileSync(config, text.replace(JSON.stringify(defsFile), '"${DEFS_FILE}"'));
    const env = { ...process.env, DEFS_FILE: defsFile, XDG_CACHE_HOME: join(dir, 'cache') };
    const { mcpm } = await import('./helpers.js');
    expect((await mcpm(['install', '-C', dir], { env })).status).toBe(0);
    const file = join(dir, 'builtins.txt');
    const r = spawnSync(process.execPath, ['--require', join(ROOT, 'test/fixtures/scripts/builtins-at-spawn.cjs'), BIN, 'run', '-C', dir, 'a'], {
      env: { ...env, BUILTINS_AT_SPAWN_FILE: file },
      input: '',
      encoding: 'utf8',
      timeout: 20_000,
    });
    expect(r.status, r.stderr).toBe(0);
    const builtins = readFileSync(file, 'utf8').trim().split('\n');
    expect(builtins).toContain('child_process');
    expect(builtins.filter((m) => m === 'crypto' || m.startsWith('internal/crypto/'))).toEqual([]);
  });

  it('the bundles run and verify --offline load are ASCII without comments: Node reads them as one byte a character', () => {
    const bundles = readdirSync(join(ROOT, 'dist')).filter((f) => /^(run|verify)-bundle.*\.cjs$/.test(f));
    expect(bundles).toContain('run-bundle.cjs');
    expect(bundles).toContain('verify-bundle.cjs');
    for (const file of bundles) {
      const text = readFileSync(join(ROOT, 'dist', file), 'latin1');
      expect(text.match(/[\u0080-\u00ff]/)?.index, file).toBeUndefined();
      // A JSDoc comment kept would start a line with "/**".
      expect(/^\s*\/\*\*/m.test(text), file).toBe(false);
    }
  });
});
