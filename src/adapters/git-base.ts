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

/** The commit a base names: REF itself, else `origin/REF` (what a CI checkout has for a branch name). */
async function resolveBase(ref: string, cwd: string): Promise<string | undefined> {
  for (const candidate of [ref, `origin/${ref}`]) {
    // `--end-of-options` keeps a ref from a CI variable from being read as an option.
    const found = await git(['rev-parse', '--verify', '--quiet', '--end-of-options', `${candidate}^{commit}`], cwd);
    if (found.ok) return found.stdout.trim();
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
