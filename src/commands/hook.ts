/**
 * `mcpm hook install` and `mcpm hook uninstall`: a git pre-commit hook that runs `mcpm verify
 * --offline` when an MCP config (`.mcp.json`, `.cursor/mcp.json`, `.vscode/mcp.json`, or the
 * `--config` files given) or the lock is staged, so a commit that adds an unlocked server, or
 * changes a launch line without re-locking, is refused before it is shared (configs are how code
 * gets run).
 *
 * - One hook per repository, any number of projects: a monorepo's `hook install -C packages/web`
 *   adds that project to the hook beside `packages/app`, and the hook checks each project whose
 *   files are staged (all of them, then it fails with the last failure). The projects are listed
 *   in the hook itself, one `# mcpm-project: {json}` line each, so the hook is the only state;
 *   installing a project again replaces its line. `hook uninstall` removes the project (`-C`,
 *   default: the current directory) or, with `--all`, every project; once none is left the hook is
 *   removed and a chained hook is put back as `pre-commit`.
 * - The hooks directory is git's: `core.hooksPath` when set (relative to the top of the work
 *   tree, as git reads it; `~/` expanded), else `git rev-parse --git-path hooks`.
 * - An existing pre-commit hook is kept and chained, not replaced: it is renamed
 *   `pre-commit.mcpm-chained` and the new hook runs it first, with the same arguments, and stops
 *   with its status when it fails. Renaming works for any hook (a binary, a Python script, one
 *   that ends with `exec`), where appending lines to it would not. mcpm's hook is recognised by its
 *   marker line. A foreign hook next to an existing `pre-commit.mcpm-chained` is refused rather
 *   than guessed at.
 * - The hook finds mcpm by absolute path (this node, this package's bin/mcpm.cjs) and falls back
 *   to `npx --no-install mcp-lockfile` when those are gone (a moved or upgraded install). npx then
 *   looks for that command from the project's directory upward (the project's own node_modules,
 *   then the repository's) and never downloads anything. The package's own command name, not
 *   `mcpm`: another package installs an `mcpm` too.
 *
 * It checks the files in the work tree, which are what is staged unless a commit stages only
 * part of a file. Husky and lefthook own their hooks directories: see docs/ci-and-hooks.md.
 */
import { spawnSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { McpmError, type ExitStatus } from '../core/errors.js';
import { isJsonObject, parseStrictJson } from '../core/json-strict.js';
import { sanitizeLine } from '../core/sanitize.js';
import { shellWord } from '../core/shell-word.js';
import type { Deps } from '../deps.js';
import { removeFile, writeTextFile } from '../adapters/files.js';
import { writeJson } from '../render/json.js';
import type { GlobalOptions } from '../app/options.js';
import { projectDir } from '../app/project.js';
import { selfBin } from '../self.js';
import { SAFE_GIT_OPTIONS } from '../adapters/git-options.js';
import { makeDirectories } from '../adapters/make-directories.js';

export const HOOK_MARKER = '# mcpm-hook: pre-commit v2';
/** Any version of the marker: a hook written by an older mcpm is still ours to rewrite. */
const ANY_MARKER = /^# mcpm-hook: pre-commit v\d+$/m;
const PROJECT_LINE = '# mcpm-project: ';
export const CHAINED_NAME = 'pre-commit.mcpm-chained';
const DEFAULT_CONFIGS = ['.mcp.json', '.cursor/mcp.json', '.vscode/mcp.json'];

/** One project the hook checks. */
export interface HookProject {
  /** Relative to the top of the work tree, `/`-separated; `.` for the top itself. */
  dir: string;
  /** mcpm's arguments, run in `dir`: `verify --offline --quiet [--config F…] [--lockfile L]`. */
  args: string[];
  /** Paths relative to the top of the work tree: a staged one makes the hook check this project. */
  watched: string[];
}

interface Place {
  top: string;
  /** The project: -C, or the current directory, without symbolic links. */
  dir: string;
  relDir: string;
  hooksDir: string;
  hookFile: string;
  chainedFile: string;
  /** The hook file relative to the project, for messages. */
  shown: string;
}

export async function hookInstall(options: GlobalOptions, deps: Deps): Promise<ExitStatus> {
  const place = await locate(options, deps, 'install');
  makeDirectories(place.hooksDir);

  const existing = await readIfExists(place.hookFile);
  const ours = existing !== null && ANY_MARKER.test(existing);
  let chained = (await readIfExists(place.chainedFile)) !== null;
  if (existing !== null && !ours) {
    if (chained) {
      throw new McpmError(
        'USAGE',
        `${place.hookFile} is not mcpm's hook, and ${CHAINED_NAME} already exists next to it`,
        `merge the two hooks by hand into ${CHAINED_NAME}, delete pre-commit, then run "mcpm hook install" again`,
      );
    }
    await fs.rename(place.hookFile, place.chainedFile);
    chained = true;
  }

  // Paths as git lists them: relative to the top of the work tree, with `/`.
  const fromTop = (absolute: string) => path.relative(place.top, absolute).split(path.sep).join('/');
  const configs = (options.config ?? []).map((c) => path.resolve(place.dir, c));
  const lockFile = path.resolve(place.dir, options.lockfile ?? 'mcp.lock');
  const inDir = (file: string) => (place.relDir === '.' ? file : `${place.relDir}/${file}`);
  const project: HookProject = {
    dir: place.relDir,
    // Quiet: a commit that passes says nothing; one refused says what refused it (hookScript).
    args: ['verify', '--offline', '--quiet'],
    watched: [...(configs.length > 0 ? configs.map(fromTop) : DEFAULT_CONFIGS.map(inDir)), fromTop(lockFile)],
  };
  for (const c of configs) project.args.push('--config', path.relative(place.dir, c));
  if (options.lockfile !== undefined) project.args.push('--lockfile', path.relative(place.dir, lockFile));

  // A project an earlier mcpm added runs quiet too from now on (its arguments kept otherwise).
  const others = (ours ? projectsOfHook(existing, place.hookFile) : []).filter((p) => p.dir !== project.dir).map(quietly);
  const projects = [...others, project].sort((a, b) => (a.dir < b.dir ? -1 : a.dir > b.dir ? 1 : 0));
  // Atomic, as every file mcpm writes: git never runs half a hook.
  await writeTextFile(place.hookFile, place.shown, hookScript({ node: process.execPath, bin: selfBin(), projects }), { mode: 0o755 });

  if (options.format === 'json') {
    writeJson(deps.stdout, {
      hook: place.hookFile,
      hooksDir: place.hooksDir,
      updated: ours,
      chained: chained ? place.chainedFile : null,
      watches: project.watched,
      projects: projects.map((p) => p.dir),
      exitStatus: 0,
    });
  }
  const out = options.format === 'json' ? deps.stderr : deps.stdout;
  // A directory with no MCP config and no lock yet: legitimate before the first one, and the hook
  // then checks it once one is staged; also what a mistyped -C looks like, so it is said.
  const exists = async (file: string) => fs.access(file).then(() => true, () => false);
  const watchedNow = await Promise.all([...(configs.length > 0 ? configs : DEFAULT_CONFIGS.map((f) => path.join(place.dir, f))), lockFile].map(exists));
  if (!watchedNow.includes(true)) {
    deps.stderr.write(`${sanitizeLine(`mcpm: warning: ${project.dir} has no MCP config and no lock yet; the hook checks it once one is staged`)}\n`);
  }
  if (!options.quiet) {
    const where = project.dir === '.' ? '' : ` in ${project.dir}`;
    out.write(`${sanitizeLine(`${ours ? 'updated' : 'installed'} ${place.shown}: runs "mcpm ${project.args.join(' ')}"${where} when ${project.watched.join(', ')} is staged`)}\n`);
    if (others.length > 0) out.write(`${sanitizeLine(`it also checks ${others.map((p) => p.dir).join(', ')}`)}\n`);
    if (chained) out.write(`${sanitizeLine(`the hook that was there runs first: ${path.relative(place.dir, place.chainedFile) || place.chainedFile}`)}\n`);
  }
  if (/(^|[\\/])\.husky([\\/]_)?[\\/]?$/.test(place.hooksDir)) {
    out.write('note: core.hooksPath points into .husky, which husky regenerates; add "mcpm verify --offline" to .husky/pre-commit instead (docs/ci-and-hooks.md)\n');
  }
  return 0;
}

export interface HookUninstallOptions extends GlobalOptions {
  /** Remove every project, and so the hook. */
  all?: boolean;
}

export async function hookUninstall(options: HookUninstallOptions, deps: Deps): Promise<ExitStatus> {
  const place = await locate(options, deps, 'uninstall');
  const existing = await readIfExists(place.hookFile);
  if (existing === null || !ANY_MARKER.test(existing)) {
    throw new McpmError(
      'USAGE',
      existing === null ? `there is no pre-commit hook in ${place.hooksDir}` : `${place.hookFile} is not mcpm's hook; it was left as it is`,
      'nothing to uninstall',
    );
  }
  const projects = projectsOfHook(existing, place.hookFile);
  const removed = options.all ? projects : projects.filter((p) => p.dir === place.relDir);
  if (removed.length === 0) {
    throw new McpmError(
      'USAGE',
      `mcpm's hook does not check ${place.relDir === '.' ? 'the top of the repository' : place.relDir}; it checks ${projects.map((p) => p.dir).join(', ') || 'nothing'}`,
      projects.length > 0 ? `run "mcpm hook uninstall -C ${shellWord(projects[0]!.dir)}", or "mcpm hook uninstall --all"` : 'run "mcpm hook uninstall --all"',
    );
  }
  const remaining = projects.filter((p) => !removed.includes(p));
  let restored: string | null = null;
  if (remaining.length > 0) {
    await writeTextFile(place.hookFile, place.shown, hookScript({ node: process.execPath, bin: selfBin(), projects: remaining }), { mode: 0o755 });
  } else {
    await removeFile(place.hookFile, place.shown);
    // The hook that was there before mcpm's becomes the hook again, as it was.
    if ((await readIfExists(place.chainedFile)) !== null) {
      await fs.rename(place.chainedFile, place.hookFile);
      restored = place.hookFile;
    }
  }

  if (options.format === 'json') {
    writeJson(deps.stdout, { hook: place.hookFile, removed: removed.map((p) => p.dir), remaining: remaining.map((p) => p.dir), restored, exitStatus: 0 });
  }
  const out = options.format === 'json' ? deps.stderr : deps.stdout;
  if (!options.quiet) {
    if (remaining.length > 0) out.write(`${sanitizeLine(`updated ${place.shown}: no longer checks ${removed.map((p) => p.dir).join(', ')}; still checks ${remaining.map((p) => p.dir).join(', ')}`)}\n`);
    else out.write(`${sanitizeLine(`removed ${place.shown}${restored ? `; the hook that was there before mcpm's is pre-commit again` : ''}`)}\n`);
  }
  return 0;
}

/** The repository, the project in it and git's hooks directory. */
async function locate(options: GlobalOptions, deps: Deps, verb: 'install' | 'uninstall'): Promise<Place> {
  if (options.host !== undefined) {
    throw new McpmError('USAGE', `hook ${verb} works on a repository's project configs; --host configs live outside any repository`, 'run it in the repository, without --host');
  }
  const given = projectDir(options, deps);
  const top = git(['rev-parse', '--show-toplevel'], given, deps);
  if (top === null) {
    throw new McpmError('USAGE', `${given} is not in a git work tree`, 'run "git init" first, or pass -C with the repository\'s directory');
  }
  // git prints the top without symbolic links (macOS: /tmp is /private/tmp); so must the paths relative to it.
  const dir = await fs.realpath(given);
  const hooksDir = hooksDirectory(dir, top, deps);
  const hookFile = path.join(hooksDir, 'pre-commit');
  return {
    top,
    dir,
    relDir: path.relative(top, dir).split(path.sep).join('/') || '.',
    hooksDir,
    hookFile,
    chainedFile: path.join(hooksDir, CHAINED_NAME),
    shown: path.relative(dir, hookFile) || hookFile,
  };
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
  const result = spawnSync('git', [...SAFE_GIT_OPTIONS, ...args], { cwd, env: deps.env as NodeJS.ProcessEnv, encoding: 'utf8', timeout: 10_000, stdio: ['ignore', 'pipe', 'pipe'] });
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

/**
 * The projects an mcpm hook checks: its `# mcpm-project:` lines, or for a hook of the first
 * version (one project, no such lines) the arguments and paths of its one check.
 */
export function projectsOfHook(text: string, shown: string): HookProject[] {
  const damaged = () =>
    new McpmError('CONFIG_INVALID', `${shown}: mcpm's hook was edited and its list of projects cannot be read`, 'delete the file, then run "mcpm hook install" for each project again');
  const lines = text.split('\n');
  const listed = lines.filter((l) => l.startsWith(PROJECT_LINE));
  if (listed.length > 0) {
    return listed.map((line) => {
      let value;
      try {
        value = parseStrictJson(line.slice(PROJECT_LINE.length));
      } catch {
        throw damaged();
      }
      const strings = (v: unknown): v is string[] => Array.isArray(v) && v.every((s) => typeof s === 'string');
      if (!isJsonObject(value) || typeof value['dir'] !== 'string' || !strings(value['args']) || !strings(value['watched'])) throw damaged();
      return { dir: value['dir'], args: value['args'], watched: value['watched'] };
    });
  }
  // Version 1: `grep -qxF -e 'a' -e 'b'` and `npx --no-install mcp-lockfile 'verify' '--offline' ['-C' 'dir'] …`.
  const grep = lines.find((l) => l.includes('grep -qxF'));
  const npx = lines.find((l) => l.includes('npx --no-install mcp-lockfile'));
  if (!grep || !npx) throw damaged();
  const watched = shellWords(grep.slice(grep.indexOf('grep -qxF') + 'grep -qxF'.length).replace(/;\s*then\s*$/, '')).filter((w) => w !== '-e');
  const args = shellWords(npx.slice(npx.indexOf('mcp-lockfile') + 'mcp-lockfile'.length).replace(/\|\|.*$/, ''));
  const at = args.indexOf('-C');
  const dir = at >= 0 ? (args[at + 1] ?? '.') : '.';
  if (at >= 0) args.splice(at, 2);
  return [{ dir, args, watched }];
}

/** Words of a POSIX sh line made of single-quoted strings and `\'` (what sq writes) and bare words. */
function shellWords(line: string): string[] {
  const words: string[] = [];
  for (const m of line.matchAll(/(?:'[^']*'|\\'|[^\s'\\])+/g)) {
    words.push(m[0].replace(/'([^']*)'|\\(')/g, (_all, quoted: string | undefined, escaped: string | undefined) => quoted ?? escaped ?? ''));
  }
  return words;
}

/** `project` with `--quiet` after its `verify --offline`, as hook install writes it now. */
function quietly(project: HookProject): HookProject {
  const [command, offline, ...rest] = project.args;
  if (command !== 'verify' || offline !== '--offline' || rest.includes('--quiet') || rest.includes('-q')) return project;
  return { ...project, args: [command, offline, '--quiet', ...rest] };
}

/** POSIX sh single quotes: everything literal, a `'` written as `'\''`. */
function sq(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}

export function hookScript(o: { node: string; bin: string; projects: readonly HookProject[] }): string {
  const checks = o.projects
    .map((p) => {
      const patterns = p.watched.map((w) => `-e ${sq(w)}`).join(' ');
      return `if printf '%s\\n' "$staged" | grep -qxF ${patterns}; then
  (cd -- ${sq(p.dir)} && run_mcpm ${p.args.map(sq).join(' ')}) || status=$?
fi`;
    })
    .join('\n');
  return `#!/bin/sh
${HOOK_MARKER}
# Written by "mcpm hook install", which adds a project to the list below (a project installed
# again replaces its line); "mcpm hook uninstall" removes one, and this file with the last.
# For each project whose MCP config or lock is staged, runs "mcpm verify --offline" in its
# directory, and refuses the commit when a configured server is not locked with the same launch
# definition. The hook that was here before, if any, was renamed ${CHAINED_NAME} and runs first.
${o.projects.map((p) => `${PROJECT_LINE}${JSON.stringify(p)}`).join('\n')}
hook_dir=$(dirname -- "$0")
if [ -x "$hook_dir/${CHAINED_NAME}" ]; then
  "$hook_dir/${CHAINED_NAME}" "$@" || exit $?
fi
staged=$(git -c core.quotePath=false diff --cached --name-only --no-renames) || exit $?
run_mcpm() {
  if [ -x ${sq(o.node)} ] && [ -f ${sq(o.bin)} ]; then
    ${sq(o.node)} ${sq(o.bin)} "$@"
  else
    npx --no-install mcp-lockfile "$@"
  fi
}
status=0
${checks}
if [ "$status" -ne 0 ]; then
  echo "mcpm pre-commit hook: commit refused (exit $status): see above" >&2
fi
exit $status
`;
}
