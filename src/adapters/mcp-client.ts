/**
 * Snapshot one MCP server: connect in whichever protocol era it speaks, page through every list,
 * keep every result raw (strictly parsed, never through zod), and close it, killing its process
 * group. One JSON-RPC client (json-rpc.ts) speaks both eras over stdio and over the SDK's HTTP
 * transports, and a failure becomes the server's error in one place (Run.classify).
 * Against hostile servers: a host-like clientInfo and the SDK's exact requests (a server may serve
 * scanners clean definitions), limits on paging (loops), one hard deadline and byte caps (hangs and
 * floods), the whole process group killed (children outliving the scan), a minimal environment
 * (credentials), server requests declined (a snapshot answers no sampling or elicitation).
 */
// The HTTP transports are loaded by snapshotHttp only: stdio snapshots (most) load no SDK module.
import type { SSEClientTransport, SseError } from '@modelcontextprotocol/sdk/client/sse.js';
import type { StreamableHTTPClientTransport, StreamableHTTPError } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { McpmError } from '../core/errors.js';
import { isJsonObject, jsonQuote, type JsonObject, type JsonValue } from '../core/json-strict.js';
import { resolveServerConfig } from '../core/launch/expand.js';
import { nameWord } from '../core/shell-word.js';
import { packageFetchOf, packageSpecOf, type Launcher } from '../core/package-spec.js';
import type { ServerConfig } from '../core/launch/parse.js';
import { lockedIfEqual, type Era, type ItemKind, type RawListing, type Snapshot } from '../core/snapshot.js';
import type { LoginAccess, StoredLoginProvider } from './oauth/provider.js';
import { HANDSHAKE_VERSION, JsonRpcError, JsonRpcPeer, METHOD_NOT_FOUND, TransportError } from './json-rpc.js';
import { fetchPackage } from './prefetch.js';
import { buildServerEnv, spawnServer, type ServerProcess } from './process.js';
import { withEnvFile } from './env-file.js';
import { DEFAULT_MAX_MESSAGE_BYTES, StdioTransport } from './stdio-transport.js';
import { StrictHttpTransport } from './strict-fetch.js';
import { parseRemoteUrl, REMOTE_UNREACHABLE_HINT } from '../core/launch/remote-url.js';

export interface SnapshotOptions {
  /** Spawn (or first request) to last page, hard. On expiry the whole process tree is killed: SERVER_TIMEOUT. */
  timeoutMs: number;
  /** The era recorded in the lock, tried first to skip the probe; the other era is still tried on failure. */
  eraHint?: Era;
  /** mcpm's own environment: `${VAR}` references in the config resolve against it; it is never passed whole to a server. */
  env: Readonly<Record<string, string | undefined>>;
  /** Directory relative `cwd` of a stdio entry resolves against (the project directory). */
  projectDir: string;
  signal?: AbortSignal;
  /** Per JSON-RPC message; default 16 MiB. Exceeding it is SERVER_MESSAGE_TOO_LARGE naming server and limit. */
  maxMessageBytes?: number;
  /** Per list method; default 100. A repeated cursor is SERVER_PROTOCOL. */
  maxPages?: number;
  /** Values of VS Code's `${input:ID}` references, asked for before the snapshot (app/inputs.ts). */
  inputs?: ReadonlyMap<string, string>;
  /** Remote servers: the logins `mcpm login` stored, used (and refreshed) when the server asks for authorization. */
  logins?: LoginAccess;
  /**
   * The server's locked snapshot: a listed item equal to its locked definition is kept as that
   * object (lockedIfEqual), so the listing does not hold a second copy of an unchanged server.
   */
  reference?: Snapshot;
  /** Told what the snapshot is doing, for a live progress display. */
  onProgress?: (step: SnapshotStep) => void;
  /** The variables of the entry's `envFile`, read once by the caller (env-file.ts): the server gets them under its `env`. */
  envFileVariables?: Readonly<Record<string, string>>;
  /** The headers the entry's `headersHelper` printed, run once by the caller (headers-helper.ts): sent over its `headers`. */
  helperHeaders?: Readonly<Record<string, string>>;
}

/** What a snapshot is busy with: fetching the package, starting the server, or one page of a list. */
export type SnapshotStep = { step: 'fetching'; package: string } | { step: 'starting' } | { step: 'listing'; method: string; page: number };

/**
 * Who mcpm says it is. Servers can serve scanners clean definitions and hosts poisoned ones
 * (cloaking), so the snapshot introduces itself as the most common host, never as "mcpm".
 * The in-path check at launch (`mcpm run`) stays the authoritative one; this only makes cloaking
 * at snapshot time harder.
 */
export const CLIENT_INFO = { name: 'claude-code', version: '2.1.0' } as const;

/** The stateless revision: no initialize; every request carries its version and capabilities in `_meta`. */
export const STATELESS_VERSION = '2026-07-28';

/**
 * How long the first `server/discover` may go unanswered before the server is taken for a legacy
 * one that ignores unknown methods (the spec lets a timeout mean "legacy"). A started server answers
 * in milliseconds; the rest is Node start-up, which takes up to a second on a busy machine. Guessing
 * wrong costs only time: the legacy path respawns, and an initialize that is refused sends mcpm back
 * to discover on that process with the full deadline.
 */
export const PROBE_TIMEOUT_MS = 2_000;

/**
 * A server launched through npx starts only after npm itself has started and asked the registry
 * about the package: the fetch before it (prefetch) took that same path, so its time is added to
 * the probe window, up to this much (a fetch that downloaded for a minute says little about the
 * next start). Without it, a busy machine reads a slow npx as a legacy server and starts it twice.
 */
const MAX_RUNNER_START_MS = 10_000;

export const DEFAULT_MAX_PAGES = 100;

const LISTS: ReadonlyArray<readonly [ItemKind, string]> = [
  ['tools', 'tools/list'],
  ['prompts', 'prompts/list'],
  ['resources', 'resources/list'],
  ['resourceTemplates', 'resources/templates/list'],
];

/** setTimeout's ceiling. */
const MAX_TIMER_MS = 2_147_483_647;

/**
 * Connects to one server (stdio or HTTP), captures everything the model or host can see, raw, and
 * closes it (killing the process group). Throws McpmError SERVER_* with the server's captured
 * stderr (bounded, unsanitised) in `detail`. `use` is given the listing while the server closes,
 * so that the work on it overlaps the wait for the server to exit; what it returns or throws is
 * returned or thrown as it is, once the server is gone. `sent.credentials`: the tokens of a stored
 * login sent with the listing, which the server must not show either.
 */
export function snapshotServer(config: ServerConfig, options: SnapshotOptions): Promise<RawListing>;
export function snapshotServer<T>(config: ServerConfig, options: SnapshotOptions, use: (raw: RawListing, sent: { credentials: readonly string[] }) => T): Promise<T>;
export async function snapshotServer(
  config: ServerConfig,
  options: SnapshotOptions,
  use: (raw: RawListing, sent: { credentials: readonly string[] }) => unknown = (raw) => raw,
): Promise<unknown> {
  const launch = resolveServerConfig(config, options.env, { projectDir: options.projectDir, ...(options.inputs ? { inputs: options.inputs } : {}) });
  const env = launch.transport === 'stdio' ? buildServerEnv(withEnvFile(launch.env, options.envFileVariables), options.env) : {};
  // Before the Run, whose deadline starts when it is made: the download is not the server's time.
  const fetched = launch.transport === 'stdio' ? await prefetch(config.name, { ...launch, env }, options) : undefined;
  const run = new Run(config.name, options, { fetched, runner: launch.transport === 'stdio' ? packageSpecOf(launch)?.launcher : undefined });
  let failure: unknown;
  let raw: RawListing | undefined;
  try {
    raw = launch.transport === 'stdio' ? await snapshotStdio(run, { ...launch, env }) : await snapshotHttp(run, { ...launch, headers: { ...launch.headers, ...options.helperHeaders } });
  } catch (error) {
    // Before dispose: a server that exited still has its own exit status, not the one of the kill.
    failure = await run.classify(error);
  } finally {
    // Always, success or not: the server must be gone (with its whole group) when this returns.
    if (raw === undefined) await run.dispose();
  }
  // After dispose: the stderr pipe has been read to its end, so the report holds the last words.
  if (raw === undefined) throw run.withDetail(failure);
  const closed = run.dispose();
  try {
    return use(raw, { credentials: run.credentials() });
  } finally {
    await closed;
  }
}

interface StdioLaunch {
  command: string;
  args: string[];
  cwd?: string;
  env: Record<string, string>;
}

/** A package fetched before the server was started, and how long that took. */
interface Fetched {
  package: string;
  ms: number;
}

async function prefetch(server: string, launch: StdioLaunch, options: SnapshotOptions): Promise<Fetched | undefined> {
  const packageFetch = packageFetchOf(launch.command, launch.args);
  if (packageFetch === null) return undefined;
  options.onProgress?.({ step: 'fetching', package: packageFetch.package });
  const { cwd, env } = launch;
  const ms = await fetchPackage(packageFetch, {
    server,
    ...(cwd === undefined ? {} : { cwd }),
    env,
    projectDir: options.projectDir,
    timeoutMs: options.timeoutMs,
    ...(options.signal ? { signal: options.signal } : {}),
  });
  return { package: packageFetch.package, ms };
}

/**
 * What to do about a server that did not finish in time, and where the time went: to the server
 * itself when its package was fetched beforehand, else perhaps to a runner downloading it.
 */
function timeoutHint(context: { fetched?: Fetched; runner?: Launcher }): string {
  if (context.fetched) {
    return `fetching ${context.fetched.package} beforehand took ${(context.fetched.ms / 1000).toFixed(1)} s and did not count: the server itself is slow to answer; "--timeout MS" raises the limit`;
  }
  if (context.runner !== undefined && context.runner !== 'local') {
    return `a first ${context.runner} run downloads the package within this time: run the server's command once by hand to fill the cache, or raise the limit with "--timeout MS"`;
  }
  return '"--timeout MS" raises the limit; run the server\'s command by hand to see what it waits for';
}

/** One server process, and the one client talking to it in whichever era. */
interface Connection {
  proc: ServerProcess;
  transport: StdioTransport;
  peer: JsonRpcPeer;
}

type Attempt = { kind: 'listing'; listing: RawListing } | { kind: 'refused'; reason: string } | { kind: 'silent' };

/**
 * Era detection on stdio: probe with `server/discover`. A DiscoverResult
 * means stateless. A JSON-RPC error (or any other answer) means legacy: initialize on the same
 * process. Silence or an exit means legacy too, but the process may be stuck or gone (some legacy
 * servers exit on any request before initialize), so a fresh one is started for initialize.
 * `eraHint: 'handshake'` skips the probe; a refused initialize then falls back to discover.
 */
async function snapshotStdio(run: Run, launch: StdioLaunch): Promise<RawListing> {
  const start = async (): Promise<Connection> => {
    const proc = await run.spawn(launch);
    const transport = new StdioTransport(proc, { maxMessageBytes: run.maxMessageBytes, onFatal: (e) => run.fail(e) });
    const peer = new JsonRpcPeer(transport, run.server, (e) => run.fail(e));
    run.connected({ kind: 'stdio', proc, noise: transport });
    await peer.start();
    return { proc, transport, peer };
  };
  const fresh = async (conn: Connection): Promise<Connection> => {
    if (!conn.proc.exitInfo && !conn.transport.isClosed && !conn.peer.isLost) return conn;
    await conn.proc.kill();
    return start();
  };

  let conn = await start();
  if (run.eraHint === 'handshake') {
    const handshakeAttempt = await handshake(run, conn.peer);
    if (handshakeAttempt.kind === 'listing') return handshakeAttempt.listing;
    conn = await fresh(conn);
    const stateless = await statelessEra(run, conn.peer, undefined);
    if (stateless.kind === 'listing') return stateless.listing;
    throw neitherEra(run.server, handshakeAttempt, stateless);
  }

  const stateless = await statelessEra(run, conn.peer, PROBE_TIMEOUT_MS + Math.min(run.fetched?.ms ?? 0, MAX_RUNNER_START_MS));
  if (stateless.kind === 'listing') return stateless.listing;
  if (stateless.kind === 'silent') {
    await conn.proc.kill();
    conn = await start();
  } else {
    conn = await fresh(conn);
  }
  const handshakeAttempt = await handshake(run, conn.peer);
  if (handshakeAttempt.kind === 'listing') return handshakeAttempt.listing;
  if (stateless.kind === 'silent') {
    // Refused initialize after an unanswered probe: perhaps a stateless server that was slow to start.
    conn = await fresh(conn);
    const retry = await statelessEra(run, conn.peer, undefined);
    if (retry.kind === 'listing') return retry.listing;
    throw neitherEra(run.server, handshakeAttempt, retry);
  }
  throw neitherEra(run.server, handshakeAttempt, stateless);
}

function neitherEra(server: string, handshakeAttempt: Attempt, stateless: Attempt): McpmError {
  const why = (a: Attempt): string => (a.kind === 'refused' ? a.reason : 'no answer');
  return new McpmError(
    'SERVER_PROTOCOL',
    `server "${server}" speaks neither protocol era: initialize: ${why(handshakeAttempt)}; server/discover: ${why(stateless)}`,
  );
}

function statelessMeta(): JsonObject {
  return {
    'io.modelcontextprotocol/protocolVersion': STATELESS_VERSION,
    'io.modelcontextprotocol/clientCapabilities': {},
    'io.modelcontextprotocol/clientInfo': { ...CLIENT_INFO },
  };
}

class ProbeTimeout extends Error {}

/**
 * The stateless era: `server/discover`, then the lists, each request carrying `_meta`. With
 * `probeMs`, discover is a probe: no answer within it, or a lost connection, is `silent` (the
 * caller tries the handshake era on a fresh process); without it, a lost connection is the
 * server's failure like any other.
 */
async function statelessEra(run: Run, peer: JsonRpcPeer, probeMs: number | undefined): Promise<Attempt> {
  let discover: JsonObject;
  try {
    const request = peer.request('server/discover', { _meta: statelessMeta() });
    discover = await run.guard(probeMs === undefined ? request : withTimeout(request, probeMs));
  } catch (error) {
    if (error instanceof JsonRpcError) return { kind: 'refused', reason: describeRpcError(error) };
    if (probeMs !== undefined && (error instanceof ProbeTimeout || error instanceof TransportError)) return { kind: 'silent' };
    throw error;
  }
  const supported = discover['supportedVersions'];
  if (!Array.isArray(supported) || !supported.includes(STATELESS_VERSION) || !isJsonObject(discover['capabilities'])) {
    return { kind: 'refused', reason: `not a DiscoverResult for ${STATELESS_VERSION}` };
  }
  const lists = await fetchLists(run, async (method, cursor) => {
    const answer = await page(run, peer, method, { ...(cursor === undefined ? {} : { cursor }), _meta: statelessMeta() });
    const type = 'result' in answer ? answer.result['resultType'] : undefined;
    // A list never asks for input (MRTR); anything but "complete" (or its absence) cannot be snapshotted.
    if (type !== undefined && type !== 'complete') {
      throw new McpmError('SERVER_PROTOCOL', `server "${run.server}" answered ${method} with resultType ${jsonQuote(String(type))}`);
    }
    return answer;
  });
  const meta = discover['_meta'];
  const serverInfo = isJsonObject(meta) ? meta['io.modelcontextprotocol/serverInfo'] : undefined;
  const listing: RawListing = {
    era: 'stateless',
    protocolVersion: STATELESS_VERSION,
    // serverInfo is a SHOULD in 2026-07-28; an absent one is recorded as empty rather than refused.
    serverInfo: serverInfo ?? emptyObject(),
    capabilities: discover['capabilities'],
    lists,
  };
  if (discover['instructions'] !== undefined) listing.instructions = discover['instructions'];
  return { kind: 'listing', listing };
}

/**
 * The handshake era: initialize, notifications/initialized, then the lists, each message byte for
 * byte as a host built on the SDK Client writes it (with the host-like clientInfo and no client
 * capabilities). A JSON-RPC error to initialize is
 * `refused` (the caller may try the other era); a lost connection is the server's failure.
 */
async function handshake(run: Run, peer: JsonRpcPeer): Promise<Attempt> {
  let init: JsonObject;
  try {
    init = await run.guard(peer.initialize({ protocolVersion: HANDSHAKE_VERSION, capabilities: {}, clientInfo: { ...CLIENT_INFO } }));
  } catch (error) {
    if (error instanceof JsonRpcError) return { kind: 'refused', reason: describeRpcError(error) };
    throw error;
  }
  // No params without a cursor: the request a host makes with `client.listTools()`.
  const lists = await fetchLists(run, (method, cursor) => page(run, peer, method, cursor === undefined ? undefined : { cursor }));
  const listing: RawListing = {
    era: 'handshake',
    protocolVersion: String(init['protocolVersion']),
    serverInfo: init['serverInfo'] ?? null,
    capabilities: init['capabilities'] ?? null,
    lists,
  };
  if (init['instructions'] !== undefined) listing.instructions = init['instructions'];
  return { kind: 'listing', listing };
}

/** One page of a list: the result, or the server's JSON-RPC error (fetchLists decides what it means). */
async function page(run: Run, peer: JsonRpcPeer, method: string, params: JsonObject | undefined): Promise<Page> {
  try {
    return { result: await run.guard(peer.request(method, params)) };
  } catch (error) {
    if (error instanceof JsonRpcError) return { error: { code: error.code, message: error.message } };
    throw error;
  }
}

type Page = { result: JsonObject } | { error: { code: number; message: string } };

/**
 * Every page of all four lists, whatever the server advertised (hosts call them regardless).
 * -32601 on the first page means the list does not exist (null); any other error fails the snapshot.
 */
async function fetchLists(
  run: Run,
  page: (method: string, cursor: string | undefined) => Promise<Page>,
): Promise<Record<ItemKind, JsonValue[] | null>> {
  const lists: Record<ItemKind, JsonValue[] | null> = { tools: null, prompts: null, resources: null, resourceTemplates: null };
  for (const [kind, method] of LISTS) {
    const items: JsonValue[] = [];
    const seen = new Set<string>();
    let cursor: string | undefined;
    let absent = false;
    for (let pages = 0; ; pages++) {
      if (pages === run.maxPages) {
        throw new McpmError(
          'SERVER_PROTOCOL',
          `server "${run.server}" sent more than ${run.maxPages} pages of ${method} (limit)`,
          'a hostile server can page forever; a real one this large is unusual',
        );
      }
      run.onProgress?.({ step: 'listing', method, page: pages + 1 });
      const answer = await page(method, cursor);
      if ('error' in answer) {
        if (answer.error.code === METHOD_NOT_FOUND && pages === 0) {
          absent = true;
          break;
        }
        throw new McpmError(
          'SERVER_PROTOCOL',
          `server "${run.server}" answered ${method}${cursor === undefined ? '' : ` (page ${pages + 1})`} with error ${answer.error.code}: ${jsonQuote(answer.error.message)}`,
        );
      }
      const got = answer.result[kind];
      if (!Array.isArray(got)) {
        throw new McpmError('SERVER_PROTOCOL', `server "${run.server}" answered ${method} without a "${kind}" array`);
      }
      for (const item of got) items.push(lockedIfEqual(run.reference, kind, item));
      const next = answer.result['nextCursor'];
      // Absent ends the list (spec). null and "" end it too: hosts test the cursor for truthiness.
      if (next === undefined || next === null || next === '') break;
      if (typeof next !== 'string') {
        throw new McpmError('SERVER_PROTOCOL', `server "${run.server}" answered ${method} with a nextCursor that is not a string`);
      }
      if (seen.has(next)) {
        throw new McpmError(
          'SERVER_PROTOCOL',
          `server "${run.server}" repeated the cursor ${jsonQuote(next)} while paging ${method}`,
          'a cursor loop can hide items from one client and not another',
        );
      }
      seen.add(next);
      cursor = next;
    }
    lists[kind] = absent ? null : items;
  }
  return lists;
}

/**
 * Over HTTP only the handshake era is spoken: SDK 1.x has no stateless HTTP transport (no `Mcp-Method`
 * headers), and the servers that would need one are not deployed yet. Streamable HTTP first; on a
 * 4xx other than 401, the legacy HTTP+SSE transport (the SDK's documented fallback).
 */
async function snapshotHttp(run: Run, launch: { transport: 'http' | 'sse'; url: string; headers: Record<string, string> }): Promise<RawListing> {
  const url = parseRemoteUrl(launch.url, `server "${run.server}"`);
  // Only the origin in messages: the query, credentials and even the path may hold a token
  // (some services put the key in the path), and messages reach CI logs and SARIF files.
  const where = url.origin;
  run.onProgress?.({ step: 'starting' });
  const sdk = await loadHttpTransports();
  const httpStatus = (error: unknown): number | undefined => httpStatusOf(error, sdk);
  // The login of `mcpm login` for exactly this URL, if one is stored: the SDK's transports send its
  // token, and on a 401 refresh it through the provider (which never starts a new sign-in).
  const found = run.logins === undefined ? undefined : await run.guard(run.logins.find(url.href));
  const provider = found !== undefined && 'provider' in found ? found.provider : undefined;
  run.provider = provider;
  const login: LoginState = {
    command: run.logins?.loginCommand(run.server) ?? `mcpm login ${nameWord(run.server)}`,
    unauthorized: false,
    ...(provider === undefined ? {} : { provider }),
    ...(found !== undefined && 'problem' in found && found.problem !== undefined ? { problem: found.problem } : {}),
  };
  run.connected({ kind: 'http', where, httpStatus, login });

  /** One connection attempt; its failures are left raw so the caller can decide on the fallback. */
  const attempt = async (kind: 'streamable' | 'sse'): Promise<RawListing> => {
    // Redirects: the SDK's default redirectPolicy 'same-origin' is kept, so a server cannot bounce
    // mcpm (and the configured Authorization header) to another origin.
    const requestInit = { headers: launch.headers };
    const authProvider = provider === undefined ? {} : { authProvider: provider };
    const transport = new StrictHttpTransport<StreamableHTTPClientTransport | SSEClientTransport>(
      {
        server: run.server,
        maxMessageBytes: run.maxMessageBytes,
        answersInPostBodies: kind === 'streamable',
        fail: (e) => run.fail(e),
        signal: run.abort.signal,
        // Whether the last MCP request was refused with 401: what fails after that is the authorization.
        observe: (status) => (login.unauthorized = status === 401),
      },
      (fetch) =>
        kind === 'streamable'
          ? new sdk.StreamableHTTPClientTransport(url, { requestInit, fetch, ...authProvider })
          : new sdk.SSEClientTransport(url, { requestInit, fetch, ...authProvider }),
    );
    run.onDispose(async () => {
      const inner = transport.inner;
      if (inner instanceof sdk.StreamableHTTPClientTransport && inner.sessionId !== undefined) {
        await withTimeout(inner.terminateSession(), 1_000).catch(() => {});
      }
      await inner.close().catch(() => {});
    });
    const peer = new JsonRpcPeer(transport, run.server, (e) => run.fail(e));
    await run.guard(peer.start());
    const result = await handshake(run, peer);
    if (result.kind === 'listing') return result.listing;
    throw new McpmError('SERVER_PROTOCOL', `server "${run.server}" at ${where} refused initialize: ${result.kind === 'refused' ? result.reason : 'no answer'}`);
  };

  if (launch.transport === 'sse') return attempt('sse');
  try {
    return await attempt('streamable');
  } catch (error) {
    const status = httpStatus(error);
    if (run.isFailed || status === undefined || status === 401 || status < 400 || status >= 500) throw error;
    try {
      return await attempt('sse');
    } catch (sseError) {
      // A server that speaks neither: its Streamable HTTP answer is the one that explains it,
      // unless the SSE endpoint asked for authorization.
      throw httpStatus(sseError) === 401 ? sseError : error;
    }
  }
}

interface HttpTransports {
  SSEClientTransport: typeof SSEClientTransport;
  SseError: typeof SseError;
  StreamableHTTPClientTransport: typeof StreamableHTTPClientTransport;
  StreamableHTTPError: typeof StreamableHTTPError;
}

async function loadHttpTransports(): Promise<HttpTransports> {
  const [sse, streamable] = await Promise.all([
    import('@modelcontextprotocol/sdk/client/sse.js'),
    import('@modelcontextprotocol/sdk/client/streamableHttp.js'),
  ]);
  return {
    SSEClientTransport: sse.SSEClientTransport,
    SseError: sse.SseError,
    StreamableHTTPClientTransport: streamable.StreamableHTTPClientTransport,
    StreamableHTTPError: streamable.StreamableHTTPError,
  };
}

/** The HTTP status behind a failed request (a TransportError's cause), if the SDK reported one. */
function httpStatusOf(error: unknown, sdk: HttpTransports): number | undefined {
  if (error instanceof TransportError) error = error.cause;
  if (error instanceof sdk.StreamableHTTPError || error instanceof sdk.SseError) {
    return typeof error.code === 'number' && error.code >= 100 ? error.code : undefined;
  }
  return undefined;
}

/** What a snapshot is connected to, for describing a failure (Run.classify). */
type Endpoint =
  | { kind: 'stdio'; proc: ServerProcess; noise: { noise: readonly string[]; noiseCount: number } }
  | { kind: 'http'; where: string; httpStatus: (error: unknown) => number | undefined; login: LoginState };

/** A remote server's authorization, as far as the snapshot got with it. */
interface LoginState {
  /** `mcpm … login NAME`. */
  command: string;
  /** The stored login in use, if there is one. */
  provider?: StoredLoginProvider;
  /** Why a stored login could not be used (no secret in it). */
  problem?: string;
  /** The last MCP request was answered 401. */
  unauthorized: boolean;
}

/** The state of one snapshot: its deadline, its processes, and the first failure, which wins. */
class Run {
  readonly server: string;
  readonly eraHint: Era | undefined;
  readonly maxMessageBytes: number;
  readonly maxPages: number;
  readonly logins: LoginAccess | undefined;
  readonly reference: Snapshot | undefined;
  /** The stored login whose tokens were sent to the server, if any (snapshotHttp). */
  provider: StoredLoginProvider | undefined;
  /** Aborted on failure and at the end: cancels HTTP requests and streams in flight. */
  readonly abort = new AbortController();
  private failure: unknown;
  private hasFailed = false;
  private readonly failed: Promise<never>;
  private rejectFailed!: (error: unknown) => void;
  private readonly processes: ServerProcess[] = [];
  /** What the snapshot is talking to now: the subject of a failure's message. */
  private endpoint: Endpoint | undefined;
  private readonly disposers: Array<() => Promise<void>> = [];
  private readonly timer: NodeJS.Timeout;
  private readonly signal: AbortSignal | undefined;
  private readonly projectDir: string;
  private readonly onAbort = (): void => this.fail(this.signal?.reason ?? new Error('aborted'));

  readonly onProgress: SnapshotOptions['onProgress'];
  /** The package fetched before the server was started (see prefetch). */
  readonly fetched: Fetched | undefined;

  constructor(server: string, options: SnapshotOptions, context: { fetched?: Fetched; runner?: Launcher } = {}) {
    this.onProgress = options.onProgress;
    this.fetched = context.fetched;
    this.server = server;
    this.eraHint = options.eraHint;
    this.maxMessageBytes = options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
    this.maxPages = options.maxPages ?? DEFAULT_MAX_PAGES;
    this.logins = options.logins;
    this.reference = options.reference;
    this.projectDir = options.projectDir;
    this.failed = new Promise<never>((_, reject) => {
      this.rejectFailed = reject;
    });
    this.failed.catch(() => {});
    this.timer = setTimeout(
      () =>
        this.fail(
          new McpmError(
            'SERVER_TIMEOUT',
            `server "${server}" did not finish within ${options.timeoutMs} ms (timeout); it was stopped`,
            timeoutHint(context),
          ),
        ),
      Math.min(options.timeoutMs, MAX_TIMER_MS),
    );
    this.signal = options.signal;
    if (this.signal?.aborted) this.onAbort();
    else this.signal?.addEventListener('abort', this.onAbort, { once: true });
  }

  fail(error: unknown): void {
    if (this.hasFailed) return;
    this.hasFailed = true;
    this.failure = error;
    this.abort.abort(error);
    for (const proc of this.processes) void proc.kill();
    this.rejectFailed(error);
  }

  get isFailed(): boolean {
    return this.hasFailed;
  }

  throwIfFailed(): void {
    if (this.hasFailed) throw this.failure;
  }

  /** `promise`, or the snapshot's failure (timeout, abort, fatal transport error) if that comes first. */
  guard<T>(promise: Promise<T>): Promise<T> {
    return Promise.race([promise, this.failed]);
  }

  async spawn(launch: StdioLaunch): Promise<ServerProcess> {
    this.throwIfFailed();
    this.onProgress?.({ step: 'starting' });
    // Not raced against the deadline: spawning settles within milliseconds, and a process that
    // started after a failure must still be recorded to be killed.
    const proc = await spawnServer({ name: this.server, ...launch, projectDir: this.projectDir, signal: this.abort.signal });
    this.processes.push(proc);
    if (this.hasFailed) void proc.kill();
    this.throwIfFailed();
    return proc;
  }

  onDispose(dispose: () => Promise<void>): void {
    this.disposers.push(dispose);
  }

  connected(endpoint: Endpoint): void {
    this.endpoint = endpoint;
  }

  /**
   * What a failure is, decided here and nowhere else. The first failure of the run (deadline,
   * abort, an oversized or malformed message) wins over its consequences, and an McpmError stands.
   * A lost connection (TransportError: EPIPE or ECONNRESET on a write, stdout closed, the process
   * gone, an HTTP request refused) is the server's failure: SERVER_EXITED with its exit status on
   * stdio; over HTTP, SERVER_AUTH_REQUIRED (401), SERVER_PROTOCOL (another status or a refusal),
   * SERVER_SPAWN_FAILED (no connection at all) or SERVER_EXITED (closed). Anything else is a bug
   * in mcpm and is left as it is (exit 70).
   */
  async classify(error: unknown): Promise<unknown> {
    if (this.hasFailed) return this.failure;
    if (!(error instanceof TransportError)) return error;
    const endpoint = this.endpoint;
    const server = `server "${this.server}"`;
    if (endpoint === undefined) throw new Error('Assertion failed: a connection failed before it was made');
    if (endpoint.kind === 'stdio') {
      // The exit status comes a moment after stdout closes or a write fails; a bounded wait, which
      // the deadline or an interrupt cuts short.
      await settleWithin(this.guard(endpoint.proc.exited), 1_000);
      const info = endpoint.proc.exitInfo;
      const how = info === undefined ? 'closed its stdout' : info.signal !== null ? `was killed by ${info.signal}` : `exited with code ${info.code}`;
      return new McpmError('SERVER_EXITED', `${server} ${how} during ${error.method}`, undefined, { cause: error });
    }
    const { where, login } = endpoint;
    const status = endpoint.httpStatus(error);
    if (status === 401 || login.unauthorized) return authRequired(server, login, error.cause);
    if (status !== undefined) {
      // At the first request only: later, a 404 is a session the server has forgotten.
      const hint = (status === 404 || status === 405) && (error.method === 'connect' || error.method === 'initialize') ? 'check the URL in the config: is it the server\'s MCP endpoint?' : undefined;
      return new McpmError('SERVER_PROTOCOL', `${server} at ${where} answered HTTP ${status}`, hint, { cause: error });
    }
    const cause = error.cause;
    // fetch's own TypeError: no HTTP answer at all. At the start nothing is listening; later, the server went away.
    const noAnswer = cause instanceof TypeError;
    if ((error.method === 'connect' && cause !== undefined) || (error.method === 'initialize' && noAnswer)) {
      const code = errnoOf(cause);
      return new McpmError('SERVER_SPAWN_FAILED', `${server}: cannot connect to ${where}${code === undefined ? '' : ` (${code})`}`, REMOTE_UNREACHABLE_HINT, { cause: error });
    }
    if (cause === undefined || noAnswer) {
      // Not the status line's default for this code, which is about a command's stderr.
      return new McpmError('SERVER_EXITED', `${server} at ${where} closed the connection during ${error.method}`, 'check that the server is up; its own logs say why it closed the connection', { cause: error });
    }
    const raw = cause instanceof Error ? cause.message : String(cause);
    const text = login.provider === undefined ? raw : login.provider.redact(raw);
    return new McpmError('SERVER_PROTOCOL', `${server} at ${where}: ${error.method} failed: ${jsonQuote(text, 200)}`, undefined, { cause: error });
  }

  /** Tokens the snapshot sent the server (a stored login's): secrets it must not reflect. */
  credentials(): string[] {
    return this.provider?.heldSecrets() ?? [];
  }

  /** McpmErrors get the server's stderr and stray stdout lines (bounded, unsanitised) in `detail`. */
  withDetail(error: unknown): unknown {
    if (!(error instanceof McpmError) || error.detail !== undefined) return error;
    const detail = this.detail();
    if (detail === undefined) return error;
    return new McpmError(error.code, error.message, error.hint, { cause: error.cause, detail });
  }

  private detail(): string | undefined {
    const proc = this.processes.at(-1);
    if (proc === undefined) return undefined;
    const stderr = proc.stderr.text();
    const noise = this.endpoint?.kind === 'stdio' ? this.endpoint.noise : undefined;
    const ignored = noise !== undefined && noise.noiseCount > 0 ? `${noise.noiseCount} line(s) on stdout that were not JSON-RPC, ignored; the first:\n${noise.noise.join('\n')}` : undefined;
    // The report already says the detail is the server's stderr: a heading only tells two parts apart.
    if (ignored === undefined) return stderr === '' ? undefined : stderr;
    return stderr === '' ? ignored : `stderr of "${this.server}":\n${stderr}\n${ignored}`;
  }

  async dispose(): Promise<void> {
    clearTimeout(this.timer);
    this.signal?.removeEventListener('abort', this.onAbort);
    if (!this.abort.signal.aborted) this.abort.abort(new Error('snapshot finished'));
    await Promise.all(this.disposers.map((d) => d().catch(() => {})));
    await Promise.all(this.processes.map((p) => p.close()));
    // The group is dead, so stderr ends at once; the bound only guards against a setsid() escapee.
    await settleWithin(Promise.all(this.processes.map((p) => p.stderrDone)), 1_000);
  }
}

/**
 * SERVER_AUTH_REQUIRED for a server that refused mcpm (HTTP 401), saying why in words that hold
 * no token: the authorization server's own messages are not quoted (they may echo what was sent),
 * only an OAuth error code.
 */
function authRequired(server: string, login: LoginState, cause: unknown): McpmError {
  const code = (cause as { errorCode?: unknown } | undefined)?.errorCode;
  const oauthCode = login.provider?.refusal ?? (typeof code === 'string' && /^[a-z_]{1,40}$/.test(code) ? code : undefined);
  const why =
    login.provider === undefined
      ? (login.problem ?? 'no login is stored for it')
      : oauthCode !== undefined
        ? `the stored login was refused and could not be renewed (${oauthCode})`
        : 'the stored login was refused and could not be renewed';
  return new McpmError(
    'SERVER_AUTH_REQUIRED',
    `${server} requires authorization (HTTP 401): ${why}`,
    `sign in with "${login.command}" (or, for a server that takes a fixed token, set its header in the config: "Authorization": "Bearer \${TOKEN}")`,
  );
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new ProbeTimeout(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Waits for `promise` or `ms`, whichever comes first; never rejects. */
async function settleWithin(promise: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([promise.catch(() => {}), new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)))]);
  clearTimeout(timer);
}

function emptyObject(): JsonObject {
  return Object.create(null) as JsonObject;
}

/** The errno-style code (ECONNREFUSED, ENOTFOUND) somewhere in a fetch error's cause chain. */
function errnoOf(error: unknown): string | undefined {
  for (let e = error, depth = 0; e !== undefined && e !== null && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') return code;
  }
  return undefined;
}

function describeRpcError(error: JsonRpcError): string {
  return `error ${error.code}: ${jsonQuote(error.message)}`;
}

