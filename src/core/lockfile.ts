// STUB: types are final; implementation pending (helper "core-lock").
import type { Integrity } from './canonical.js';
import type { LaunchSpec } from './launch.js';
import type { Era, Snapshot } from './snapshot.js';

export const LOCKFILE_VERSION = 1;
export const LOCK_HEADER =
  'mcp.lock, written by mcpm. Review changes in pull requests; change it with mcpm install or mcpm approve.';

export interface PackagePin {
  manager: 'npm' | 'pypi' | 'docker';
  name: string;
  version?: string;
  integrity?: string;
}

export interface LockEntry {
  /** snapshotIntegrity(snapshot) when written. */
  integrity: Integrity;
  launch: LaunchSpec;
  package?: PackagePin;
  protocol: { era: Era; version: string };
  /** serverInfo.name and .version, copied for readers of the file. */
  server: { name: string; version: string };
  snapshot: Snapshot;
}

export interface Lock {
  servers: Map<string, LockEntry>;
  /** Line ending of the file it was read from, kept on write. */
  eol: '\n' | '\r\n';
}

export function emptyLock(): Lock {
  return { servers: new Map(), eol: '\n' };
}

/**
 * Parses lock text. Throws McpmError LOCKFILE_CONFLICT_MARKERS (git merge markers), LOCKFILE_CORRUPT
 * (with line:column of the first problem, or the field that is wrong), LOCKFILE_VERSION (a version
 * this mcpm does not know).
 */
export function parseLock(_text: string, _file: string): Lock {
  throw new Error('not implemented');
}

/** Deterministic bytes: keys sorted by UTF-16 code units at every level, 2-space indent, trailing newline, lock.eol. */
export function serializeLock(_lock: Lock): string {
  throw new Error('not implemented');
}

export interface TamperedEntry {
  name: string;
  /** e.g. 'integrity' or 'snapshot.tools["add"].integrity' */
  field: string;
  expected: string;
  found: string;
}

/** Self-check: every stored integrity equals the one recomputed from the stored definitions. */
export function checkLock(_lock: Lock): TamperedEntry[] {
  throw new Error('not implemented');
}
