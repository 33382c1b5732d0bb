/**
 * Where an organisation's allow-list comes from: a file, a directory holding `mcp-allowlist.json`,
 * or a path in a git repository, `git+<url>#<ref>:<path>`, fetched with the `git` client. Each
 * fetched commit is kept read-only under the user's cache directory, and the last commit a ref
 * resolved to is remembered, so a machine that cannot reach the repository keeps working from the
 * copy it has (and says so).
 */
import { execFile } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, realpathSync, renameSync, rmSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { promisify } from 'node:util';
import { ALLOWLIST_FILE } from '../core/allowlist.js';
import { nameDigest } from '../core/canonical.js';
import { McpmError } from '../core/errors.js';
import { shownUrl } from '../core/launch/values.js';
import { MIN_SECRET_LENGTH, querySecretsOf, redactSecrets, type SecretValue } from '../core/reflected-secrets.js';
import { FileReadProblem, MAX_FILE_BYTES, readRegularFile } from './files.js';
import { mcpmCacheDir } from './cache-dir.js';
import { replaceFile } from './replace-file.js';
import { makeDirectories } from './make-directories.js';

const run = promisify(execFile);

export interface AllowlistText {
  text: string;
  /** For messages: the path, or `git+url#ref:path @ <commit>`. */
  label: string;
  /** The directory the list's relative paths (allowedSigners) are resolved in. */
  dir: string;
  /** Set when a git source could not be fetched and the cached commit was used. */
  offlineNote?: string;
}

export interface GitSource {
  url: string;
  ref: string;
  path: string;
}

const HINT = 'check --allowlist (or MCPM_ALLOWLIST); docs/org.md shows the forms it takes';

/** `git+<url>#<ref>:<path>`; ref defaults to HEAD and path to mcp-allowlist.json. Undefined for a local path. */
export function parseGitSource(source: string): GitSource | undefined {
  if (!source.startsWith('git+')) return undefined;
  const hash = source.indexOf('#');
  const url = source.slice(4, hash === -1 ? undefined : hash);
  const fragment = hash === -1 ? '' : source.slice(hash + 1);
  // A ref name cannot contain ":" (git check-ref-format), so the first one ends it.
  const colon = fragment.indexOf(':');
  const ref = (colon === -1 ? fragment : fragment.slice(0, colon)) || 'HEAD';
  const path = colon === -1 ? '' : fragment.slice(colon + 1);
  // An argument starting with "-" would be read by git as an option.
  if (url === '' || url.startsWith('-') || ref.startsWith('-')) throw new McpmError('USAGE', `--allowlist ${shownUrl(source)}: not a git source of the form git+<url>#<ref>:<path>`, HINT);
  return { url, ref, path };
}

export async function readAllowlistSource(
  source: string,
  context: GitContext & { cwd: string },
): Promise<AllowlistText> {
  const git = parseGitSource(source);
  if (git === undefined) return readLocal(resolve(context.cwd, source), source);
  const checkout = await gitCheckout(git, source, context);
  const inside = resolve(checkout.dir, git.path);
  const read = readLocal(inside, `${shownUrl(source)} @ ${checkout.commit.slice(0, 12)}`, checkout.dir);
  return { ...read, ...(checkout.offlineNote ? { offlineNote: checkout.offlineNote } : {}) };
}

/** A file, or a directory's mcp-allowlist.json; `root`: the file must resolve inside it (a repository's symbolic link may not point out). */
function readLocal(path: string, label: string, root?: string): AllowlistText {
  let file = path;
  try {
    if (statSync(path).isDirectory()) file = join(path, ALLOWLIST_FILE);
  } catch {
    throw new McpmError('ALLOWLIST_UNAVAILABLE', `${label}: no such file or directory`, HINT);
  }
  if (root !== undefined) {
    let real: string;
    try {
      real = realpathSync(file);
    } catch {
      throw new McpmError('ALLOWLIST_UNAVAILABLE', `${label}: no ${relative(root, file) || ALLOWLIST_FILE} in the repository`, HINT);
    }
    const rel = relative(realpathSync(root), real);
    if (rel.startsWith('..') || isAbsolute(rel)) throw new McpmError('ALLOWLIST_INVALID', `${label}: points outside the repository`, HINT);
  }
  let read;
  try {
    read = readRegularFile(file, { maxBytes: MAX_FILE_BYTES });
  } catch (error) {
    if (!(error instanceof FileReadProblem)) throw error;
    throw new McpmError('ALLOWLIST_UNAVAILABLE', `${label}: ${error.message}`, HINT, { cause: error });
  }
  if (read === null) throw new McpmError('ALLOWLIST_UNAVAILABLE', `${label}: no ${ALLOWLIST_FILE} there`, HINT);
  return { text: read.text, label, dir: dirname(file) };
}

/**
 * `allowlists` in mcpm's cache directory (mcpmCacheDir: `$XDG_CACHE_HOME/mcpm`, default
 * `~/.cache/mcpm`; macOS `~/Library/Caches/mcpm`). Without a home (or with a relative
 * XDG_CACHE_HOME alone) there is none, and the checkout is refused rather than made relative to
 * the working directory: a repository inside the project is one `git add .` from being committed.
 */
export function allowlistCacheDir(env: Readonly<Record<string, string | undefined>>, platform: NodeJS.Platform): string {
  const base = mcpmCacheDir({ env, platform });
  if (base === undefined) throw new McpmError('ALLOWLIST_UNAVAILABLE', 'no cache directory for the allow-list checkout: HOME (or LOCALAPPDATA on Windows) is not set', HINT);
  return join(base, 'allowlists');
}

/** Variables a git hook sets for its own repository; inherited, they would point our git at it. */
const REPOSITORY_VARS = ['GIT_DIR', 'GIT_WORK_TREE', 'GIT_INDEX_FILE', 'GIT_OBJECT_DIRECTORY', 'GIT_ALTERNATE_OBJECT_DIRECTORIES', 'GIT_COMMON_DIR', 'GIT_PREFIX', 'GIT_NAMESPACE'];

function digest(text: string): string {
  return nameDigest(text, 24);
}

export interface GitContext {
  env: Readonly<Record<string, string | undefined>>;
  platform: NodeJS.Platform;
  timeoutMs: number;
  /** A ref fetched less than this long ago is taken from the cache without asking the repository. */
  maxAgeMs?: number;
  /** Epoch ms. */
  now: number;
}

/** `text`: the source as given (`git+…`), for messages. */
async function gitCheckout(source: GitSource, text: string, context: GitContext): Promise<{ dir: string; commit: string; offlineNote?: string }> {
  const repoCache = join(allowlistCacheDir(context.env, context.platform), digest(source.url));
  const commits = join(repoCache, 'commits');
  const refFile = join(repoCache, 'refs', digest(source.ref));
  // A full commit id names immutable content: a cached copy needs no network.
  if (/^[0-9a-f]{40}$/.test(source.ref) && existsSync(join(commits, source.ref))) return { dir: join(commits, source.ref), commit: source.ref };
  if (context.maxAgeMs !== undefined) {
    const fetchedAt = (() => {
      try {
        return statSync(refFile).mtimeMs;
      } catch {
        return undefined;
      }
    })();
    const cached = fetchedAt !== undefined && context.now - fetchedAt < context.maxAgeMs ? readRefPointer(refFile, commits) : undefined;
    if (cached !== undefined) return { dir: join(commits, cached), commit: cached };
  }
  const env: Record<string, string | undefined> = { ...context.env, GIT_TERMINAL_PROMPT: '0' };
  for (const name of REPOSITORY_VARS) delete env[name];
  makeDirectories(join(repoCache, 'refs'));
  makeDirectories(commits);
  const work = mkdtempSync(join(repoCache, 'fetch-'));
  try {
    const gitDir = join(work, 'repo.git');
    const git = (args: string[]) => run('git', args, { env: env as NodeJS.ProcessEnv, timeout: context.timeoutMs, maxBuffer: 1024 * 1024 });
    let commit: string;
    try {
      await git(['init', '-q', '--bare', gitDir]);
      await git(['--git-dir', gitDir, 'fetch', '-q', '--depth=1', '--no-tags', '--', source.url, source.ref]);
      commit = (await git(['--git-dir', gitDir, 'rev-parse', '--verify', 'FETCH_HEAD^{commit}'])).stdout.trim();
    } catch (error) {
      const shown = shownUrl(text);
      const reason = redactSecrets(gitReason(error), credentialsIn(text, shown, source.url));
      const cached = readRefPointer(refFile, commits);
      if (cached === undefined) {
        throw new McpmError('ALLOWLIST_UNAVAILABLE', `${shown}: could not be fetched (${reason}), and no copy is cached`, HINT, { cause: error });
      }
      return { dir: join(commits, cached), commit: cached, offlineNote: `could not fetch ${shown} (${reason}); using the cached commit ${cached.slice(0, 12)}` };
    }
    const target = join(commits, commit);
    if (!existsSync(target)) {
      const tree = join(work, 'tree');
      mkdirSync(tree);
      await git(['--git-dir', gitDir, '--work-tree', tree, 'read-tree', commit]);
      await git(['--git-dir', gitDir, '--work-tree', tree, 'checkout-index', '-a']);
      try {
        // Moved while still writable: moving a directory to another parent rewrites its "..".
        renameSync(tree, target);
        makeReadOnly(target);
      } catch (error) {
        // Another mcpm put the same commit there first: its copy is as good.
        if (!existsSync(target)) throw error;
      }
    }
    await replaceFile(refFile, `${commit}\n`, undefined);
    return { dir: target, commit };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

function readRefPointer(refFile: string, commits: string): string | undefined {
  const read = (() => {
    try {
      return readRegularFile(refFile, { maxBytes: 1024 });
    } catch {
      return null;
    }
  })();
  const commit = read?.text.trim();
  return commit !== undefined && /^[0-9a-f]{40,64}$/.test(commit) && existsSync(join(commits, commit)) ? commit : undefined;
}

/** Files 0444, directories 0555: the cache is a record of what the organisation published, not a place to edit it. */
function makeReadOnly(dir: string): void {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) makeReadOnly(path);
    else if (entry.isFile()) chmodSync(path, 0o444);
  }
  chmodSync(dir, 0o555);
}

/**
 * What of a git source (`git+https://x-access-token:…@github.com/…#main`, as given) git's messages
 * and a failed command line may quote that is a credential: its user information, read loosely
 * (after the scheme, up to its last `@`: a `/`, `#` or `?` in a password does not end it, as it
 * ends a URL's host, and git then quotes the URL whole), and its parts; and its URL's query values.
 * Not what the source shows anyway (`shown`, its shownUrl): an `@` in a path (`#main:teams/@platform/…`) would
 * make its host and path read as a user's, and git's words would lose what the user needs.
 */
function credentialsIn(text: string, shown: string, url: string): SecretValue[] {
  const scheme = /^[A-Za-z][A-Za-z0-9+.-]*:[/\\]*/.exec(text)?.[0];
  const at = text.lastIndexOf('@');
  const user = scheme === undefined || at < scheme.length ? '' : text.slice(scheme.length, at);
  const pieces = user.split(/[:#?/\\@]/).filter((piece) => piece.length >= MIN_SECRET_LENGTH && !shown.includes(piece));
  if ((user.includes(':') || user.length >= MIN_SECRET_LENGTH) && !shown.includes(user)) pieces.unshift(user);
  return [...pieces.map((value) => ({ label: "the allow-list URL's user information", value })), ...querySecretsOf(url)];
}

function gitReason(error: unknown): string {
  const e = error as { code?: string; stderr?: string; message?: string };
  if (e.code === 'ENOENT') return 'git is not installed';
  const line = (e.stderr ?? '').trim().split('\n').pop()?.trim();
  return line || e.message || String(error);
}
