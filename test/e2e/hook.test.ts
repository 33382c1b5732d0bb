// `mcpm hook install` and `uninstall` in real, temporary git repositories: the hook refuses a commit
// that adds an unlocked server, lets it through once `mcpm install` has locked it, keeps (and runs)
// a hook that was there before, follows core.hooksPath, checks every project of a monorepo it was
// installed for, and uninstalls project by project, putting the chained hook back.
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, realpathSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BIN, defs, mcpm, ROOT, tempProject, tool, writeProject } from './helpers.js';

/** git with no user or system config of the machine running the tests (signing, hooks, templates). */
function git(dir: string, ...args: string[]): { status: number | null; out: string } {
  const result = spawnSync('git', args, {
    cwd: dir,
    encoding: 'utf8',
    timeout: 60_000,
    env: { ...process.env, GIT_CONFIG_GLOBAL: '/dev/null', GIT_CONFIG_NOSYSTEM: '1', NO_COLOR: '1' },
  });
  return { status: result.status, out: `${result.stdout}${result.stderr}` };
}

function repository(): string {
  const dir = tempProject();
  for (const args of [
    ['init', '-q', '-b', 'main'],
    ['config', 'user.name', 'Test'],
    ['config', 'user.email', 'test@example.invalid'],
    ['config', 'commit.gpgsign', 'false'],
  ]) {
    expect(git(dir, ...args).status).toBe(0);
  }
  writeFileSync(join(dir, 'README.md'), 'hello\n');
  expect(git(dir, 'add', 'README.md').status).toBe(0);
  expect(git(dir, 'commit', '-q', '-m', 'initial').status).toBe(0);
  return dir;
}

const notes = () => ({ notes: { defs: defs([tool('add', 'Adds two numbers.')]) } });

describe('mcpm hook install', { timeout: 60_000 }, () => {
  it('refuses a commit that adds an unlocked server, and lets it through after install', async () => {
    const dir = repository();
    const installed = await mcpm(['hook', 'install', '-C', dir]);
    expect(installed.status, installed.stderr).toBe(0);
    expect(installed.stdout).toContain('installed .git/hooks/pre-commit');

    writeProject(dir, notes());
    git(dir, 'add', '.mcp.json');
    const refused = git(dir, 'commit', '-q', '-m', 'add notes');
    expect(refused.status).not.toBe(0);
    expect(refused.out).toMatch(/new\s+notes/);
    expect(refused.out).toContain('mcpm install notes');
    expect(refused.out).toContain('mcpm pre-commit hook: commit refused (exit 1): see above');

    expect((await mcpm(['install', '-C', dir])).status).toBe(0);
    git(dir, 'add', '.mcp.json', 'mcp.lock', '*.defs.json');
    const accepted = git(dir, 'commit', '-q', '-m', 'add notes');
    expect(accepted.status, accepted.out).toBe(0);
    // A check that passes prints nothing.
    expect(accepted.out).toBe('');

    // A commit that stages no config and no lock does not run mcpm at all.
    writeProject(dir, { ...notes(), other: { defs: defs([]) } });
    writeFileSync(join(dir, 'README.md'), 'changed\n');
    git(dir, 'add', 'README.md');
    expect(git(dir, 'commit', '-q', '-m', 'readme').status).toBe(0);
  });

  it('keeps an existing hook, runs it first, and stays idempotent', async () => {
    const dir = repository();
    const hooks = join(dir, '.git', 'hooks');
    mkdirSync(hooks, { recursive: true });
    const existing = '#!/bin/sh\necho ran >> "$(git rev-parse --show-toplevel)/chained.log"\nexit "${CHAINED_EXIT:-0}"\n';
    writeFileSync(join(hooks, 'pre-commit'), existing);
    chmodSync(join(hooks, 'pre-commit'), 0o755);

    expect((await mcpm(['hook', 'install', '-C', dir])).status).toBe(0);
    const script = readFileSync(join(hooks, 'pre-commit'), 'utf8');
    expect(readFileSync(join(hooks, 'pre-commit.mcpm-chained'), 'utf8')).toBe(existing);
    const again = await mcpm(['hook', 'install', '-C', dir]);
    expect(again.status).toBe(0);
    expect(again.stdout).toContain('updated');
    expect(readFileSync(join(hooks, 'pre-commit'), 'utf8')).toBe(script);
    expect(readFileSync(join(hooks, 'pre-commit.mcpm-chained'), 'utf8')).toBe(existing);

    writeFileSync(join(dir, 'README.md'), 'one\n');
    git(dir, 'add', 'README.md');
    expect(git(dir, 'commit', '-q', '-m', 'one').status).toBe(0);
    expect(readFileSync(join(dir, 'chained.log'), 'utf8')).toBe('ran\n');

    // The chained hook's failure stops the commit even when mcpm has nothing to say.
    writeFileSync(join(dir, 'README.md'), 'two\n');
    git(dir, 'add', 'README.md');
    const failed = spawnSync('git', ['commit', '-q', '-m', 'two'], {
      cwd: dir,
      encoding: 'utf8',
      env: { ...process.env, GIT_CONFIG_GLOBAL: '/dev/null', GIT_CONFIG_NOSYSTEM: '1', CHAINED_EXIT: '3' },
    });
    expect(failed.status).not.toBe(0);
  });

  it('honours core.hooksPath', async () => {
    const dir = repository();
    expect(git(dir, 'config', 'core.hooksPath', '.githooks').status).toBe(0);
    const installed = await mcpm(['hook', 'install', '-C', dir, '--json']);
    expect(installed.status).toBe(0);
    expect(JSON.parse(installed.stdout)).toMatchObject({ hook: join(dir, '.githooks', 'pre-commit'), chained: null });
    // Nothing to check here yet: said, since a mistyped -C looks the same.
    expect(installed.stderr).toContain('mcpm: warning: . has no MCP config and no lock yet; the hook checks it once one is staged');
    expect(existsSync(join(dir, '.githooks', 'pre-commit'))).toBe(true);
    expect(existsSync(join(dir, '.git', 'hooks', 'pre-commit'))).toBe(false);

    writeProject(dir, notes());
    git(dir, 'add', '.mcp.json');
    const refused = git(dir, 'commit', '-q', '-m', 'add notes');
    expect(refused.status).not.toBe(0);
    expect(refused.out).toMatch(/new\s+notes/);
  });

  it("when the mcpm it was installed with is gone, runs the project's own mcp-lockfile, never an mcpm of another package", async () => {
    const top = repository();
    // A project in a subdirectory with its own node_modules: npx looks from the project upward.
    const dir = join(top, 'packages', 'app');
    mkdirSync(dir, { recursive: true });
    expect((await mcpm(['hook', 'install', '-C', dir])).status).toBe(0);
    const hook = join(top, '.git', 'hooks', 'pre-commit');
    writeFileSync(hook, readFileSync(hook, 'utf8').replaceAll(realpathSync(BIN), '/gone/bin/mcpm.cjs'));
    // As npm installs this package into a project, next to another package's `mcpm` that must not run.
    const modules = join(dir, 'node_modules');
    mkdirSync(join(modules, '.bin'), { recursive: true });
    symlinkSync(ROOT, join(modules, 'mcp-lockfile'));
    symlinkSync(join('..', 'mcp-lockfile', 'bin', 'mcpm.cjs'), join(modules, '.bin', 'mcp-lockfile'));
    writeFileSync(join(modules, '.bin', 'mcpm'), '#!/bin/sh\necho "the other mcpm ran"\nexit 0\n');
    chmodSync(join(modules, '.bin', 'mcpm'), 0o755);

    writeProject(dir, notes());
    git(dir, 'add', '.mcp.json');
    const refused = git(dir, 'commit', '-q', '-m', 'add notes');
    expect(refused.status).not.toBe(0);
    expect(refused.out).toMatch(/new\s+notes/);
    expect(refused.out).not.toContain('the other mcpm ran');
  });

  it('checks every project of a monorepo it was installed for, and uninstalls them one by one', { timeout: 180_000 }, async () => {
    const dir = repository();
    const app = join(dir, 'packages', 'app');
    const web = join(dir, 'packages', 'web');
    mkdirSync(app, { recursive: true });
    mkdirSync(web, { recursive: true });
    const hooks = join(dir, '.git', 'hooks');
    mkdirSync(hooks, { recursive: true });
    writeFileSync(join(hooks, 'pre-commit'), '#!/bin/sh\necho ran >> "$(git rev-parse --show-toplevel)/chained.log"\n');
    chmodSync(join(hooks, 'pre-commit'), 0o755);

    expect((await mcpm(['hook', 'install', '-C', app])).status).toBe(0);
    const second = await mcpm(['hook', 'install', '-C', web, '--json']);
    expect(second.status, second.stderr).toBe(0);
    expect(JSON.parse(second.stdout)).toMatchObject({ updated: true, projects: ['packages/app', 'packages/web'], watches: expect.arrayContaining(['packages/web/.mcp.json']) });
    expect(second.stderr).toContain('it also checks packages/app');
    // Installing a project again replaces its line, not adds one.
    expect((await mcpm(['hook', 'install', '-C', web])).status).toBe(0);
    expect(readFileSync(join(hooks, 'pre-commit'), 'utf8').match(/^# mcpm-project: /gm)).toHaveLength(2);

    // Each project is checked when its own files are staged, and every failing one is reported.
    writeProject(app, notes());
    writeProject(web, { search: { defs: defs([tool('find', 'Finds.')]) } });
    git(dir, 'add', 'packages');
    const refused = git(dir, 'commit', '-q', '-m', 'add servers');
    expect(refused.status).not.toBe(0);
    expect(refused.out).toMatch(/new\s+notes/);
    expect(refused.out).toMatch(/new\s+search/);

    // Locking one project leaves the other's refusal.
    expect((await mcpm(['install', '-C', app])).status).toBe(0);
    git(dir, 'add', 'packages');
    const stillRefused = git(dir, 'commit', '-q', '-m', 'add servers');
    expect(stillRefused.status).not.toBe(0);
    expect(stillRefused.out).not.toMatch(/new\s+notes/);
    expect(stillRefused.out).toMatch(/new\s+search/);
    expect((await mcpm(['install', '-C', web])).status).toBe(0);
    git(dir, 'add', 'packages');
    const accepted = git(dir, 'commit', '-q', '-m', 'add servers');
    expect(accepted.status, accepted.out).toBe(0);

    // Uninstall: project by project; the last one takes the hook away and puts the old one back.
    const notThere = await mcpm(['hook', 'uninstall', '-C', dir]);
    expect(notThere.status).toBe(2);
    expect(notThere.stderr).toContain("mcpm's hook does not check the top of the repository; it checks packages/app, packages/web");
    const first = await mcpm(['hook', 'uninstall', '-C', web]);
    expect(first.status, first.stderr).toBe(0);
    expect(first.stdout).toContain('no longer checks packages/web; still checks packages/app');
    writeProject(web, { search: { defs: defs([tool('find', 'Finds.')]) }, more: { defs: defs([]) } });
    git(dir, 'add', 'packages');
    expect(git(dir, 'commit', '-q', '-m', 'web is not checked any more').status).toBe(0);

    const last = await mcpm(['hook', 'uninstall', '-C', app, '--json']);
    expect(last.status, last.stderr).toBe(0);
    expect(JSON.parse(last.stdout)).toEqual({ hook: join(realpathSync(dir), '.git', 'hooks', 'pre-commit'), removed: ['packages/app'], remaining: [], restored: join(realpathSync(dir), '.git', 'hooks', 'pre-commit'), exitStatus: 0 });
    expect(readFileSync(join(hooks, 'pre-commit'), 'utf8')).toContain('echo ran');
    expect(existsSync(join(hooks, 'pre-commit.mcpm-chained'))).toBe(false);
    const gone = await mcpm(['hook', 'uninstall', '-C', app]);
    expect(gone.status).toBe(2);
    expect(gone.stderr).toContain("is not mcpm's hook");
  });

  it("adds a project to a hook written by the first version, keeping that hook's project", async () => {
    const dir = repository();
    const hooks = join(dir, '.git', 'hooks');
    mkdirSync(hooks, { recursive: true });
    const v1 = [
      '#!/bin/sh',
      '# mcpm-hook: pre-commit v1',
      "if git diff --cached --name-only --no-renames | grep -qxF -e 'packages/app/.mcp.json' -e 'packages/app/.cursor/mcp.json' -e 'packages/app/.vscode/mcp.json' -e 'packages/app/mcp.lock'; then",
      "  if [ -x '/gone/node' ] && [ -f '/gone/bin/mcpm.cjs' ]; then",
      "    '/gone/node' '/gone/bin/mcpm.cjs' 'verify' '--offline' '-C' 'packages/app' || exit $?",
      '  else',
      "    npx --no-install mcp-lockfile 'verify' '--offline' '-C' 'packages/app' || exit $?",
      '  fi',
      'fi',
      'exit 0',
      '',
    ].join('\n');
    writeFileSync(join(hooks, 'pre-commit'), v1);
    mkdirSync(join(dir, 'packages', 'web'), { recursive: true });
    const installed = await mcpm(['hook', 'install', '-C', join(dir, 'packages', 'web'), '--json']);
    expect(installed.status, installed.stderr).toBe(0);
    expect(JSON.parse(installed.stdout)).toMatchObject({ updated: true, chained: null, projects: ['packages/app', 'packages/web'] });
    const script = readFileSync(join(hooks, 'pre-commit'), 'utf8');
    expect(script).toContain('# mcpm-hook: pre-commit v2');
    expect(script).toContain('# mcpm-project: {"dir":"packages/app","args":["verify","--offline","--quiet"],"watched":["packages/app/.mcp.json","packages/app/.cursor/mcp.json","packages/app/.vscode/mcp.json","packages/app/mcp.lock"]}');
  });

  it('outside a git repository is a usage error', async () => {
    const dir = tempProject();
    const result = await mcpm(['hook', 'install', '-C', dir], { env: { GIT_CEILING_DIRECTORIES: dir } });
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('is not in a git work tree');
  });

  it('the uninstall hint quotes the directory it names: pasted, it runs nothing', async () => {
    const dir = repository();
    // A directory a repository names: `$(…)` in it must stay part of the name when the hint is pasted.
    const evil = join(dir, 's $(touch pwned)');
    mkdirSync(evil);
    mkdirSync(join(dir, 'sub2'));
    expect((await mcpm(['hook', 'install', '-C', evil])).status).toBe(0);
    const other = await mcpm(['hook', 'uninstall', '-C', join(dir, 'sub2')]);
    expect(other.status).toBe(2);
    expect(other.stderr).toContain(`hook uninstall -C 's $(touch pwned)'", or`);
  });
});
