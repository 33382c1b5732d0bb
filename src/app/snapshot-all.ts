/**
 * Connects to several servers in parallel (bounded by --concurrency) and turns each answer into a
 * Snapshot. Imported lazily: it pulls in the MCP SDK.
 */
import { envFileVariablesOf } from '../adapters/env-file.js';
import { snapshotServer, type SnapshotStep } from '../adapters/mcp-client.js';
import { isMcpmError } from '../core/errors.js';
import { resolveVariables, unresolvedVariables } from '../core/launch/expand.js';
import { forEachConcurrently } from '../core/pool.js';
import type { ServerConfig } from '../core/launch/parse.js';
import type { Lock } from '../core/lockfile.js';
import { statusOf, type ServerStatus } from '../core/status.js';
import { findReflection, redactSecrets, secretReflected, secretValuesOf, type SecretValue } from '../core/reflected-secrets.js';
import { buildSnapshot, ITEM_KINDS, snapshotToJson, type Era, type RawListing, type Snapshot } from '../core/snapshot.js';
import { inKeyOrder } from '../core/canonical.js';
import { holdsHighHit } from '../core/findings/index.js';
import { useStringRules } from '../core/judge.js';
import type { Deps } from '../deps.js';
import type { LoginAccess } from '../adapters/oauth/provider.js';
import { resolveInputs } from './inputs.js';
import { hostPlace } from './project.js';
import { isLiveTerminal, ProgressView } from '../render/progress.js';

export type LiveResult =
  | { ok: true; snapshot: Snapshot; era: Era; protocolVersion: string }
  | { ok: false; error: { code: string; message: string; detail?: string; hint?: string } };

export interface SnapshotAllOptions {
  timeoutMs: number;
  concurrency: number;
  projectDir: string;
  /** Per server, the era recorded in the lock: tried first, which skips the era probe. */
  eraHints?: ReadonlyMap<string, Era>;
  /** Per server, the locked snapshot: definitions equal to it are not hashed again (buildSnapshot). */
  references?: ReadonlyMap<string, Snapshot>;
  /** `mcpm` with the options that reach this config (app/options.ts reachingCommand), for the hint `… login NAME`. */
  command?: string;
  /** Live progress on stderr, if it is a terminal a person watches (options.ts showsProgress decides the rest). */
  progress?: boolean;
  /**
   * Servers install locks for the first time: snapshotted with their items and their objects' keys
   * in code-unit order (inKeyOrder), as the lock stores them, and hashed at once, while the other
   * servers are still listing. Only for these, whose definitions are never shown: changes print
   * values in the order served.
   */
  firstLocks?: ReadonlySet<string>;
}

// Every live snapshot comes from here, and each is judged against its lock entry (statusOf): the
// accept rules are judged with the string rules, which only commands that contact servers load.
useStringRules(holdsHighHit);

/** How often the elapsed times move on. */
const REDRAW_MS = 200;

export async function snapshotAll(
  servers: readonly ServerConfig[],
  options: SnapshotAllOptions,
  deps: Deps,
): Promise<Map<string, LiveResult>> {
  // An unset ${VAR} is the config's problem, not the server's (exit 2, as documented): found
  // before anything starts, and every one of them at once.
  // `${input:ID}` values are asked for first (one by one: prompts must not interleave), so that
  // the check below sees them as given.
  const inputs = await resolveInputs(servers, deps);
  const unresolved = unresolvedVariables(servers, deps.env, { projectDir: options.projectDir, inputs });
  if (unresolved) throw unresolved;
  const results = new Map<string, LiveResult>();
  const logins = servers.some((s) => s.launch.transport !== 'stdio') ? await remoteLogins(options.command ?? 'mcpm', deps) : undefined;
  const view = options.progress && isLiveTerminal(deps.stderr, deps.env)
    ? new ProgressView(deps.stderr, servers.map((s) => s.name), () => deps.now().getTime())
    : undefined;
  const ticker = view ? setInterval(() => view.redraw(), REDRAW_MS) : undefined;
  try {
    view?.redraw();
    await forEachConcurrently(servers, options.concurrency, async (config) => {
      const result = await snapshotOne(config, { ...options, inputs, logins }, deps, view && ((step) => view.update(config.name, step)));
      view?.update(config.name, result.ok ? { step: 'done' } : { step: 'failed', code: result.error.code });
      results.set(config.name, result);
    });
  } finally {
    clearInterval(ticker);
    view?.close();
  }
  // A Ctrl-C while servers were running: every child has been killed by its own abort handler.
  if (deps.signal.aborted) throw deps.signal.reason;
  return results;
}

/** The logins `mcpm login` stored, for the remote servers among them. */
async function remoteLogins(command: string, deps: Deps): Promise<LoginAccess> {
  const [{ userTokenStore }, { storedLogins }] = await Promise.all([import('../adapters/oauth/store.js'), import('../adapters/oauth/provider.js')]);
  return storedLogins(() => userTokenStore(hostPlace(deps)), () => deps.now().getTime(), command);
}

async function snapshotOne(
  config: ServerConfig,
  options: SnapshotAllOptions & { inputs: ReadonlyMap<string, string>; logins: LoginAccess | undefined },
  deps: Deps,
  onProgress: ((step: SnapshotStep) => void) | undefined,
): Promise<LiveResult> {
  if (deps.signal.aborted) return { ok: false, error: { code: 'INTERRUPTED', message: 'interrupted' } };
  // The configured values the server was given: it must not show them, and what it says when it
  // fails (an error, its stderr) goes on without them.
  let secrets: SecretValue[] = [];
  try {
    const context = { projectDir: options.projectDir, inputs: options.inputs };
    // Read once: the values the server is given are the ones looked for in what it shows.
    const envFileVariables = envFileVariablesOf(config, deps.env, context);
    const helperHeaders = config.launch.transport === 'stdio' || config.launch.headersHelper === undefined
      ? undefined
      : await (await import('../adapters/headers-helper.js')).headersFromHelper(config, resolveVariables(config.launch.url, deps.env, '', context), {
          projectDir: options.projectDir,
          env: deps.env,
          signal: deps.signal,
        });
    secrets = secretValuesOf(config, deps.env, context, {
      ...(envFileVariables === undefined ? {} : { envFile: envFileVariables }),
      ...(helperHeaders === undefined ? {} : { helperHeaders }),
    });
    const reference = options.references?.get(config.name);
    // The listing is checked and hashed while the server closes.
    return await snapshotServer(
      config,
      {
        timeoutMs: options.timeoutMs,
        ...(reference === undefined ? {} : { reference }),
        inputs: options.inputs,
        ...(options.logins === undefined ? {} : { logins: options.logins }),
        eraHint: options.eraHints?.get(config.name),
        env: deps.env,
        projectDir: options.projectDir,
        signal: deps.signal,
        ...(onProgress ? { onProgress } : {}),
        ...(envFileVariables === undefined ? {} : { envFileVariables }),
        ...(helperHeaders === undefined ? {} : { helperHeaders }),
      },
      (raw, sent): LiveResult => {
        const ordered = reference === undefined && options.firstLocks?.has(config.name) === true;
        // In key order, the server integrity hashed at once from the texts of the item integrities.
        const snapshot = ordered ? buildSnapshot(config.name, inKeyOrderListing(raw), undefined, { keyOrder: true }) : buildSnapshot(config.name, raw, reference);
        // Before anything shows or locks it: a snapshot holding a configured secret, or a token of
        // `mcpm login` that was sent with the listing, goes no further.
        const held = [...secrets, ...sent.credentials.map((value) => ({ label: 'a token of "mcpm login"', value }))];
        const reflection = held.length === 0 ? undefined : findReflection(snapshotToJson(snapshot), held);
        if (reflection) {
          // Whether a secret is there does not depend on key order; the place named first does: the
          // one first in the order served, as for every other snapshot.
          throw secretReflected(config.name, ordered ? (findReflection(snapshotToJson(buildSnapshot(config.name, raw)), held) ?? reflection) : reflection);
        }
        return { ok: true, snapshot, era: raw.era, protocolVersion: raw.protocolVersion };
      },
    );
  } catch (error) {
    if (isMcpmError(error)) {
      const { code } = error;
      const [message, detail, hint] = [error.message, error.detail, error.hint].map((text) => (text === undefined || secrets.length === 0 ? text : redactSecrets(text, secrets)));
      return { ok: false, error: { code, message: message!, ...(detail === undefined ? {} : { detail }), ...(hint === undefined ? {} : { hint }) } };
    }
    throw error;
  }
}

/** The listing with every object's keys in code-unit order: the same values, printed natively. */
function inKeyOrderListing(raw: RawListing): RawListing {
  const lists = { ...raw.lists };
  for (const kind of ITEM_KINDS) {
    const list = raw.lists[kind];
    // Anything but an array is left for buildSnapshot to refuse.
    if (Array.isArray(list)) lists[kind] = list.map((item) => inKeyOrder(item));
  }
  return { ...raw, serverInfo: inKeyOrder(raw.serverInfo), capabilities: inKeyOrder(raw.capabilities), lists };
}

/**
 * Verify's and diff's compare step: contacts only the servers whose offline status is ok (new,
 * stale and re-configured ones already fail, and starting them would run unreviewed commands) and
 * compares each live snapshot with its lock entry.
 */
export async function compareLive(
  offline: readonly ServerStatus[],
  lock: Lock,
  options: { timeoutMs: number; concurrency: number; projectDir: string; command?: string; progress?: boolean },
  deps: Deps,
): Promise<ServerStatus[]> {
  const toContact = offline.filter((s) => s.status === 'ok' && s.config).map((s) => s.config!);
  if (toContact.length === 0) return [...offline];
  const locked = toContact.map((c) => [c.name, lock.servers.get(c.name)!] as const);
  const eraHints = new Map<string, Era>(locked.map(([name, entry]) => [name, entry.protocol.era]));
  const references = new Map<string, Snapshot>(locked.map(([name, entry]) => [name, entry.snapshot]));
  const live = await snapshotAll(toContact, { ...options, eraHints, references }, deps);
  return offline.map((s) => {
    const result = live.get(s.name);
    if (!result) return s;
    if (!result.ok) return { ...s, status: 'error', error: result.error };
    return statusOf(s.name, s.config, s.locked, result.snapshot);
  });
}
