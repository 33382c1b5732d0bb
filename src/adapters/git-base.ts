/**
 * The lock as a git ref has it, read with the git client: `git show REF:PATH`, PATH relative to the
 * repository root (the lock may be in a subdirectory). A ref that is not there locally is an error
 * that says how to fetch it: CI checkouts are shallow by default, and a missing base must never
 * read as "nothing to compare".
 */
import { execFile } from 'node:child_process';
import { basename, dirname } from 'node:path';
import { McpmError } from '../core/errors.js';
import { jsonQuote } from '../core/json-strict.js';
import { SAFE_GIT_OPTIONS } from './git-options.js';

function git(args: string[], cwd: string): Promise<{ ok: boolean; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    // No shell, no pager, no prompt for credentials: this runs unattended on CI.
    execFile('git', [...SAFE_GIT_OPTIONS, ...args], { cwd, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, env: { ...process.env, GIT_TERMINAL_PROMPT: '0', GIT_PAGER: 'cat' } }, (error, stdout, stderr) => {
      resolve({ ok: error === null, stdout, stderr });
    });
  });
}

/**
 * The commit a base names. A plain name is looked up by full ref names only, branches first: a
 * local branch, then `origin/REF` (what a CI checkout has for a branch name), a remote-tracking
 * branch given with its remote, then a tag. Given the short name, git would take a tag before a
 * branch, and anyone who may push a tag named like the base branch could make the change under
 * review its own base; a tag and a branch of that name at different commits are refused as
 * ambiguous. A suffix (`main~1`) applies to the name so found. Anything else (a SHA, a full ref
 * name) is left to git.
 */
async function resolveBase(ref: string, cwd: string): Promise<string | undefined> {
  const commitOf = async (name: string): Promise<string | undefined> => {
    // `--end-of-options` keeps a ref from a CI variable from being read as an option.
    const found = await git(['rev-parse', '--verify', '--quiet', '--end-of-options', `${name}^{commit}`], cwd);
    return found.ok ? found.stdout.trim() : undefined;
  };
  // A full object name is the object, whatever refs are named like it (git reads it so too).
  const objectName = /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/i.test(ref);
  // `main~1`, `main^2`: the name before the suffix is looked up as a plain name is (a tag `main`
  // would win with git), then the suffix is applied to its commit.
  const suffixed = /^([^~^]+)((?:[~^][0-9]*|\^\{[^}]*\})+)$/.exec(ref);
  if (suffixed !== null) {
    const named = await resolveBase(suffixed[1]!, cwd);
    return named === undefined ? undefined : commitOf(`${named}${suffixed[2]}`);
  }
  if (!objectName && !ref.startsWith('refs/')) {
    // One git for the four names: each ref with its commit (`*objectname`, peeled, for an annotated tag).
    const names = [`refs/heads/${ref}`, `refs/remotes/origin/${ref}`, `refs/remotes/${ref}`, `refs/tags/${ref}`];
    const listed = await git(['for-each-ref', '--format=%(refname)%00%(objectname)%00%(*objectname)', ...names], cwd);
    const commits = new Map<string, string>();
    for (const line of listed.ok ? listed.stdout.split('\n') : []) {
      const [name, object, peeled] = line.split('\0');
      // Patterns match a ref's directory too (refs/heads/main/x): only the names asked for count.
      if (name !== undefined && names.includes(name) && object) commits.set(name, peeled || object);
    }
    const [head, origin, remote, tag] = names.map((name) => commits.get(name));
    const branch = head ?? origin ?? remote;
    if (branch !== undefined && tag !== undefined && tag !== branch) {
      throw new McpmError(
        'BASE_NOT_AVAILABLE',
        `the base ${jsonQuote(ref)} names both a branch and a tag, at different commits; mcpm does not guess which one was reviewed`,
        `name it in full: --base refs/remotes/origin/${ref} (or refs/heads/${ref}, refs/tags/${ref})`,
      );
    }
    if (branch !== undefined || tag !== undefined) return branch ?? tag;
  }
  for (const candidate of [ref, `origin/${ref}`]) {
    const commit = await commitOf(candidate);
    if (commit !== undefined) return commit;
  }
  return undefined;
}

/** The lock file's text at `ref`, or null when the base has no such file (then every entry is new there). */
export async function readLockAtRef(lockFile: string, ref: string, label: string): Promise<string | null> {
  const dir = dirname(lockFile);
  // The prefix of the lock's directory inside the repository ("" at its root, "packages/app/" below).
  const top = await git(['rev-parse', '--show-prefix'], dir);
  if (!top.ok) {
    throw new McpmError('BASE_NOT_AVAILABLE', `${label} is not in a git repository, so the base ${jsonQuote(ref)} cannot be read`, 'run mcpm in a git checkout, or leave out --base');
  }
  // In a submodule, the base would come from the submodule's own history: a change that swaps the
  // submodule for another repository would bring its own base along.
  const superproject = await git(['rev-parse', '--show-superproject-working-tree'], dir);
  if (superproject.ok && superproject.stdout.trim() !== '') {
    throw new McpmError(
      'BASE_NOT_AVAILABLE',
      `${label} is inside a git submodule, so a base read there would come from the submodule's own history, not the reviewed one`,
      'keep the MCP config and its lock in the repository under review, not in a submodule, or leave out --base',
    );
  }
  const commit = await resolveBase(ref, dir);
  if (commit === undefined) {
    throw new McpmError(
      'BASE_NOT_AVAILABLE',
      `the base ${jsonQuote(ref)} is not in this checkout, so ${label} cannot be compared with it`,
      `fetch it (git fetch origin ${ref}), or check out with history: on GitHub Actions "fetch-depth: 0" in actions/checkout; on GitLab GIT_DEPTH: 0`,
    );
  }
  const path = `${top.stdout.trim()}${basename(lockFile)}`;
  const shown = await git(['show', `${commit}:${path}`], dir);
  if (shown.ok) return shown.stdout;
  const exists = await git(['cat-file', '-e', `${commit}:${path}`], dir);
  if (!exists.ok) return null;
  throw new McpmError('BASE_NOT_AVAILABLE', `git could not read ${label} at ${jsonQuote(ref)}: ${shown.stderr.trim()}`, `run "git show ${ref}:${path}" to see why`);
}
