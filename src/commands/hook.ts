/**
 * `mcpm hook install`: a git pre-commit hook that runs `mcpm verify --offline` when an MCP config
 * (`.mcp.json`, `.cursor/mcp.json`, `.vscode/mcp.json`, or the `--config` files given) or the lock is
 * staged, so a commit that adds an unlocked server, or changes a launch line without re-locking,
 * is refused before it is shared (configs are how code gets run).
 *
 * - The hooks directory is git's: `core.hooksPath` when set (relative to the top of the work
 *   tree, as git reads it; `~/` expanded), else `git rev-parse --git-path hooks`.
 * - An existing pre-commit hook is kept and chained, not replaced: it is renamed
 *   `pre-commit.mcpm-chained` and the new hook runs it first, with the same arguments, and stops
 *   with its status when it fails. Renaming works for any hook (a binary, a Python script, one
 *   that ends with `exec`), where appending lines to it would not. Running `hook install` again
 *   recognises mcpm's hook by its marker line and rewrites only that file (new paths after moving
 *   mcpm), so it is idempotent. A foreign hook next to an existing `pre-commit.mcpm-chained` is
 *   refused rather than guessed at.
 * - The hook finds mcpm by absolute path (this node, this package's bin/mcpm.cjs) and falls back
 *   to `npx --no-install mcp-lockfile` when those are gone (a moved or upgraded install), which uses
 *   the project's own node_modules and never downloads anything. The package's own command name,
 *   not `mcpm`: another package installs an `mcpm` too.
 *
 * It checks the files in the work tree, which are what is staged unless a commit stages only
 * part of a file. Husky and lefthook own their hooks directories: see docs/ci-and-hooks.md.
 */
import { spawnSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { McpmError, type ExitStatus } from '../core/errors.js';
import { sanitize } from '../core/sanitize.js';
import type { Deps } from '../deps.js';
import { writeTextFile } from '../adapters/files.js';
import { writeJson } from '../render/json.js';
import type { GlobalOptions } from '../app/options.js';
import { projectDir } from '../app/project.js';
import { selfBin } from '../self.js';

export const HOOK_MARKER = '# mcpm-hook: pre-commit v1';
export const CHAINED_NAME = 'pre-commit.mcpm-chained';
const DEFAULT_CONFIGS = ['.mcp.json', '.cursor/mcp.json', '.vscode/mcp.json'];

export async function hookInstall(options: GlobalOptions, deps: Deps): Promise<ExitStatus> {
  if (options.host !== undefined) {
    throw new McpmError('USAGE', 'hook install guards a repository\'s project configs; --host configs live outside any repository', 'run it in the repository, without --host');
  }
  const given = projectDir(options, deps);
  const top = git(['rev-parse', '--show-toplevel'], given, deps);
  if (top === null) {
    throw new McpmError('USAGE', `${given} is not in a git work tree`, 'run "git init" first, or pass -C with the repository\'s directory');
  }
  // git prints the top without symbolic links (macOS: /tmp is /private/tmp); so must the paths relative to it.
  const dir = await fs.realpath(given);
  const hooksDir = hooksDirectory(dir, top, deps);
  await fs.mkdir(hooksDir, { recursive: true });
  const hookFile = path.join(hooksDir, 'pre-commit');
  const chainedFile = path.join(hooksDir, CHAINED_NAME);

  const existing = await readIfExists(hookFile);
  const ours = existing !== null && existing.includes(HOOK_MARKER);
  let chained = (await readIfExists(chainedFile)) !== null;
  if (existing !== null && !ours) {
    if (chained) {
      throw new McpmError(
        'USAGE',
        `${hookFile} is not mcpm's hook, and ${CHAINED_NAME} already exists next to it`,
        `merge the two hooks by hand into ${CHAINED_NAME}, delete pre-commit, then run "mcpm hook install" again`,
      );
    }
    await fs.rename(hookFile, chainedFile);
    chained = true;
  }

  // Paths as git lists them: relative to the top of the work tree, with `/`.
  const fromTop = (absolute: string) => path.relative(top, absolute).split(path.sep).join('/');
  const relDir = fromTop(dir);
  const configs = (options.config ?? []).map((c) => path.resolve(dir, c));
  const lockFile = path.resolve(dir, options.lockfile ?? 'mcp.lock');
  const watched = [
    ...(configs.length > 0 ? configs.map(fromTop) : DEFAULT_CONFIGS.map((c) => (relDir === '' ? c : `${relDir}/${c}`))),
    fromTop(lockFile),
  ];
  const verifyArgs = ['verify', '--offline'];
  if (relDir !== '') verifyArgs.push('-C', relDir);
  for (const c of configs) verifyArgs.push('--config', path.relative(dir, c));
  if (options.lockfile !== undefined) verifyArgs.push('--lockfile', path.relative(dir, lockFile));

  const script = hookScript({ node: process.execPath, bin: selfBin(), verifyArgs, watched });
  const shown = path.relative(dir, hookFile) || hookFile;
  // Atomic, as every file mcpm writes: git never runs half a hook.
  await writeTextFile(hookFile, shown, script, { mode: 0o755 });

  if (options.format === 'json') {
    writeJson(deps.stdout, { hook: hookFile, hooksDir, updated: ours, chained: chained ? chainedFile : null, watches: watched, exitStatus: 0 });
  }
  const out = options.format === 'json' ? deps.stderr : deps.stdout;
  if (!options.quiet) {
    out.write(sanitize(`${ours ? 'updated' : 'installed'} ${shown}: runs "mcpm ${verifyArgs.join(' ')}" when ${watched.join(', ')} is staged\n`));
    if (chained) out.write(sanitize(`the hook that was there runs first: ${path.relative(dir, chainedFile) || chainedFile}\n`));
  }
  if (/(^|[\\/])\.husky([\\/]_)?[\\/]?$/.test(hooksDir)) {
    out.write('note: core.hooksPath points into .husky, which husky regenerates; add "mcpm verify --offline" to .husky/pre-commit instead (docs/ci-and-hooks.md)\n');
  }
  return 0;
}

/** core.hooksPath (relative to the top of the work tree, `~/` expanded) or git's own hooks directory. */
function hooksDirectory(dir: string, top: string, deps: Deps): string {
  const configured = git(['config', '--get', 'core.hooksPath'], dir, deps);
  if (configured !== null && configured !== '') {
    const home = deps.env.HOME ?? deps.env.USERPROFILE;
    if (home && (configured === '~' || configured.startsWith('~/'))) return path.join(home, configured.slice(1));
    return path.resolve(top, configured);
  }
  const hooks = git(['rev-parse', '--git-path', 'hooks'], dir, deps);
  if (hooks === null) throw new McpmError('USAGE', `git could not name the hooks directory of ${top}`, 'check that git works in this repository');
  return path.resolve(dir, hooks);
}

/** stdout of a git command without its trailing newline, or null when it fails. */
function git(args: string[], cwd: string, deps: Deps): string | null {
  const result = spawnSync('git', args, { cwd, env: deps.env as NodeJS.ProcessEnv, encoding: 'utf8', timeout: 10_000, stdio: ['ignore', 'pipe', 'pipe'] });
  if (result.error || result.status !== 0) return null;
  return result.stdout.replace(/\r?\n$/, '');
}

/** An existing hook may be any program, a binary too: read leniently, only to look for our marker. */
async function readIfExists(file: string): Promise<string | null> {
  try {
    return await fs.readFile(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return null;
    throw new McpmError('CONFIG_INVALID', `${file}: cannot be read (${code ?? String(error)}); nothing was changed`, 'check the file and its permissions', { cause: error });
  }
}

/** POSIX sh single quotes: everything literal, a `'` written as `'\''`. */
function sq(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}

export function hookScript(o: { node: string; bin: string; verifyArgs: readonly string[]; watched: readonly string[] }): string {
  const args = o.verifyArgs.map(sq).join(' ');
  const patterns = o.watched.map((w) => `-e ${sq(w)}`).join(' ');
  return `#!/bin/sh
${HOOK_MARKER}
# Written by "mcpm hook install"; running it again rewrites this file (and nothing else).
# Runs "mcpm verify --offline" when an MCP config or the lock is staged, and refuses the commit
# when a configured server is not locked with the same launch definition. The hook that was here
# before, if any, was renamed ${CHAINED_NAME} and runs first.
hook_dir=$(dirname -- "$0")
if [ -x "$hook_dir/${CHAINED_NAME}" ]; then
  "$hook_dir/${CHAINED_NAME}" "$@" || exit $?
fi
if git diff --cached --name-only --no-renames | grep -qxF ${patterns}; then
  if [ -x ${sq(o.node)} ] && [ -f ${sq(o.bin)} ]; then
    ${sq(o.node)} ${sq(o.bin)} ${args} || exit $?
  else
    npx --no-install mcp-lockfile ${args} || exit $?
  fi
fi
exit 0
`;
}
