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

  it('run starts the server before it loads node:crypto, node:tty or node:os, and a session after the first loads no node:crypto at all', async () => {
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
    const crypto = (list: string[]) => list.filter((m) => m === 'crypto' || m.startsWith('internal/crypto/'));
    const session = (input = ''): { stdout: string; atSpawn: string[]; atExit: string[] } => {
      const file = join(dir, 'builtins.txt');
      // stdin a pipe, as a host gives it (not a terminal: nothing asks node:tty).
      const r = spawnSync(process.execPath, ['--require', join(ROOT, 'test/fixtures/scripts/builtins-at-spawn.cjs'), BIN, 'run', '-C', dir, 'a'], {
        env: { ...env, BUILTINS_AT_SPAWN_FILE: file },
        input,
        encoding: 'utf8',
        timeout: 20_000,
      });
      expect(r.status, r.stderr).toBe(0);
      return { stdout: r.stdout, atSpawn: readFileSync(file, 'utf8').trim().split('\n'), atExit: readFileSync(`${file}.exit`, 'utf8').trim().split('\n') };
    };
    const first = session();
    expect(first.atSpawn).toContain('child_process');
    expect(crypto(first.atSpawn)).toEqual([]);
    expect(first.atSpawn.filter((m) => m === 'tty' || m === 'os')).toEqual([]);
    // The first session checked the entry in full (node:crypto, after the spawn) and kept that it passed.
    expect(crypto(first.atExit)).not.toEqual([]);
    // The next one takes it as checked, and the guard holds the server's answers to it without hashing.
    const requests = [
      { jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'host', version: '1' } } },
      { jsonrpc: '2.0', method: 'notifications/initialized' },
      { jsonrpc: '2.0', id: 2, method: 'tools/list' },
    ];
    const next = session(requests.map((r) => `${JSON.stringify(r)}\n`).join(''));
    const answers = next.stdout.trim().split('\n').map((line) => JSON.parse(line) as { id: number; result: { tools?: Array<{ name: string }> } });
    expect(answers.map((a) => a.id)).toEqual([1, 2]);
    expect(answers[1]!.result.tools!.map((t) => t.name)).toEqual(['x']);
    expect(crypto(next.atExit)).toEqual([]);
  });

  it("the start chunk holds none of the guard's session: that loads with the relay, once the server is spawned", () => {
    const start = readFileSync(join(ROOT, 'dist', 'run-bundle.cjs'), 'latin1');
    const relay = readFileSync(join(ROOT, 'dist', 'run-bundle-relay.cjs'), 'latin1');
    for (const made of ['function runSession(', 'function coalescedWrites(', 'var GuardRelay = class', 'var WireCheck = class']) {
      expect(relay, made).toContain(made);
      expect(start, made).not.toContain(made);
    }
  });

  it('the chunks run loads before the first answer build no class of Unicode properties at their top level', () => {
    // V8 builds such a class when it creates the expression (up to 1.5 ms each): the findings'
    // expressions are made at their first use (core/made-once.ts), not while the server starts.
    for (const file of ['run-bundle.cjs', 'run-bundle-relay.cjs']) {
      const topLevel = readFileSync(join(ROOT, 'dist', file), 'latin1')
        .split('\n')
        .filter((line) => /^(?:const|let|var) [\w$]+ = (?:\/|new RegExp\()/.test(line));
      expect(topLevel.length, file).toBeGreaterThan(0);
      expect(topLevel.filter((line) => line.includes('\\p{')), file).toEqual([]);
    }
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
