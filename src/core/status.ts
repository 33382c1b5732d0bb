// STUB: types are final; implementation pending (helper "core-lock").
import type { ExitStatus } from './errors.js';
import type { ServerConfig } from './launch.js';
import type { LockEntry } from './lockfile.js';
import type { Snapshot } from './snapshot.js';

export type StatusKind = 'ok' | 'drifted' | 'new' | 'stale' | 'config-changed' | 'error';

export interface ServerStatus {
  name: string;
  status: StatusKind;
  config?: ServerConfig;
  locked?: LockEntry;
  live?: Snapshot;
  /** For status 'error': what went wrong (McpmError code and message; stderr not yet sanitised). */
  error?: { code: string; message: string; detail?: string };
}

/**
 * Compares one server: config only → 'new'; lock only → 'stale'; launch differs → 'config-changed';
 * with a live snapshot, integrity differs → 'drifted'; otherwise 'ok'. Without `live` (offline)
 * only config and lock are compared.
 */
export function statusOf(
  _name: string,
  _config: ServerConfig | undefined,
  _locked: LockEntry | undefined,
  _live?: Snapshot,
): ServerStatus {
  throw new Error('not implemented');
}

/** 1 if anything is not ok (drift wins), else 3 if any server errored, else 0. */
export function exitStatusFor(_statuses: readonly ServerStatus[]): ExitStatus {
  throw new Error('not implemented');
}
