/**
 * Drift is a result, not an error: statusOf returns a verdict per server and exitStatusFor turns the
 * verdicts into the contract's exit status.
 */
import type { ExitStatus } from './errors.js';
import { launchEquals } from './launch/identity.js';
import type { ServerConfig } from './launch/parse.js';
import type { LockEntry } from './lockfile.js';
import { snapshotIntegrity, type Snapshot } from './snapshot.js';

export type StatusKind = 'ok' | 'drifted' | 'new' | 'stale' | 'config-changed' | 'unreviewed' | 'error';

export interface ServerStatus {
  name: string;
  status: StatusKind;
  config?: ServerConfig;
  locked?: LockEntry;
  live?: Snapshot;
  /** For status 'unreviewed': the trusted base's entry, when the base has one (else the entry is new there). */
  base?: LockEntry;
  /** For status 'error': what went wrong (McpmError code, message and hint; stderr not yet sanitised). */
  error?: { code: string; message: string; detail?: string; hint?: string };
}

/**
 * Compares one server: config only → 'new'; lock only → 'stale'; launch differs → 'config-changed';
 * with a live snapshot, integrity differs → 'drifted'; otherwise 'ok'. Without `live` (offline)
 * only config and lock are compared.
 *
 * 'config-changed' wins over 'drifted': a new launch spec (another package version, another
 * command) is expected to serve other definitions, and the user has to re-approve it as a whole.
 */
export function statusOf(
  name: string,
  config: ServerConfig | undefined,
  locked: LockEntry | undefined,
  live?: Snapshot,
): ServerStatus {
  const status = (kind: StatusKind): ServerStatus => {
    const result: ServerStatus = { name, status: kind };
    if (config) result.config = config;
    if (locked) result.locked = locked;
    if (live) result.live = live;
    return result;
  };
  if (!locked) {
    if (!config) throw new Error(`Assertion failed: server ${JSON.stringify(name)} is neither configured nor locked`);
    return status('new');
  }
  if (!config) return status('stale');
  if (!launchEquals(config.launch, locked.launch)) return status('config-changed');
  if (live) {
    const liveIntegrity = snapshotIntegrity(live);
    // Compared with the stored integrity and with the one the locked definitions give, so an entry
    // whose hash was edited to match a new server still reads as drifted (checkLock names it).
    if (liveIntegrity !== locked.integrity || liveIntegrity !== snapshotIntegrity(locked.snapshot)) {
      return status('drifted');
    }
  }
  return status('ok');
}


/** 1 if anything is not ok (drift wins), else 3 if any server errored, else 0. */
export function exitStatusFor(statuses: readonly ServerStatus[]): ExitStatus {
  if (statuses.some((s) => s.status !== 'ok' && s.status !== 'error')) return 1;
  if (statuses.some((s) => s.status === 'error')) return 3;
  return 0;
}
