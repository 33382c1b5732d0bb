// The published shape: `npm pack` gives a tarball that installs and runs as `mcpm` and
// `mcp-lockfile`, ships its licence, no source maps and nothing importable but package.json; the
// bin turns any failure to load mcpm into exit 70; the run bundle builds without a warning; and
// nothing in the repository sends a reader to a file outside it.
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BIN, ROOT, SERVERS, tempProject } from './helpers.js';

/** Every file under `dir`, recursively, except node_modules. */
function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'node_modules' ? [] : filesUnder(path);
    return [path];
  });
}

describe('the npm package', () => {
  it('packs, installs and runs under both command names, with its licence, no source maps and only package.json exported', () => {
    const dir = tempProject();
    execFileSync('npm', ['pack', '--pack-destination', dir, '--ignore-scripts'], { cwd: ROOT, stdio: 'pipe', timeout: 60_000 });
    const tarball = readdirSync(dir).find((f) => f.endsWith('.tgz'))!;
    expect(tarball).toMatch(/^mcp-lockfile-\d+\.\d+\.\d+\.tgz$/);
    // The README's "in your own project" install, verbatim, into a user-level global prefix.
    const prefix = join(dir, 'user');
    const env = { ...process.env, NPM_CONFIG_PREFIX: prefix, npm_config_prefer_offline: 'true', npm_config_audit: 'false', npm_config_fund: 'false' };
    execFileSync('sh', ['-c', 'npm i -g ./mcp-lockfile-*.tgz'], { cwd: dir, env, stdio: 'pipe', timeout: 180_000 });
    const bins = join(prefix, 'bin');
    for (const bin of ['mcpm', 'mcp-lockfile']) {
      const out = execFileSync(join(bins, bin), ['--version'], { encoding: 'utf8', timeout: 20_000 });
      expect(out.trim()).toMatch(/^mcp-lockfile \d+\.\d+\.\d+$/);
    }
    // Two other npm packages install `mcp-lock`; this one must not shadow them.
    expect(existsSync(join(bins, 'mcp-lock'))).toBe(false);

    const installed = join(prefix, 'lib', 'node_modules', 'mcp-lockfile');
    expect(readFileSync(join(installed, 'LICENSE'), 'utf8')).toMatch(/^MIT License\n\nCopyright \(c\) \d{4} mcpm contributors\n/);
    // Maps would point at src/, which is not shipped.
    const shipped = filesUnder(installed);
    expect(shipped.filter((f) => f.endsWith('.map'))).toEqual([]);
    expect(shipped.filter((f) => /\.(c|m)?js$/.test(f) && readFileSync(f, 'utf8').includes('sourceMappingURL')).map((f) => relative(installed, f))).toEqual([]);

    // Only package.json can be imported; dist/ is internal and may change in any release.
    const resolveFrom = (specifier: string) =>
      spawnSync(process.execPath, ['-e', `require.resolve(${JSON.stringify(specifier)})`], { cwd: join(prefix, 'lib'), encoding: 'utf8', timeout: 20_000 });
    expect(resolveFrom('mcp-lockfile/package.json').status).toBe(0);
    for (const specifier of ['mcp-lockfile', 'mcp-lockfile/dist/cli.js']) {
      const r = resolveFrom(specifier);
      expect(r.status, specifier).not.toBe(0);
      expect(r.stderr).toMatch(/ERR_PACKAGE_PATH_NOT_EXPORTED/);
    }

    // `run` takes its own bundled entry (dist/run-bundle.cjs, required by the CommonJS bin): shipped too.
    const project = join(dir, 'project');
    mkdirSync(project);
    writeFileSync(join(project, '.mcp.json'), JSON.stringify({ mcpServers: { notes: { command: 'node', args: ['server.js'] } } }));
    for (const bin of ['mcpm', 'mcp-lockfile']) {
      const run = spawnSync(join(bins, bin), ['run', '-C', project, 'notes'], { input: '', encoding: 'utf8', timeout: 20_000 });
      expect(run.status).toBe(1);
      expect(run.stderr).toContain('mcpm: server "notes" was not started: mcp.lock does not exist');
    }

    // Then the README's lines in a project, with the installed commands on PATH.
    const own = join(dir, 'own');
    mkdirSync(own);
    const defsFile = join(own, 'notes.defs.json');
    writeFileSync(defsFile, JSON.stringify({ serverInfo: { name: 'notes', version: '1.0.0' }, capabilities: { tools: {} }, tools: [{ name: 'add', description: 'Adds.', inputSchema: { type: 'object' } }] }));
    writeFileSync(join(own, '.mcp.json'), JSON.stringify({ mcpServers: { notes: { command: process.execPath, args: [join(SERVERS, 'static.mjs')], env: { FIXTURE_DEFS: defsFile } } } }));
    const path = `${bins}:${process.env.PATH ?? ''}`;
    for (const line of ['mcp-lockfile install', 'mcp-lockfile verify']) {
      const result = spawnSync('sh', ['-c', line], { cwd: own, env: { ...process.env, PATH: path, NO_COLOR: '1' }, encoding: 'utf8', timeout: 30_000 });
      expect(result.status, `${line}: ${result.stdout}${result.stderr}`).toBe(0);
    }
    expect(existsSync(join(own, 'mcp.lock'))).toBe(true);
  }, 240_000);
});

describe('bin/mcpm.cjs', () => {
  /** A copy of the bin in a package of its own, with the given dist/ files. */
  function install(dist: Record<string, string>): string {
    const dir = tempProject();
    mkdirSync(join(dir, 'bin'));
    copyFileSync(BIN, join(dir, 'bin', 'mcpm.cjs'));
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'mcp-lockfile', type: 'module' }));
    for (const [name, text] of Object.entries(dist)) {
      mkdirSync(join(dir, 'dist'), { recursive: true });
      writeFileSync(join(dir, 'dist', name), text);
    }
    return join(dir, 'bin', 'mcpm.cjs');
  }
  const run = (bin: string, args: string[]) => spawnSync(process.execPath, [bin, ...args], { input: '', encoding: 'utf8', timeout: 20_000 });

  it.each([
    ['dist/ is missing', {}],
    ['a module throws while loading', { 'cli.js': "throw new Error('boom');\n", 'run-bundle.cjs': "throw new Error('boom');\n" }],
    ['main() rejects', { 'cli.js': "export async function main() { throw new Error('boom'); }\n", 'run-bundle.cjs': "exports.main = async () => { throw new Error('boom'); };\n" }],
  ])('exits 70 with "mcpm: internal error" when %s, for run and for every other command', (_what, dist) => {
    const bin = install(dist);
    for (const args of [['--version'], ['run', 'notes']]) {
      const r = run(bin, args);
      expect(r.status, args.join(' ')).toBe(70);
      expect(r.stderr).toMatch(/^mcpm: internal error /);
      expect(r.stdout).toBe('');
    }
  });

  it("passes main()'s status through: run takes the bundle, everything else dist/cli.js", () => {
    const bin = install({ 'cli.js': 'export async function main() { return 3; }\n', 'run-bundle.cjs': 'exports.main = async () => 1;\n' });
    expect(run(bin, ['verify']).status).toBe(3);
    expect(run(bin, ['run', 'notes']).status).toBe(1);
  });

  it('keeps the old bin path working for host entries guarded before bin/mcpm.cjs', () => {
    const old = spawnSync(process.execPath, [join(ROOT, 'bin', 'mcpm.js'), '--version'], { encoding: 'utf8', timeout: 20_000 });
    const current = spawnSync(process.execPath, [BIN, '--version'], { encoding: 'utf8', timeout: 20_000 });
    expect(old.status, old.stderr).toBe(0);
    expect(old.stdout).toBe(current.stdout);
  });

  it('is executable, and has no package.json beside it to make it CommonJS: its extension does', () => {
    expect(statSync(BIN).mode & 0o111).not.toBe(0);
    expect(existsSync(join(ROOT, 'bin', 'package.json'))).toBe(false);
  });
});

describe('the build', () => {
  it('bundles `mcpm run` without a warning (options and flags the installed rolldown knows)', () => {
    const out = tempProject();
    const rolldown = join(ROOT, 'node_modules', 'rolldown', 'bin', 'cli.mjs');
    const script = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).scripts.build as string;
    // The flags the build script passes, plus an output directory of our own: dist/ is in use.
    const flags = script.slice(script.indexOf('rolldown ') + 'rolldown '.length).split(' ');
    const r = spawnSync(process.execPath, [rolldown, ...flags, '--dir', out], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
    expect(r.status, r.stderr).toBe(0);
    expect(`${r.stdout}\n${r.stderr}`).not.toMatch(/warn|unrecognized|invalid/i);
    expect(readdirSync(out).filter((f) => f.startsWith('run-bundle')).sort()).toEqual(
      [
        'run-bundle-allowlist-source.cjs',
        'run-bundle-audit-log.cjs',
        'run-bundle-env-file.cjs',
        'run-bundle-guard-telemetry.cjs',
        'run-bundle-headers-helper.cjs',
        'run-bundle-hosts.cjs',
        'run-bundle-http-upstream.cjs',
        'run-bundle-provider.cjs',
        'run-bundle-reflected-secrets.cjs',
        'run-bundle-relay.cjs',
        'run-bundle-sidecar.cjs',
        'run-bundle-sse-upstream.cjs',
        'run-bundle-store.cjs',
        'run-bundle-telemetry.cjs',
        'run-bundle.cjs',
      ],
    );
    // Before the spawn only the start chunk and Node's own modules load: every other chunk is
    // required inside an import(), and node:os and node:tty (milliseconds) not at all.
    const start = readFileSync(join(out, 'run-bundle.cjs'), 'utf8');
    const topLevel = [...start.matchAll(/^(?:const|let|var) \w+ = require\("([^"]+)"\)/gm)].map((m) => m[1]);
    expect(topLevel.length).toBeGreaterThan(3);
    expect(topLevel.filter((id) => !id!.startsWith('node:') || id === 'node:os' || id === 'node:tty')).toEqual([]);
    const chunks = [...start.matchAll(/require\("\.\/[^"]+"\)/g)].length;
    expect(chunks).toBeGreaterThan(5);
    expect([...start.matchAll(/Promise\.resolve\(\)\.then\(\(\) => require\("\.\/[^"]+"\)\)/g)].length).toBe(chunks);
  });
});

describe('the repository', () => {
  it('sends no reader to a file outside it: every comment and doc states its reason in place', () => {
    const outside = /attacks\.md|protocol-and-hosts|STYLE\.md|cli-contract|research\/|\.\.\/shared/;
    const roots = ['src', 'docs', 'test', 'bench', 'scripts', 'bin', 'examples'];
    const files = [...roots.flatMap((d) => filesUnder(join(ROOT, d))), ...['README.md', 'rolldown.config.mjs', 'eslint.config.js', 'vitest.config.ts', 'tsconfig.json', 'tsconfig.build.json'].map((f) => join(ROOT, f))];
    const self = join(ROOT, 'test', 'e2e', 'package.test.ts');
    const hits = files
      .filter((f) => f !== self && /\.(m|c)?[jt]sx?$|\.md$|\.json$/.test(f))
      .flatMap((f) => readFileSync(f, 'utf8').split('\n').flatMap((line, i) => (outside.test(line) ? [`${relative(ROOT, f)}:${i + 1}: ${line.trim()}`] : [])));
    expect(hits).toEqual([]);
  });
});
