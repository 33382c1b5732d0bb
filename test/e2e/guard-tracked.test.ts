// `mcpm guard` on a project config that git tracks: guarding writes this machine's absolute paths
// into a shared file, and the originals (env values included) must never land beside it, where
// `git add .` would share them.
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, realpathSync, renameSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { sidecarPath } from '../../src/adapters/hosts/sidecar-path.js';
import { defs, mcpm, tempProject, tool, writeProject } from './helpers.js';

function git(dir: string, ...args: string[]): string {
  const result = spawnSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.com', '-c', 'init.defaultBranch=main', ...args], { cwd: dir, encoding: 'utf8' });
  expect(result.status, result.stderr).toBe(0);
  return result.stdout;
}

/** A project with one server and a token in its env, locked; HOME and the state directory are temp dirs. */
async function project(): Promise<{ dir: string; config: string; env: Record<string, string>; sidecar: string }> {
  const dir = realpathSync(tempProject());
  const home = realpathSync(tempProject());
  const state = join(home, 'state');
  writeProject(dir, { notes: { defs: defs([tool('add', 'Adds.')]), env: { NOTES_TOKEN: 'tok-0123456789' } } });
  const env = { HOME: home, XDG_STATE_HOME: state };
  const installed = await mcpm(['install', '-C', dir], { env });
  expect(installed.status, installed.stderr).toBe(0);
  const config = join(dir, '.mcp.json');
  return { dir, config, env, sidecar: sidecarPath(config, env, 'linux')! };
}

describe('mcpm guard and git', () => {
  it('refuses a config git tracks, changing nothing; --allow-tracked guards it with the originals outside the repository', async () => {
    const p = await project();
    git(p.dir, 'init', '-q');
    git(p.dir, 'add', '.');
    git(p.dir, 'commit', '-q', '-m', 'servers');
    const original = readFileSync(p.config, 'utf8');

    const refused = await mcpm(['guard', '-C', p.dir, '--config', '.mcp.json', '--json'], { env: p.env });
    expect(refused.status).toBe(2);
    expect(JSON.parse(refused.stdout)).toMatchObject({ error: { code: 'GUARD_CONFIG_TRACKED' }, exitStatus: 2 });
    expect(refused.stderr).toContain('is tracked by git');
    expect(refused.stderr).toContain('--allow-tracked');
    expect(readFileSync(p.config, 'utf8')).toBe(original);
    expect(git(p.dir, 'status', '--porcelain', '--untracked-files=all')).toBe('');
    expect(existsSync(p.sidecar)).toBe(false);

    const guarded = await mcpm(['guard', '-C', p.dir, '--config', '.mcp.json', '--allow-tracked'], { env: p.env });
    expect(guarded.status, guarded.stderr).toBe(0);
    expect(readFileSync(p.config, 'utf8')).toContain('"run"');
    // Only the config changed in the repository: no file holding the token appeared in it.
    expect(git(p.dir, 'status', '--porcelain', '--untracked-files=all')).toBe(' M .mcp.json\n');
    expect(statSync(p.sidecar).mode & 0o777).toBe(0o600);
    expect(readFileSync(p.sidecar, 'utf8')).toContain('tok-0123456789');
    expect((await mcpm(['verify', '--offline', '-C', p.dir], { env: p.env })).status).toBe(0);

    const undone = await mcpm(['guard', '-C', p.dir, '--config', '.mcp.json', '--undo'], { env: p.env });
    expect(undone.status, undone.stderr).toBe(0);
    expect(readFileSync(p.config, 'utf8')).toBe(original);
    expect(existsSync(p.sidecar)).toBe(false);
    expect(git(p.dir, 'status', '--porcelain', '--untracked-files=all')).toBe('');
  });

  it("is not fooled by a directory of the checkout that git takes for a repository, and runs none of its config's programs", async () => {
    const p = await project();
    // cfg/ holds what git takes for a bare repository when it starts inside cfg/: its config asks
    // git to run a program as fsmonitor, and says cfg/ is a work tree where nothing is tracked.
    const cfg = join(p.dir, 'cfg');
    const marker = join(p.dir, 'ran');
    mkdirSync(join(cfg, 'objects'), { recursive: true });
    mkdirSync(join(cfg, 'refs'), { recursive: true });
    writeFileSync(join(cfg, 'objects', '.keep'), '');
    writeFileSync(join(cfg, 'refs', '.keep'), '');
    writeFileSync(join(cfg, 'HEAD'), 'ref: refs/heads/main\n');
    writeFileSync(join(cfg, 'config'), `[core]\n\tbare = false\n\tworktree = .\n\tfsmonitor = "touch ${marker}; false"\n`);
    copyFileSync(p.config, join(cfg, 'mcp.json'));
    git(p.dir, 'init', '-q');
    git(p.dir, 'add', '.');
    git(p.dir, 'commit', '-q', '-m', 'servers');
    const original = readFileSync(join(cfg, 'mcp.json'), 'utf8');

    const refused = await mcpm(['guard', '-C', p.dir, '--config', 'cfg/mcp.json', '--json'], { env: p.env });
    expect(JSON.parse(refused.stdout)).toMatchObject({ error: { code: 'GUARD_CONFIG_TRACKED' }, exitStatus: 2 });
    expect(existsSync(marker)).toBe(false);
    expect(readFileSync(join(cfg, 'mcp.json'), 'utf8')).toBe(original);
  });

  it('refuses a config that is a link to a file git tracks (a dotfiles repository)', async () => {
    const p = await project();
    git(p.dir, 'init', '-q');
    git(p.dir, 'add', '.');
    git(p.dir, 'commit', '-q', '-m', 'servers');
    const elsewhere = realpathSync(tempProject());
    const link = join(elsewhere, 'mcp.json');
    symlinkSync(p.config, link);
    const refused = await mcpm(['guard', '-C', elsewhere, '--config', 'mcp.json', '--json'], { env: p.env });
    expect(JSON.parse(refused.stdout)).toMatchObject({ error: { code: 'GUARD_CONFIG_TRACKED' }, exitStatus: 2 });
    expect(git(p.dir, 'status', '--porcelain', '--untracked-files=all')).toBe('');
  });

  it('mcpm run started with another state directory than guard ran with says it found no record of the original, not that the launch changed', async () => {
    const p = await project();
    expect((await mcpm(['guard', '-C', p.dir, '--config', '.mcp.json'], { env: p.env })).status).toBe(0);
    const elsewhere = join(p.env['HOME']!, 'elsewhere');
    const run = await mcpm(['run', '-C', p.dir, 'notes'], { env: { ...p.env, XDG_STATE_HOME: elsewhere } });
    expect(run.status).not.toBe(0);
    expect(run.stderr).toContain(`its entry in .mcp.json starts mcpm run, as mcpm guard writes it, but guard's record of its original is not in ${join(elsewhere, 'mcpm', 'guard')}`);
    expect(run.stderr).toContain('the HOME and XDG_STATE_HOME the host starts it with');
    // With the state directory guard wrote to, it starts.
    expect((await mcpm(['verify', '--offline', '-C', p.dir], { env: p.env })).status).toBe(0);
  });

  it('still reads and undoes a sidecar an older mcpm left beside the config, and moves it out on the next guard', async () => {
    const p = await project();
    const original = readFileSync(p.config, 'utf8');
    expect((await mcpm(['guard', '-C', p.dir, '--config', '.mcp.json'], { env: p.env })).status).toBe(0);
    const guardedText = readFileSync(p.config, 'utf8');
    const legacy = `${p.config}.mcpm-guard.json`;
    renameSync(p.sidecar, legacy);
    expect((await mcpm(['verify', '--offline', '-C', p.dir], { env: p.env })).status).toBe(0);

    expect((await mcpm(['guard', '-C', p.dir, '--config', '.mcp.json'], { env: p.env })).status).toBe(0);
    expect(readFileSync(p.config, 'utf8')).toBe(guardedText);
    expect(existsSync(legacy)).toBe(false);
    expect(existsSync(p.sidecar)).toBe(true);

    renameSync(p.sidecar, legacy);
    const undone = await mcpm(['guard', '-C', p.dir, '--config', '.mcp.json', '--undo'], { env: p.env });
    expect(undone.status, undone.stderr).toBe(0);
    expect(readFileSync(p.config, 'utf8')).toBe(original);
    expect(existsSync(legacy)).toBe(false);
  });
});
