/**
 * Connects to several servers in parallel (bounded by --concurrency) and turns each answer into a
 * Snapshot. Imported lazily: it pulls in the MCP SDK.
 */
import { snapshotServer } from '../adapters/mcp-client.js';
import { isMcpmError } from '../core/errors.js';
import { unresolvedVariables } from '../core/launch/expand.js';
import { forEachConcurrently } from '../core/pool.js';
import type { ServerConfig } from '../core/launch/parse.js';
import type { Lock } from '../core/lockfile.js';
import { statusOf, type ServerStatus } from '../core/status.js';
import { buildSnapshot, type Era, type Snapshot } from '../core/snapshot.js';
import type { Deps } from '../deps.js';

export type LiveResult =
  | { ok: true; snapshot: Snapshot; era: Era; protocolVersion: string }
  | { ok: false; error: { code: string; message: string; detail?: string; hint?: string } };

export interface SnapshotAllOptions {
  timeoutMs: number;
  concurrency: number;
  projectDir: string;
  /** Per server, the era recorded in the lock: tried first, which skips the era probe. */
  eraHints?: ReadonlyMap<string, Era>;
}

export async function snapshotAll(
  servers: readonly ServerConfig[],
  options: SnapshotAllOptions,
  deps: Deps,
): Promise<Map<string, LiveResult>> {
  // An unset ${VAR} is the config's problem, not the server's (exit 2, as documented): found
  // before anything starts, and every one of them at once.
  const unresolved = unresolvedVariables(servers, deps.env, { projectDir: options.projectDir });
  if (unresolved) throw unresolved;
  const results = new Map<string, LiveResult>();
  await forEachConcurrently(servers, options.concurrency, async (config) => {
    results.set(config.name, await snapshotOne(config, options, deps));
  });
  // A Ctrl-C while servers were running: every child has been killed by its own abort handler.
  if (deps.signal.aborted) throw deps.signal.reason;
  return results;
}

async function snapshotOne(config: ServerConfig, options: SnapshotAllOptions, deps: Deps): Promise<LiveResult> {
  if (deps.signal.aborted) return { ok: false, error: { code: 'INTERRUPTED', message: 'interrupted' } };
  try {
    const raw = await snapshotServer(config, {
      timeoutMs: options.timeoutMs,
      eraHint: options.eraHints?.get(config.name),
      env: deps.env,
      projectDir: options.projectDir,
      signal: deps.signal,
    });
    return { ok: true, snapshot: buildSnapshot(config.name, raw), era: raw.era, protocolVersion: raw.protocolVersion };
  } catch (error) {
    if (isMcpmError(error)) {
      const { code, message, detail, hint } = error;
      return { ok: false, error: { code, message, ...(detail === undefined ? {} : { detail }), ...(hint === undefined ? {} : { hint }) } };
    }
    throw error;
  }
}

/**
 * Verify's and diff's compare step: contacts only the servers whose offline status is ok (new,
 * stale and re-configured ones already fail, and starting them would run unreviewed commands) and
 * compares each live snapshot with its lock entry.
 */
export async function compareLive(
  offline: readonly ServerStatus[],
  lock: Lock,
  options: { timeoutMs: number; concurrency: number; projectDir: string },
  deps: Deps,
): Promise<ServerStatus[]> {
  const toContact = offline.filter((s) => s.status === 'ok' && s.config).map((s) => s.config!);
  if (toContact.length === 0) return [...offline];
  const eraHints = new Map<string, Era>(toContact.map((c) => [c.name, lock.servers.get(c.name)!.protocol.era]));
  const live = await snapshotAll(toContact, { ...options, eraHints }, deps);
  return offline.map((s) => {
    const result = live.get(s.name);
    if (!result) return s;
    if (!result.ok) return { ...s, status: 'error', error: result.error };
    return statusOf(s.name, s.config, s.locked, result.snapshot);
  });
}
