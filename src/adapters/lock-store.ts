// STUB: signatures are final; implementation pending (helper "config-store").
import type { Lock } from '../core/lockfile.js';

export interface LoadedLock {
  lock: Lock;
  /** The bytes read, or null when the file does not exist. */
  text: string | null;
}

/** Reads and parses the lock; a missing file gives an empty lock with text null. Errors are McpmErrors naming the file. */
export async function readLock(_file: string): Promise<LoadedLock> {
  throw new Error('not implemented');
}

/**
 * Runs `update` while holding an advisory lock on `file` (a sibling `<file>.mcpm-lock`, created
 * exclusively; stale ones from dead processes are taken over). `update` receives the lock as it is
 * on disk *now*, and returns the lock to write or null to leave the file alone. The write is atomic
 * (temp file in the same directory, fsync, rename) and skipped when the bytes are unchanged. A file
 * that does not parse is never overwritten: the McpmError propagates. LOCKFILE_BUSY after `waitMs`.
 */
export async function updateLock(
  _file: string,
  _update: (current: LoadedLock) => Promise<Lock | null> | Lock | null,
  _options?: { waitMs?: number },
): Promise<{ written: boolean; text: string | null }> {
  throw new Error('not implemented');
}
