/**
 * mcpm's cache directory: what it keeps to do the same work faster next time (the lock index,
 * compiled code, allow-list checkouts). Everything in it can be
 * deleted at any time. Its own module, with nothing else in it: bin/mcpm.cjs loads it (through
 * dist/code-cache.cjs) before anything else.
 */
import { closeSync, constants, fstatSync, lstatSync, openSync, readdirSync, readFileSync, readlinkSync, renameSync, rmSync, writeFileSync, type BigIntStats } from 'node:fs';
import { dirname, join, parse, resolve, sep } from 'node:path';
import { makeDirectories } from './make-directories.js';

/** Where the cache is: the environment and the platform. */
export interface CachePlace {
  env: Readonly<Record<string, string | undefined>>;
  platform: NodeJS.Platform;
}

/** `$XDG_CACHE_HOME/mcpm` (default `~/.cache/mcpm`), `~/Library/Caches/mcpm` on macOS, `%LOCALAPPDATA%\mcpm\cache` on Windows; undefined without a home. */
export function mcpmCacheDir(place: CachePlace): string | undefined {
  const { env, platform } = place;
  if (platform === 'win32') return env['LOCALAPPDATA'] ? join(env['LOCALAPPDATA'], 'mcpm', 'cache') : undefined;
  const home = env['HOME'];
  if (platform === 'darwin') return home ? join(home, 'Library', 'Caches', 'mcpm') : undefined;
  const xdg = env['XDG_CACHE_HOME'];
  if (xdg && xdg.startsWith('/')) return join(xdg, 'mcpm');
  return home ? join(home, '.cache', 'mcpm') : undefined;
}

/**
 * mcpm's cache directory and the build of the running mcpm (self.ts selfBuild): where results a
 * build checked are kept, and under what. What passes a check is the code's to say, so another
 * build checks again.
 */
export interface BuildCache {
  dir: string;
  build: string;
}

/** FNV-1a's own offset basis (32 bits). */
export const FNV_OFFSET = 0x811c9dc5;

/** 32-bit FNV-1a of `text`'s UTF-16 code units from `offset`, as 8 hex digits. */
export function fnv1a(text: string, offset: number): string {
  let hash = offset;
  for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193) >>> 0;
  return hash.toString(16).padStart(8, '0');
}

/**
 * A name for a cache file made from `text` (a lock file's path; with an entry's name, for an entry
 * check): 16 hex digits, two FNV-1a of it from different offsets. Only for files whose content says
 * what they are for (the lock index, the outline, the entry checks), so that two texts of one name
 * cost a miss, never a wrong result. Not SHA-256: `mcpm run` computes its other hashes in
 * JavaScript, and a few more calls of that code have V8 compile it for speed, 1 to 4 ms of a 2-CPU
 * machine before the host's server answers.
 */
export function cacheKey(text: string): string {
  return fnv1a(text, FNV_OFFSET) + fnv1a(text, 0x050c5d1f);
}

/**
 * A file's identity, what a cache of something derived from its bytes is kept under: device, inode,
 * size, and modification and change times to the nanosecond (a write sets the change time, which
 * no user can set back; but writes through a shared mapping may leave the times as they were until
 * the kernel writes the pages back, so a cache that must never serve other bytes also compares
 * bytes: lock-outline.ts, lock-index.ts). Joined with '-', so that it can be part of a file name on
 * every platform.
 */
export function fileIdentity(stats: BigIntStats): string {
  return [stats.dev, stats.ino, stats.size, stats.mtimeNs, stats.ctimeNs].join('-');
}

/**
 * The bytes of a file in the cache, or undefined when it is missing, larger than `maxBytes`, not a
 * regular file, or could have been written by another user (openCacheFile).
 */
export function readCacheFile(file: string, maxBytes: number, options: { private?: boolean } = {}): Buffer | undefined {
  const open = openCacheFile(file, maxBytes, options);
  if (open === undefined) return undefined;
  try {
    return readFileSync(open.fd);
  } catch {
    return undefined;
  } finally {
    closeSync(open.fd);
  }
}

/**
 * A file in the cache opened for reading, with its size; the caller closes it. Undefined when it is
 * missing, larger than `maxBytes`, not a regular file, or could have been written by another user
 * (not owned by this one, or writable by group or others, or in a directory another user could
 * have put there: trustedDirectory): what another user planted in a shared cache directory is never
 * believed. `private`: nor read by them (a key).
 */
export function openCacheFile(file: string, maxBytes: number, options: { private?: boolean } = {}): { fd: number; size: number } | undefined {
  if (!trustedDirectory(dirname(file))) return undefined;
  let fd: number | undefined;
  try {
    fd = openSync(file, constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0) | (constants.O_NONBLOCK ?? 0));
    const stats = fstatSync(fd);
    const others = options.private ? 0o077 : 0o022;
    if (stats.isFile() && stats.size <= maxBytes && (process.platform === 'win32' || (stats.uid === process.getuid?.() && (stats.mode & others) === 0))) {
      const open = { fd, size: stats.size };
      fd = undefined;
      return open;
    }
    return undefined;
  } catch {
    return undefined;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/**
 * Whether no other user can have put `dir` where it is, or anything above it: each directory on its
 * path is owned by this user or root, and none lets others replace what is in it (writable by
 * everyone only with the sticky bit, as /tmp). A link on the way must be this user's or root's,
 * and where it leads is held to the same. A file this user owns is believed only in such a
 * directory: else another user who could write a directory above it (a cache directory shared
 * through XDG_CACHE_HOME) could put there, or link to, a directory of this user's own files with
 * content of their choosing, a cloned repository's. A directory writable by its group is accepted
 * (a user's own group, on most systems). Known answers are kept for the process.
 */
export function trustedDirectory(dir: string): boolean {
  const uid = process.getuid?.();
  // Windows has no owners and modes to go by (openCacheFile does not check them there either).
  if (uid === undefined || process.platform === 'win32') return true;
  return trustedPath(resolve(dir), uid, 0);
}

const trustedDirectories = new Set<string>();

function trustedPath(path: string, uid: number, links: number): boolean {
  // A directory is known only once every one above it was: the next file in it needs no walk.
  if (trustedDirectories.has(path)) return true;
  const { root } = parse(path);
  const names = path.slice(root.length).split(sep).filter((name) => name !== '');
  let at = root;
  for (let i = -1; i < names.length; i++) {
    if (i >= 0) at = join(at, names[i]!);
    if (trustedDirectories.has(at)) continue;
    let stats;
    try {
      stats = lstatSync(at);
    } catch {
      return false;
    }
    if (stats.uid !== uid && stats.uid !== 0) return false;
    if (stats.isSymbolicLink()) {
      if (links >= 8) return false;
      let target: string;
      try {
        target = resolve(dirname(at), readlinkSync(at));
      } catch {
        return false;
      }
      return trustedPath(join(target, ...names.slice(i + 1)), uid, links + 1);
    }
    if (!stats.isDirectory() || ((stats.mode & 0o002) !== 0 && (stats.mode & 0o1000) === 0)) return false;
    trustedDirectories.add(at);
  }
  return true;
}

/**
 * Writes a cache file atomically (a temporary file, then rename), readable by this user alone; best
 * effort. The temporary file is created new ('wx': never through a link someone left at its name).
 * `data` may come in parts, written one after the other (a lock's outline, then the lock's bytes:
 * no copy of megabytes to join them).
 */
export function writeCacheFile(file: string, data: string | Uint8Array | readonly Uint8Array[]): boolean {
  const temp = `${file}.${process.pid}.tmp`;
  const writeNew = (): void => {
    const fd = openSync(temp, 'wx', 0o600);
    try {
      for (const part of typeof data === 'string' || data instanceof Uint8Array ? [data] : data) writeFileSync(fd, part);
    } finally {
      closeSync(fd);
    }
  };
  try {
    makeDirectories(dirname(file), 0o700);
    try {
      writeNew();
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      // Left by an earlier process of the same pid, or planted: removed (a link, not its target), then made anew.
      rmSync(temp, { force: true });
      writeNew();
    }
    renameSync(temp, file);
    return true;
  } catch {
    // Read-only or missing home: nothing to keep. The clean-up is best effort too: what is left at
    // the temporary name (a directory someone made there) must not fail the command.
    try {
      rmSync(temp, { force: true });
    } catch {
      // Left as it is.
    }
    return false;
  }
}

/**
 * How long a cache file may go unwritten (unused, for those whose users mark them: lock-outline.ts)
 * before another write in its directory removes it. What a deleted project or install left (the
 * outline or index of a lock nobody checks again, the compiled code of an old `npx` copy) would
 * otherwise stay for good; one still in use costs one rebuild a month at most.
 */
export const CACHE_UNUSED_MS = 30 * 24 * 60 * 60 * 1000;

/**
 * Removes the regular files of `dir` named `*suffix` last modified more than CACHE_UNUSED_MS before
 * `now`, and those `replaced` names however recent (what the file just written takes the place of);
 * best effort.
 */
export function removeUnused(dir: string, suffix: string, options: { now?: number; replaced?: (name: string) => boolean } = {}): void {
  const before = (options.now ?? Date.now()) - CACHE_UNUSED_MS;
  try {
    for (const name of readdirSync(dir)) {
      if (!name.endsWith(suffix)) continue;
      const file = join(dir, name);
      const stats = lstatSync(file);
      if (stats.isFile() && (stats.mtimeMs < before || options.replaced?.(name) === true)) rmSync(file, { force: true });
    }
  } catch {
    // Left for the next write to remove.
  }
}
