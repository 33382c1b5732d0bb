/**
 * Drift is a result, not an error: statusOf returns a verdict per server and exitStatusFor turns the
 * verdicts into the contract's exit status.
 */
import type { ExitStatus } from './errors.js';
import { launchEquals } from './launch/identity.js';
import type { ServerConfig } from './launch/parse.js';
import { judgeEntry, isSettled, type Judgement } from './judge.js';
import { entryIntegrity, type LockEntry } from './lockfile.js';
import type { Snapshot } from './snapshot.js';

export type StatusKind = 'ok' | 'drifted' | 'new' | 'stale' | 'config-changed' | 'unreviewed' | 'error' | 'denied';

export interface ServerStatus {
  name: string;
  status: StatusKind;
  config?: ServerConfig;
  locked?: LockEntry;
  live?: Snapshot;
  /** With a live snapshot of a locked server: every change and what it means for review. */
  judgement?: Judgement;
  /** For status 'unreviewed': the trusted base's entry, when the base has one (else the entry is new there). */
  base?: LockEntry;
  /** For status 'error': what went wrong (McpmError code, message and hint; stderr not yet sanitised). */
  error?: { code: string; message: string; detail?: string; hint?: string };
  /** For status 'denied': why the organisation's allow-list refuses it (raw; quotes config text). */
  denial?: string;
}

/**
 * Compares one server: config only → 'new'; lock only → 'stale'; launch differs → 'config-changed';
 * with a live snapshot, a change that needs review (judge.ts: not accepted by the entry's rules,
 * not a quarantined new item, not an absent optional one) → 'drifted'; otherwise 'ok'. Without
 * `live` (offline) only config and lock are compared.
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
    const judgement = judgeEntry(locked, live);
    // An entry whose hash was edited (checkLock names it) is drifted whatever the definitions say.
    const drifted = !isSettled(judgement) || locked.integrity !== entryIntegrity(locked);
    return { ...status(drifted ? 'drifted' : 'ok'), judgement };
  }
  return status('ok');
}


/** 1 if anything is not ok (drift wins), else 3 if any server errored, else 0. */
export function exitStatusFor(statuses: readonly ServerStatus[]): ExitStatus {
  if (statuses.some((s) => s.status !== 'ok' && s.status !== 'error')) return 1;
  if (statuses.some((s) => s.status === 'error')) return 3;
  return 0;
}
