// Errors a newcomer meets: each with its own hint (which keeps the options given), JSON on stdout
// with --json whatever the error, the project found from a subdirectory, lock messages that say
// what is there.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BIN, defs, mcpm, ROOT, tempProject, tool, writeProject } from './helpers.js';

interface ErrorJson {
  error: { code: string; message: string; hint: string | null; detail?: string };
  exitStatus: number;
}

/** stdout is exactly one JSON object of the error shape. */
function errorJson(stdout: string): ErrorJson {
  const parsed = JSON.parse(stdout) as ErrorJson;
  expect(Object.keys(parsed).sort()).toEqual(['error', 'exitStatus']);
  return parsed;
}

const read = (dir: string, file = 'mcp.lock') => readFileSync(join(dir, file), 'utf8');

describe('--json means JSON, also on error', () => {
  it('usage, config and lock errors are one JSON object on stdout, with the exit status', async () => {
    const dir = tempProject();
    const usage = await mcpm(['install', '--bogus', '--json', '-C', dir]);
    expect(usage.status).toBe(2);
    expect(errorJson(usage.stdout)).toEqual({
      error: { code: 'USAGE', message: "unknown option '--bogus'", hint: 'run "mcpm install --help" for usage' },
      exitStatus: 2,
    });
    // In the words of every other error: `mcpm: …`, then `hint: …`.
    expect(usage.stderr).toContain("mcpm: unknown option '--bogus'\n");
    const typo = await mcpm(['instal', '-C', dir]);
    expect(typo.stderr).toBe("mcpm: unknown command 'instal'\nhint: did you mean install?\nhint: run \"mcpm --help\" for usage\n");

    const missingArgument = await mcpm(['update', '--json']);
    expect(errorJson(missingArgument.stdout).error).toMatchObject({ code: 'USAGE', message: "missing required argument 'name'" });

    const noConfig = await mcpm(['verify', '--json', '-C', dir]);
    expect(noConfig.status).toBe(2);
    expect(errorJson(noConfig.stdout)).toMatchObject({ error: { code: 'CONFIG_NOT_FOUND', hint: 'create .mcp.json, or pass --config FILE' }, exitStatus: 2 });

    writeProject(dir, { a: { defs: defs([tool('x', 'X.')]) } });
    writeFileSync(join(dir, 'mcp.lock'), '{\n<<<<<<< HEAD\n  "a": 1\n=======\n  "a": 2\n>>>>>>> theirs\n}\n');
    for (const args of [['verify', '--format=json'], ['ls', '--json'], ['diff', '--json'], ['outdated', '--json'], ['pin', '--json']]) {
      const conflict = await mcpm([...args, '-C', dir]);
      expect(conflict.status, args[0]).toBe(2);
      expect(errorJson(conflict.stdout).error.code, args[0]).toBe('LOCKFILE_CONFLICT_MARKERS');
    }
  });

  it('--version --json and ls --json are top-level objects; without --json an error prints nothing on stdout', async () => {
    const version = await mcpm(['--version', '--json']);
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { name: string; version: string };
    expect(JSON.parse(version.stdout)).toEqual({ name: pkg.name, version: pkg.version, exitStatus: 0 });
    expect((await mcpm(['--version'])).stdout).toBe(`${pkg.name} ${pkg.version}\n`);

    const dir = tempProject();
    writeProject(dir, { a: { defs: defs([tool('x', 'X.')]) } });
    const ls = await mcpm(['ls', '--json', '-C', dir]);
    expect(JSON.parse(ls.stdout)).toMatchObject({ servers: [{ name: 'a', status: 'new' }], exitStatus: 0 });

    const plain = await mcpm(['verify', '-C', join(dir, 'nope')]);
    expect(plain).toMatchObject({ status: 2, stdout: '' });
  });

  it('an internal error (70) is JSON too', () => {
    // The process boundary itself, with a body that has a bug: a real process, its real stdout.
    const script = `import('${join(ROOT, 'dist', 'entry.js')}').then((m) => m.runAsProcess(async () => { throw new TypeError('boom'); }, { json: () => true })).then((s) => { process.exitCode = s; });`;
    const result = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
    expect(result.status).toBe(70);
    expect(errorJson(result.stdout)).toMatchObject({ error: { code: 'INTERNAL', message: expect.stringContaining('boom'), hint: expect.stringContaining('report') }, exitStatus: 70 });
    expect(result.stderr).toContain('mcpm: internal error (this is a bug in mcpm)');

    // mcpm that cannot even load (a file missing from the install): the bin says so, in JSON too.
    const broken = tempProject();
    mkdirSync(join(broken, 'bin'));
    writeFileSync(join(broken, 'bin', 'mcpm.cjs'), readFileSync(BIN));
    const unloadable = spawnSync(process.execPath, [join(broken, 'bin', 'mcpm.cjs'), 'verify', '--json'], { encoding: 'utf8' });
    expect(unloadable.status).toBe(70);
    expect(errorJson(unloadable.stdout)).toMatchObject({ error: { code: 'INTERNAL', hint: expect.stringContaining('reinstall') }, exitStatus: 70 });
  });
});

describe('--quiet', () => {
  it('prints the problems only: a server that failed, not one locked beside it', async () => {
    const dir = tempProject();
    writeProject(dir, { fine: { defs: defs([tool('x', 'X.')]) } });
    const config = JSON.parse(read(dir, '.mcp.json')) as { mcpServers: Record<string, unknown> };
    config.mcpServers.missing = { command: 'mcpm-test-no-such-command' };
    writeFileSync(join(dir, '.mcp.json'), JSON.stringify(config));
    const result = await mcpm(['install', '-q', '-C', dir]);
    expect(result.status).toBe(3);
    expect(result.stdout).toContain('ERROR  missing');
    expect(result.stdout).not.toContain('fine');
  });
});

describe('hints that fit the error', () => {
  it('a missing command, a crash and a duplicate tool name each get their own hint; none says --timeout', async () => {
    const dir = tempProject();
    writeProject(dir, {
      crash: { script: 'die-after.mjs', env: { FIXTURE_DIE_AFTER_BYTES: '0' }, defs: defs([tool('x', 'X.')]) },
      twice: { defs: defs([tool('same', 'One.'), tool('same', 'Two.')]) },
    });
    const config = JSON.parse(read(dir, '.mcp.json')) as { mcpServers: Record<string, unknown> };
    config.mcpServers.missing = { command: 'mcpm-test-no-such-command' };
    writeFileSync(join(dir, '.mcp.json'), JSON.stringify(config));
    const result = await mcpm(['install', '-C', dir, '--json']);
    expect(result.status).toBe(3);
    const byName = new Map((JSON.parse(result.stdout) as { servers: Array<{ name: string; error: { code: string; hint?: string } }> }).servers.map((s) => [s.name, s.error]));
    expect(byName.get('missing')).toMatchObject({ code: 'SERVER_SPAWN_FAILED', hint: expect.stringContaining('installed and on PATH') });
    expect(byName.get('twice')).toMatchObject({ code: 'SERVER_PROTOCOL', hint: expect.stringContaining('does not follow the MCP specification') });
    // Every server error carries a hint in --json too, the one the text prints.
    expect(byName.get('crash')).toMatchObject({ code: 'SERVER_EXITED', hint: expect.stringMatching(/the stderr it wrote \(shown with the error\) says why it stopped|it wrote nothing on stderr/) });
    expect(result.stderr).not.toContain('--timeout');
    expect(result.stderr).toMatch(/SERVER_EXITED|exited|closed its stdout/);
    expect(result.stderr).toMatch(/crash[^]*hint: (the stderr it wrote \(shown with the error\) says why|it wrote nothing on stderr)/);
  });

  it('hints keep -C, --config and --lockfile as given, and --host drops -C', async () => {
    const dir = tempProject();
    writeProject(dir, { a: { defs: defs([tool('x', 'X.')]) } });
    const given = await mcpm(['install', 'nope', '-C', dir, '--lockfile', 'ci.lock', '--config', '.mcp.json']);
    expect(given.status).toBe(2);
    expect(given.stderr).toContain(`hint: run "mcpm -C ${dir} --config .mcp.json --lockfile ci.lock ls" to see the configured servers\n`);

    // --host picks the config and the lock: -C is not repeated, and the host's lock is not spelt out.
    mkdirSync(join(dir, '.cursor'));
    writeFileSync(join(dir, '.cursor', 'mcp.json'), read(dir, '.mcp.json'));
    const host = await mcpm(['verify', 'nope', '-C', dir, '--host', 'cursor'], { env: { HOME: dir } });
    expect(host.status).toBe(2);
    expect(host.stderr).toContain('hint: run "mcpm --host cursor ls" to see the configured servers\n');

    // --lockfile naming a directory: another path is the fix, never deleting it.
    mkdirSync(join(dir, 'locks'));
    const directory = await mcpm(['install', '-C', dir, '--lockfile', 'locks']);
    expect(directory.status).toBe(2);
    expect(directory.stderr).toContain('hint: pass --lockfile the path of the lock file itself (for example locks/mcp.lock), not a directory');
    expect(directory.stderr).not.toMatch(/hint:.*remove/);
  });

  it('unset variables: exit 2 before anything starts, every one listed', async () => {
    const dir = tempProject();
    writeProject(dir, { a: { defs: defs([tool('x', 'X.')]), args: ['${FIRST_UNSET}', '${WITH_DEFAULT:-x}'] }, b: { env: { TOKEN: '${SECOND_UNSET}' } } });
    const result = await mcpm(['install', '-C', dir, '--json']);
    expect(result.status).toBe(2);
    const { error } = errorJson(result.stdout);
    expect(error.code).toBe('CONFIG_VARIABLE_UNRESOLVED');
    expect(error.detail).toContain('"FIRST_UNSET" is not set');
    expect(error.detail).toContain('"SECOND_UNSET" is not set');
    expect(error.hint).toBe('set FIRST_UNSET and SECOND_UNSET, or give each a default in the config: ${NAME:-default}');
    expect(() => read(dir)).toThrow();
  });
});

describe('finding the project', () => {
  it('from a subdirectory: the config and lock above are used, and said so; -v says it in place too', async () => {
    const dir = tempProject();
    execFileSync('git', ['init', '-q', dir]);
    writeProject(dir, { a: { defs: defs([tool('x', 'X.')]) } });
    const sub = join(dir, 'src', 'deep');
    mkdirSync(sub, { recursive: true });
    const installed = await mcpm(['install'], { cwd: sub });
    expect(installed.status, installed.stderr).toBe(0);
    expect(installed.stderr).toBe('mcpm: using ../../.mcp.json and lock ../../mcp.lock (not created yet)\n');
    expect(installed.stdout).toContain('wrote ../../mcp.lock');
    expect(read(dir)).toContain('"a"');
    const verified = await mcpm(['verify', '--offline'], { cwd: sub });
    expect(verified.status).toBe(0);
    expect(verified.stderr).toBe('mcpm: using ../../.mcp.json and lock ../../mcp.lock\n');
    const here = await mcpm(['verify', '--offline', '-v'], { cwd: dir });
    expect(here.stderr).toBe('mcpm: using .mcp.json and lock mcp.lock\n');
    expect((await mcpm(['verify', '--offline'], { cwd: dir })).stderr).toBe('');
  });

  it('the search stops at the repository root; -C that does not exist is a usage error', async () => {
    const outer = tempProject();
    writeProject(outer, { a: { defs: defs([tool('x', 'X.')]) } });
    const repo = join(outer, 'repo');
    mkdirSync(join(repo, 'sub'), { recursive: true });
    execFileSync('git', ['init', '-q', repo]);
    const result = await mcpm(['verify', '--offline'], { cwd: join(repo, 'sub') });
    expect(result.status).toBe(2);
    expect(result.stderr).toContain(`no MCP config found in ${join(repo, 'sub')}`);

    const missing = await mcpm(['verify', '-C', join(outer, 'typo')]);
    expect(missing.status).toBe(2);
    expect(missing.stderr).toBe(`mcpm: -C ${join(outer, 'typo')}: no such directory\nhint: check the path given to -C\n`);
  });
});

describe('lock messages', () => {
  it('a lock that does not exist is never "up to date"; --lockfile typo is LOCKFILE_MISSING', async () => {
    const dir = tempProject();
    writeProject(dir, { bad: { script: 'die-after.mjs', env: { FIXTURE_DIE_AFTER_BYTES: '0' } } });
    const failed = await mcpm(['install', '-C', dir]);
    expect(failed.status).toBe(3);
    expect(failed.stdout).toContain('mcp.lock was not created: no server could be locked\n');
    expect(failed.stdout).not.toMatch(/up to date|unchanged/);

    writeFileSync(join(dir, '.mcp.json'), '{"mcpServers": {}}');
    expect((await mcpm(['install', '-C', dir])).stdout).toContain('mcp.lock was not created: no server is configured\n');

    const typo = await mcpm(['verify', '-C', dir, '--lockfile', 'mcp.lokc', '--json']);
    expect(typo.status).toBe(2);
    expect(errorJson(typo.stdout).error).toEqual({
      code: 'LOCKFILE_MISSING',
      message: 'mcp.lokc: no such lock file',
      hint: `check the path given to --lockfile; "mcpm -C ${dir} --lockfile mcp.lokc install" creates the lock`,
    });
  });

  it('a config with conflict markers gets the lock\'s message; the tamper message names each entry once', async () => {
    const dir = tempProject();
    writeProject(dir, { a: { defs: defs([tool('x', 'Reads a file.')]) }, b: { defs: defs([tool('y', 'Writes a file.')]) } });
    expect((await mcpm(['install', '-C', dir])).status).toBe(0);
    const lock = read(dir);
    writeFileSync(join(dir, 'mcp.lock'), lock.replace('Reads a file.', 'Reads a file!').replace('Writes a file.', 'Writes a file!'));
    const tampered = await mcpm(['verify', '--offline', '-C', dir]);
    expect(tampered.status).toBe(2);
    const first = tampered.stderr.split('\n')[0]!;
    expect(first).toBe('mcpm: mcp.lock: entry "a" does not match its integrity at snapshot.tools["x"].integrity (edited by hand?); so does entry "b"');

    writeFileSync(join(dir, 'mcp.lock'), lock);
    const config = read(dir, '.mcp.json');
    writeFileSync(join(dir, '.mcp.json'), `<<<<<<< HEAD\n${config}\n=======\n${config}\n>>>>>>> theirs\n`);
    const conflicted = await mcpm(['verify', '--offline', '-C', dir, '--json']);
    expect(conflicted.status).toBe(2);
    expect(errorJson(conflicted.stdout).error).toEqual({
      code: 'CONFIG_INVALID',
      message: '.mcp.json has merge conflict markers (line 1); mcpm never merges server definitions by itself',
      hint: `take one side (git checkout --ours/--theirs .mcp.json), then run "mcpm -C ${dir} verify" to see what the merge changed`,
    });
  });
});
