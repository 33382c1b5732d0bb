import { constants, promises as fs } from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { McpmError } from '../core/errors.js';
import { checkLockSize, emptyLock, MAX_LOCK_BYTES, parseLock, parseLockHead, serializeLock, type Lock, type LockHead } from '../core/lockfile.js';
import { decodeUtf8, FileReadProblem, readRegularFile, withRegularFile } from './files.js';
import { readIndexedEntry, readWholeLock } from './lock-index.js';
import { readOutlinedLock } from './lock-outline.js';
import type { BuildCache } from './cache-dir.js';
import { replaceFile } from './replace-file.js';
import { keepYoungGenerationSmallFor } from './young-generation.js';

export interface LoadedLock {
  lock: Lock;
  /** The bytes read, or null when the file does not exist (from an outline, read from its copy when first asked for: readCheckedLock). */
  text: string | null;
}

/**
 * There was no lock file, told without reading `text` (which a lock read from its outline reads
 * only when asked for): a lock with servers was read from a file.
 */
export function lockFileMissing(loaded: LoadedLock): boolean {
  return loaded.lock.servers.size === 0 && loaded.text === null;
}

export interface LockStoreOptions {
  /** How the file is named in messages (e.g. `mcp.lock` for `/abs/project/mcp.lock`); default: the path as given. */
  displayName?: string;
}

/**
 * Reads and parses the lock; a missing file gives an empty lock with text null. Errors are McpmErrors naming the file.
 *
 * The lock path must be a regular file. A symbolic link is refused (LOCKFILE_CORRUPT) for reading
 * and writing alike: updateLock replaces the file with rename(2), which never follows the last path
 * component, so a linked `mcp.lock` would silently become a regular file and the link's target
 * would stop being updated; and a link committed to a repository could point at `~/.bashrc` or
 * `/dev/zero`. Refusing says so once instead of doing either quietly.
 */
export async function readLock(file: string, options: LockStoreOptions = {}): Promise<LoadedLock> {
  const shown = options.displayName ?? file;
  const read = await readLockFile(file, shown);
  if (read === null) return { lock: emptyLock(), text: null };
  // A large lock's whole value is kept while it is checked (young-generation.ts).
  keepYoungGenerationSmallFor(read.text);
  return { lock: parseLock(read.text, shown), text: read.text };
}

/**
 * As readLock, with `check` passed on the lock (it throws otherwise), and through the lock's outline
 * when this build checked these bytes before (lock-outline.ts): for `verify --offline`. The text is
 * then read from the outline's copy only if asked for.
 */
export async function readCheckedLock(file: string, options: LockStoreOptions & { outline: BuildCache; check: (lock: Lock) => void }): Promise<LoadedLock> {
  const shown = options.displayName ?? file;
  const read = lockFileProblems(shown, () =>
    withRegularFile(file, { noFollow: true, maxBytes: MAX_LOCK_BYTES }, (fd, stats) => readOutlinedLock(fd, stats.size, file, shown, options.outline, options.check)),
  );
  return read ?? { lock: emptyLock(), text: null };
}

/**
 * As readLock, read only as far as parseLockHead: for `mcpm run`, which reads the rest after starting
 * the server. Null: no file. `entry`: only that entry is needed; with a `cacheDir`, it is read
 * through the lock index when the file is unchanged since a full read (lock-index.ts).
 */
export async function readLockHead(file: string, options: LockStoreOptions & { entry?: { name: string; cacheDir: string | undefined } } = {}): Promise<LockHead | null> {
  const shown = options.displayName ?? file;
  const entry = options.entry;
  if (entry === undefined || entry.cacheDir === undefined) {
    const read = await readLockFile(file, shown);
    return read === null ? null : parseLockHead(read.text, shown);
  }
  const { cacheDir, name } = entry;
  return lockFileProblems(shown, () =>
    withRegularFile(file, { noFollow: true, maxBytes: MAX_LOCK_BYTES }, (fd) => {
      const indexed = readIndexedEntry(fd, file, shown, name, cacheDir);
      if (indexed !== undefined) return indexed;
      return readWholeLock(fd, file, cacheDir, (bytes, findPrinted) => parseLockHead(decodeUtf8(bytes), shown, { findPrinted }));
    }),
  );
}

/**
 * Runs `update` while holding an advisory lock on `file` (a sibling `<file>.mcpm-lock`, created
 * exclusively; stale ones from dead processes are taken over). `update` receives the lock as it is
 * on disk *now*, and returns the lock to write or null to leave the file alone. The write is atomic
 * (temp file in the same directory, fsync, rename) and skipped when the bytes are unchanged. A file
 * that does not parse is never overwritten: the McpmError propagates. LOCKFILE_BUSY after `waitMs`.
 * A lock over MAX_LOCK_BYTES, which readLock would refuse, is not written: LOCKFILE_TOO_LARGE.
 *
 * If `update` throws, nothing is written (the temp file is only created after it returns) and the
 * advisory lock is released. An existing file keeps its mode; a new one is created 0644 (less if
 * the umask says so). `text` in the result is what the file holds afterwards (null: still absent).
 */
export async function updateLock(
  file: string,
  update: (current: LoadedLock) => Promise<Lock | null> | Lock | null,
  options: { waitMs?: number } & LockStoreOptions = {},
): Promise<{ written: boolean; text: string | null }> {
  const shown = options.displayName ?? file;
  const release = await acquireAdvisoryLock(file, shown, options.waitMs ?? 10_000);
  try {
    const read = await readLockFile(file, shown);
    const current: LoadedLock = read === null ? { lock: emptyLock(), text: null } : { lock: parseLock(read.text, shown), text: read.text };
    const next = await update(current);
    if (next === null) return { written: false, text: current.text };
    const text = serializeLock(next);
    if (text === current.text) return { written: false, text };
    checkLockSize(next, text, shown);
    await writeAtomic(file, shown, text, read?.mode);
    return { written: true, text };
  } finally {
    await release();
  }
}

async function readLockFile(file: string, shown: string): Promise<{ text: string; mode: number } | null> {
  // A link is refused: see readLock. The lock is read as it is on disk (a BOM stays in the text, so
  // parseLock sees it), synchronously, as readTextFile (files.ts) reads: before anything else happens.
  return lockFileProblems(shown, () => readRegularFile(file, { noFollow: true, maxBytes: MAX_LOCK_BYTES }));
}

/** `read`'s result; a FileReadProblem becomes the McpmError that says what to do about the lock file. */
function lockFileProblems<T>(shown: string, read: () => T): T {
  try {
    return read();
  } catch (error) {
    if (!(error instanceof FileReadProblem)) throw error;
    const unusable = (problem: string, hint: string): McpmError =>
      new McpmError('LOCKFILE_CORRUPT', `${shown}: ${problem}`, hint, { cause: error.cause });
    switch (error.kind) {
      case 'symlink':
        throw unusable(
          'is a symbolic link; mcpm reads and writes the lockfile only as a regular file',
          `replace the link with the file it points to, or pass --lockfile with that file's path`,
        );
      case 'unreadable':
        throw unusable(error.message, 'check the file and its permissions');
      case 'not-regular':
        // Typically `--lockfile DIR`: the fix is another path, never deleting what is there.
        throw unusable(error.message, `pass --lockfile the path of the lock file itself (for example ${path.join(shown, 'mcp.lock')}), not a directory`);
      case 'too-large':
      case 'not-utf8':
        throw unusable(error.message, 'restore it from version control, then run mcpm install');
    }
  }
}

/**
 * replaceFile (which also fsyncs the directory, so the rename itself survives a crash). The rename
 * replaces whatever is at `file` without following it.
 */
async function writeAtomic(file: string, shown: string, text: string, existingMode: number | undefined): Promise<void> {
  try {
    await replaceFile(file, text, existingMode);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    // No code fits a failed write better; LOCKFILE_CORRUPT keeps it an exit-2 "lockfile error" with the file unchanged.
    // A lock that did not exist is not "unchanged": it was not created.
    const outcome = existingMode === undefined ? 'nothing was written' : 'it was left unchanged';
    throw new McpmError('LOCKFILE_CORRUPT', `${shown}: cannot be written (${code ?? String(error)}); ${outcome}`, 'check the directory and its permissions', {
      cause: error,
    });
  }
}

/**
 * Lock files this process holds, by absolute path. A lock file naming our own pid that is not in
 * here was left by an earlier process that had the same pid (containers reuse low pids), so it is
 * stale. Callers within this process queue on `queues` first, so only one of them at a time
 * touches the lock files of one path, and this set never races with itself.
 */
const heldHere = new Set<string>();
const queues = new Map<string, Promise<void>>();

/** How old a lock file without a readable pid must be before it counts as abandoned (a holder writes its pid right after creating it). */
const UNREADABLE_STALE_MS = 5_000;

interface Holder {
  pid: number | null;
  mtimeMs: number;
}

/**
 * `<file>.mcpm-lock`, created with O_EXCL and holding the creator's pid. A lock whose pid is dead
 * (kill(pid, 0) fails with ESRCH) is stale and taken over. Taking over goes through a second
 * exclusive file, `<file>.mcpm-lock.takeover`, held for a few system calls: without it, two waiters
 * that both saw the same stale lock could each delete it, and the slower one would delete the lock
 * the faster one had just created. Retries back off from 10 ms to 250 ms until `waitMs`.
 */
export async function acquireAdvisoryLock(file: string, shown: string, waitMs: number): Promise<() => Promise<void>> {
  const lockPath = `${file}.mcpm-lock`;
  const key = path.resolve(lockPath);
  const deadline = performance.now() + waitMs;
  const busy = (who: string): McpmError =>
    new McpmError(
      'LOCKFILE_BUSY',
      `${shown}: another mcpm (${who}) is updating it; waited ${formatSeconds(waitMs)}`,
      `wait for it to finish; if no mcpm is running, delete ${lockPath}`,
    );

  const leaveQueue = await enterQueue(key, deadline);
  if (leaveQueue === null) throw busy(`this process, pid ${process.pid}`);
  try {
    let delay = 10;
    for (;;) {
      if (await createExclusive(lockPath, shown)) {
        heldHere.add(key);
        return async () => {
          try {
            const holder = await readHolder(lockPath);
            if (holder?.pid === process.pid) await fs.rm(lockPath, { force: true });
          } catch {
            // Best effort: a lock left behind names a dead pid, and the next run takes it over.
          } finally {
            heldHere.delete(key);
            leaveQueue();
          }
        };
      }
      const holder = await readHolder(lockPath);
      if (holder === null) continue;
      if (isStale(holder, key) && (await removeStale(lockPath, shown))) continue;
      const remaining = deadline - performance.now();
      if (remaining <= 0) throw busy(holder.pid === null ? 'a process whose pid cannot be read' : `pid ${holder.pid}`);
      await sleep(Math.min(remaining, delay * (0.5 + Math.random())));
      delay = Math.min(delay * 2, 250);
    }
  } catch (error) {
    leaveQueue();
    throw error;
  }
}

/** Waits for earlier callers in this process on the same lock path; null when `deadline` passes first. */
async function enterQueue(key: string, deadline: number): Promise<(() => void) | null> {
  const previous = queues.get(key) ?? Promise.resolve();
  let leave!: () => void;
  const mine = new Promise<void>((resolve) => {
    leave = resolve;
  });
  const tail = previous.then(() => mine);
  queues.set(key, tail);
  const done = (): void => {
    leave();
    if (queues.get(key) === tail) queues.delete(key);
  };
  const timer = new AbortController();
  const timedOut = await Promise.race([
    previous.then(() => false),
    sleep(Math.max(0, deadline - performance.now()), true, { signal: timer.signal }).catch(() => false),
  ]);
  timer.abort();
  if (timedOut) {
    // Pass the turn on at once: whoever queued behind this caller still waits only for `previous`.
    done();
    return null;
  }
  return done;
}

/** True when this process created `lockPath` with its pid in it; false when it already exists. */
async function createExclusive(lockPath: string, shown: string): Promise<boolean> {
  let handle;
  try {
    handle = await fs.open(lockPath, 'wx', 0o644);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return false;
    throw new McpmError('LOCKFILE_BUSY', `${shown}: cannot create ${lockPath} (${code ?? String(error)})`, 'check the directory and its permissions', {
      cause: error,
    });
  }
  try {
    await handle.writeFile(`${process.pid}\n`, 'utf8');
    await handle.close();
  } catch (error) {
    await handle.close().catch(() => undefined);
    await fs.rm(lockPath, { force: true });
    throw error;
  }
  return true;
}

/** The pid in a lock file (null if unreadable) and its age; null when the file is gone. Never follows a link. */
async function readHolder(lockPath: string): Promise<Holder | null> {
  let stats;
  try {
    stats = await fs.lstat(lockPath);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
  if (!stats.isFile()) return { pid: null, mtimeMs: stats.mtimeMs };
  let text = '';
  let handle;
  try {
    handle = await fs.open(lockPath, constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0) | (constants.O_NONBLOCK ?? 0));
    const buffer = Buffer.alloc(32);
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
    text = buffer.subarray(0, bytesRead).toString('utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
  } finally {
    await handle?.close().catch(() => undefined);
  }
  const match = /^([1-9][0-9]{0,9})\n$/.exec(text);
  const pid = match === null ? null : Number(match[1]);
  return { pid: pid !== null && pid <= 0x7fffffff ? pid : null, mtimeMs: stats.mtimeMs };
}

function isStale(holder: Holder, key: string): boolean {
  if (holder.pid === null) return Date.now() - holder.mtimeMs > UNREADABLE_STALE_MS;
  if (holder.pid === process.pid) return !heldHere.has(key);
  return !isAlive(holder.pid);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to another user, so it is alive.
    return (error as NodeJS.ErrnoException).code !== 'ESRCH';
  }
}

/** Deletes a stale lock under the takeover lock, re-checking it there. True when the way is clear. */
async function removeStale(lockPath: string, shown: string): Promise<boolean> {
  const takeoverPath = `${lockPath}.takeover`;
  const takeoverKey = path.resolve(takeoverPath);
  if (!(await createExclusive(takeoverPath, shown))) {
    // Another waiter is taking over right now, or one died doing so (its pid tells).
    const other = await readHolder(takeoverPath);
    if (other !== null && isStale(other, takeoverKey)) await fs.rm(takeoverPath, { force: true });
    return false;
  }
  heldHere.add(takeoverKey);
  try {
    const holder = await readHolder(lockPath);
    if (holder === null) return true;
    if (!isStale(holder, path.resolve(lockPath))) return false;
    await fs.rm(lockPath, { force: true });
    return true;
  } finally {
    await fs.rm(takeoverPath, { force: true });
    heldHere.delete(takeoverKey);
  }
}

function formatSeconds(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${(ms / 1000).toFixed(1)} s`;
}

let timers: typeof import('node:timers/promises') | undefined;

/** node:timers/promises' setTimeout, loaded at the first wait: most runs never wait, and `verify --offline` bundles this file. */
function sleep<T = void>(delay: number, value?: T, options?: { signal?: AbortSignal }): Promise<T> {
  timers ??= createRequire(import.meta.url)('node:timers/promises') as typeof import('node:timers/promises');
  return timers.setTimeout(delay, value, options);
}
