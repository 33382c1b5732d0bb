/**
 * `verify --offline` of a lock it checked before. A pre-commit hook runs it at every commit, and
 * for a lock of many servers reading and checking the definitions is most of its time, although the
 * lock rarely changed since the last commit. So after a lock's full read and self-check pass, its
 * outline (core/lockfile.ts: every entry but its definitions) is kept in mcpm's cache directory,
 * never in the project, with the build of mcpm that checked it and a copy of the bytes it checked.
 * A later check by the same build of a file with exactly those bytes reads the outline instead;
 * the definitions are read (from the copy) only if something asks for them.
 *
 * The file's bytes are compared with the copy, not its identity or a digest: a file written through
 * a shared mapping changes its bytes without its times, and a comparison needs no hash (node:crypto
 * alone takes longer to load than the comparison). The build is kept because what passes the check
 * is the code's to say: another mcpm checks again. What is kept is the lock's own text and what was
 * derived from it: nothing the project does not hold.
 */
import { closeSync, futimesSync, readFileSync, readSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { JsonValue } from '../core/json-strict.js';
import { lockFromHead, lockFromOutline, lockOutline, MAX_LOCK_BYTES, parseLock, parseLockHead, type Lock } from '../core/lockfile.js';
import { cacheKey, openCacheFile, removeUnused, writeCacheFile, type BuildCache } from './cache-dir.js';
import { decodeUtf8 } from './files.js';
import type { LoadedLock } from './lock-store.js';
import { keepYoungGenerationSmallFor } from './young-generation.js';

/** Bumped when what the first line holds changes. */
const OUTLINE_VERSION = 1;

/** The first line (the outline of the largest lock is a small part of it), then a copy of the lock. */
const MAX_FIRST_LINE_BYTES = MAX_LOCK_BYTES;

/** Compared this much at a time: two buffers of it, where reading both files whole would map megabytes of fresh pages. */
const CHUNK_BYTES = 64 * 1024;

function outlineFile(cacheDir: string, lockFile: string): string {
  return join(cacheDir, 'lock-outline', `${cacheKey(lockFile)}.outline`);
}

/**
 * The lock open on `fd` (a regular file of `size` bytes: `lockFile`, shown as `shown`) parsed, with
 * `check` passed: from its outline when this build kept one for exactly these bytes, else read in
 * full, checked, and its outline kept (best effort). Throws as parseLock does, FileReadProblem for
 * bytes that are not UTF-8, and whatever `check` throws; nothing is kept for a lock that fails.
 */
export function readOutlinedLock(fd: number, size: number, lockFile: string, shown: string, cache: BuildCache, check: (lock: Lock) => void): LoadedLock {
  const file = outlineFile(cache.dir, lockFile);
  const kept = keptOutline(file, cache.build, fd, size);
  if (kept !== undefined) {
    let text: string | undefined;
    const copy = () => (text ??= decodeUtf8(kept.copy()));
    try {
      const lock = lockFromOutline(shown, kept.outline, () => {
        const whole = copy();
        // A large lock's whole value is kept while it is read (young-generation.ts).
        keepYoungGenerationSmallFor(whole);
        return parseLock(whole, shown);
      });
      // The text from the copy, only if asked for (lockFileMissing tells a lock's absence without it).
      return {
        lock,
        get text() {
          return copy();
        },
      };
    } catch {
      // Not an outline this build wrote (edited by hand?): read in full.
      kept.close();
    }
  }
  const bytes = readFileSync(fd);
  const text = decodeUtf8(bytes);
  keepYoungGenerationSmallFor(text);
  const head = parseLockHead(text, shown);
  const lock = lockFromHead(head);
  check(lock);
  const firstLine = Buffer.from(`${JSON.stringify({ version: OUTLINE_VERSION, build: cache.build, outline: lockOutline(head, lock) })}\n`);
  // Each outline is about twice its lock: those of deleted projects (temporary clones, CI workspaces) go.
  if (writeCacheFile(file, [firstLine, bytes])) removeUnused(dirname(file), '.outline');
  return { lock, text };
}

/**
 * The outline kept in `file` by `build` for a lock of exactly the bytes on `lockFd`, and the copy of
 * them; undefined otherwise. The cache file stays open until the copy is read or `close` is called:
 * another run may replace it meanwhile (for another text of the same lock), and the copy must be
 * the bytes compared.
 */
function keptOutline(file: string, build: string, lockFd: number, lockSize: number): { outline: JsonValue; copy: () => Buffer; close: () => void } | undefined {
  const open = openCacheFile(file, MAX_FIRST_LINE_BYTES + lockSize + 1);
  if (open === undefined) return undefined;
  const { fd } = open;
  let kept = false;
  try {
    const start = open.size - lockSize;
    const first = firstLine(fd, Math.min(start, MAX_FIRST_LINE_BYTES + 1));
    // The copy starts right after the first line, and is as long as the lock.
    if (first === undefined || first.length + 1 !== start) return undefined;
    const json = JSON.parse(first.toString('utf8')) as { version?: unknown; build?: unknown; outline?: JsonValue };
    if (json.version !== OUTLINE_VERSION || json.build !== build || json.outline === undefined) return undefined;
    if (!sameBytes(lockFd, fd, start, lockSize)) return undefined;
    kept = true;
    touch(fd);
    let closed = false;
    const close = () => {
      if (!closed) closeSync(fd);
      closed = true;
    };
    return {
      outline: json.outline,
      copy: () => {
        try {
          const bytes = Buffer.alloc(lockSize);
          if (readSync(fd, bytes, 0, lockSize, start) !== lockSize) throw new Error('the cache file was cut short');
          return bytes;
        } finally {
          close();
        }
      },
      close,
    };
  } catch {
    return undefined;
  } finally {
    if (!kept) closeSync(fd);
  }
}

/** The bytes of `fd` before its first line feed, looked for in its first `within` bytes; undefined when there is none. */
function firstLine(fd: number, within: number): Buffer | undefined {
  const chunks: Buffer[] = [];
  let at = 0;
  while (at < within) {
    const chunk = Buffer.allocUnsafe(Math.min(CHUNK_BYTES, within - at));
    const n = readSync(fd, chunk, 0, chunk.length, at);
    if (n === 0) return undefined;
    const end = chunk.subarray(0, n).indexOf(0x0a);
    if (end !== -1) {
      chunks.push(chunk.subarray(0, end));
      return Buffer.concat(chunks);
    }
    chunks.push(chunk.subarray(0, n));
    at += n;
  }
  return undefined;
}

/** Whether the `size` bytes of `a` from its start are those of `b` from `offset`. */
function sameBytes(a: number, b: number, offset: number, size: number): boolean {
  const x = Buffer.allocUnsafe(CHUNK_BYTES);
  const y = Buffer.allocUnsafe(CHUNK_BYTES);
  for (let at = 0; at < size; at += CHUNK_BYTES) {
    const n = Math.min(CHUNK_BYTES, size - at);
    if (readSync(a, x, 0, n, at) !== n || readSync(b, y, 0, n, offset + at) !== n) return false;
    if (x.compare(y, 0, n, 0, n) !== 0) return false;
  }
  // Grown since it was opened (an append): not these bytes either.
  return readSync(a, x, 0, 1, size) === 0;
}

/** An outline's modification time is when it was last used (cache-dir.ts removeUnused); best effort. */
function touch(fd: number): void {
  try {
    const now = new Date();
    futimesSync(fd, now, now);
  } catch {
    // Its last write then stands for its last use.
  }
}
