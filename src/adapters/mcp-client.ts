/**
 * Snapshot one MCP server: connect in whichever protocol era it speaks, page through every list,
 * keep every result raw (strictly parsed, never through zod), and close it, killing its process
 * group. Against hostile servers: a host-like clientInfo (a server may serve scanners clean
 * definitions), limits on paging (loops), one hard deadline and byte caps (hangs and floods), the
 * whole process group killed (children outliving the scan), a minimal environment (credentials),
 * server requests declined (a snapshot answers no sampling or elicitation).
 */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
// The HTTP transports are loaded by snapshotHttp only: stdio snapshots (most) skip ~30 ms of modules.
import type { SSEClientTransport, SseError } from '@modelcontextprotocol/sdk/client/sse.js';
import type { StreamableHTTPClientTransport, StreamableHTTPError } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import { ResultSchema } from '@modelcontextprotocol/sdk/types.js';
import { McpmError } from '../core/errors.js';
import { isJsonObject, jsonQuote, type JsonObject, type JsonValue } from '../core/json-strict.js';
import { resolveServerConfig, type ServerConfig } from '../core/launch.js';
import type { Era, ItemKind, RawListing } from '../core/snapshot.js';
import { ConnectionClosedError, JsonRpcError, JsonRpcPeer, METHOD_NOT_FOUND } from './json-rpc.js';
import { buildServerEnv, spawnServer, type ServerProcess } from './process.js';
import { RawCapture, TapTransport } from './raw-capture.js';
import { DEFAULT_MAX_MESSAGE_BYTES, StdioTransport } from './stdio-transport.js';
import { strictFetch } from './strict-fetch.js';

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
}

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

export const DEFAULT_MAX_PAGES = 100;

const LISTS: ReadonlyArray<readonly [ItemKind, string]> = [
  ['tools', 'tools/list'],
  ['prompts', 'prompts/list'],
  ['resources', 'resources/list'],
  ['resourceTemplates', 'resources/templates/list'],
];

/** setTimeout's ceiling; the SDK's own per-request timer must never fire before the snapshot deadline. */
const MAX_TIMER_MS = 2_147_483_647;

/**
 * Connects to one server (stdio or HTTP), captures everything the model or host can see, raw, and
 * closes it (killing the process group). Throws McpmError SERVER_* with the server's captured
 * stderr (bounded, unsanitised) in `detail`.
 */
export async function snapshotServer(config: ServerConfig, options: SnapshotOptions): Promise<RawListing> {
  const launch = resolveServerConfig(config, options.env, { projectDir: options.projectDir });
  const run = new Run(config.name, options);
  let failure: unknown;
  try {
    if (launch.transport === 'stdio') {
      return await snapshotStdio(run, { ...launch, env: buildServerEnv(launch.env, options.env) });
    }
    return await snapshotHttp(run, launch);
  } catch (error) {
    failure = error;
  } finally {
    // Always, success or not: the server must be gone (with its whole group) when this returns.
    await run.dispose();
  }
  // After dispose: the stderr pipe has been read to its end, so the report holds the last words.
  throw run.explain(failure);
}

interface StdioLaunch {
  command: string;
  args: string[];
  cwd?: string;
  env: Record<string, string>;
}

interface Connection {
  proc: ServerProcess;
  transport: StdioTransport;
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
    run.stdoutNoise = transport;
    return { proc, transport };
  };
  const fresh = async (conn: Connection): Promise<Connection> => {
    if (!conn.proc.exitInfo && !conn.transport.isClosed) return conn;
    await conn.proc.kill();
    return start();
  };

  let conn = await start();
  if (run.eraHint === 'handshake') {
    const handshake = await handshakeOverStdio(run, conn);
    if (handshake.kind === 'listing') return handshake.listing;
    conn = await fresh(conn);
    const stateless = await statelessOverStdio(run, conn, undefined);
    if (stateless.kind === 'listing') return stateless.listing;
    throw neitherEra(run.server, handshake, stateless);
  }

  const stateless = await statelessOverStdio(run, conn, PROBE_TIMEOUT_MS);
  if (stateless.kind === 'listing') return stateless.listing;
  if (stateless.kind === 'silent') {
    await conn.proc.kill();
    conn = await start();
  } else {
    conn = await fresh(conn);
  }
  const handshake = await handshakeOverStdio(run, conn);
  if (handshake.kind === 'listing') return handshake.listing;
  if (stateless.kind === 'silent') {
    // Refused initialize after an unanswered probe: perhaps a stateless server that was slow to start.
    conn = await fresh(conn);
    const retry = await statelessOverStdio(run, conn, undefined);
    if (retry.kind === 'listing') return retry.listing;
    throw neitherEra(run.server, handshake, retry);
  }
  throw neitherEra(run.server, handshake, stateless);
}

function neitherEra(server: string, handshake: Attempt, stateless: Attempt): McpmError {
  const why = (a: Attempt): string => (a.kind === 'refused' ? a.reason : 'no answer');
  return new McpmError(
    'SERVER_PROTOCOL',
    `server "${server}" speaks neither protocol era: initialize: ${why(handshake)}; server/discover: ${why(stateless)}`,
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

async function statelessOverStdio(run: Run, conn: Connection, probeMs: number | undefined): Promise<Attempt> {
  const peer = new JsonRpcPeer(conn.transport, run.server, (e) => run.fail(e));
  try {
    await peer.start();
    let discover: JsonObject;
    try {
      const request = peer.request('server/discover', { _meta: statelessMeta() });
      discover = await run.guard(probeMs === undefined ? request : withTimeout(request, probeMs));
    } catch (error) {
      if (error instanceof JsonRpcError) return { kind: 'refused', reason: describeRpcError(error) };
      if (error instanceof ProbeTimeout || error instanceof ConnectionClosedError) return { kind: 'silent' };
      throw error;
    }
    const supported = discover['supportedVersions'];
    if (!Array.isArray(supported) || !supported.includes(STATELESS_VERSION) || !isJsonObject(discover['capabilities'])) {
      return { kind: 'refused', reason: `not a DiscoverResult for ${STATELESS_VERSION}` };
    }
    const lists = await fetchLists(run, async (method, cursor) => {
      try {
        const result = await run.guard(peer.request(method, { ...(cursor === undefined ? {} : { cursor }), _meta: statelessMeta() }));
        const type = result['resultType'];
        // A list never asks for input (MRTR); anything but "complete" (or its absence) cannot be snapshotted.
        if (type !== undefined && type !== 'complete') {
          throw new McpmError('SERVER_PROTOCOL', `server "${run.server}" answered ${method} with resultType ${jsonQuote(String(type))}`);
        }
        return { result };
      } catch (error) {
        if (error instanceof JsonRpcError) return { error: { code: error.code, message: error.message } };
        if (error instanceof ConnectionClosedError) throw await run.exited(conn.proc, method);
        throw error;
      }
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
  } finally {
    peer.detach();
  }
}

async function handshakeOverStdio(run: Run, conn: Connection): Promise<Attempt> {
  const capture = new RawCapture();
  const tap = new TapTransport(conn.transport, capture, true);
  try {
    return await handshake(run, tap, capture, () => run.exited(conn.proc, 'initialize'));
  } finally {
    await tap.close();
  }
}

/**
 * The legacy era through the SDK Client: it sends initialize and notifications/initialized, answers
 * ping, and declines every other server request with -32601 (no handlers are registered and no
 * client capabilities are advertised). Results are read from `capture`, not from the SDK.
 */
async function handshake(run: Run, transport: Transport, capture: RawCapture, exited: () => Promise<McpmError>): Promise<Attempt> {
  const client = new Client({ ...CLIENT_INFO }, { capabilities: {} });
  // Non-fatal SDK reports (a response for an unknown id, an unparsable line); fatal ones arrive through run.fail.
  client.onerror = () => {};
  // No `signal`: the SDK adds a listener per request and never removes it; run.guard() races the
  // deadline instead, and client.close() settles whatever is left.
  const requestOptions = { timeout: run.sdkTimeoutMs };
  try {
    capture.expectRequest();
    try {
      await run.guard(client.connect(transport, requestOptions));
    } catch (error) {
      run.throwIfFailed();
      const raw = capture.lastResponse('initialize');
      if (raw !== undefined && isJsonObject(raw['error'])) return { kind: 'refused', reason: describeRawError(raw['error']) };
      if (raw === undefined && isClosed(error)) throw await exited();
      if (raw === undefined) throw error;
      throw sdkRefused(run.server, 'initialize', error);
    }
    const init = capture.lastResponse('initialize')?.['result'];
    if (!isJsonObject(init)) throw new Error('Assertion failed: initialize succeeded without a captured result');

    const lists = await fetchLists(run, async (method, cursor) => {
      capture.expectRequest();
      let sdkError: unknown;
      try {
        await run.guard(client.request({ method, params: cursor === undefined ? {} : { cursor } }, ResultSchema, requestOptions));
      } catch (error) {
        run.throwIfFailed();
        sdkError = error;
      }
      // The raw message decides, whatever the SDK thought of it.
      const raw = capture.lastResponse(method);
      if (raw === undefined) throw isClosed(sdkError) ? await exited() : sdkRefused(run.server, method, sdkError);
      const { result, error } = raw;
      if (isJsonObject(result)) return { result };
      if (isJsonObject(error) && Number.isInteger(error['code'])) {
        return { error: { code: error['code'] as number, message: String(error['message']) } };
      }
      throw new McpmError('SERVER_PROTOCOL', `server "${run.server}" answered ${method} with neither a result object nor an error`);
    });

    const listing: RawListing = {
      era: 'handshake',
      protocolVersion: String(init['protocolVersion']),
      serverInfo: init['serverInfo'] ?? null,
      capabilities: init['capabilities'] ?? null,
      lists,
    };
    if (init['instructions'] !== undefined) listing.instructions = init['instructions'];
    return { kind: 'listing', listing };
  } finally {
    await client.close().catch(() => {});
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
      items.push(...got);
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
  let url: URL;
  try {
    url = new URL(launch.url);
  } catch {
    throw new McpmError('CONFIG_INVALID', `server "${run.server}": "url" is not a valid URL`);
  }
  // Only the origin in messages: the query, credentials and even the path may hold a token
  // (some services put the key in the path), and messages reach CI logs and SARIF files.
  const where = url.origin;
  const sdk = await loadHttpTransports();
  const httpStatus = (error: unknown): number | undefined => httpStatusOf(error, sdk);

  /** One connection attempt; throws the SDK's own errors so the caller can decide on the fallback. */
  const attempt = async (kind: 'streamable' | 'sse'): Promise<RawListing> => {
    const capture = new RawCapture();
    const fetch = strictFetch({
      server: run.server,
      maxMessageBytes: run.maxMessageBytes,
      capture,
      fail: (e) => run.fail(e),
      signal: run.abort.signal,
    });
    // Redirects: the SDK's default redirectPolicy 'same-origin' is kept, so a server cannot bounce
    // mcpm (and the configured Authorization header) to another origin.
    const requestInit = { headers: launch.headers };
    const transport =
      kind === 'streamable' ? new sdk.StreamableHTTPClientTransport(url, { requestInit, fetch }) : new sdk.SSEClientTransport(url, { requestInit, fetch });
    run.onDispose(async () => {
      if (transport instanceof sdk.StreamableHTTPClientTransport && transport.sessionId !== undefined) {
        await withTimeout(transport.terminateSession(), 1_000).catch(() => {});
      }
      await transport.close().catch(() => {});
    });
    const result = await handshake(run, new TapTransport(transport, capture, false), capture, async () =>
      new McpmError('SERVER_EXITED', `server "${run.server}" at ${where} closed the connection during initialize`),
    );
    if (result.kind === 'listing') return result.listing;
    throw new McpmError('SERVER_PROTOCOL', `server "${run.server}" at ${where} refused initialize: ${result.kind === 'refused' ? result.reason : 'no answer'}`);
  };

  const explain = (error: unknown): unknown => {
    if (run.isFailed) return error;
    const status = httpStatus(error);
    if (status === 401) {
      return new McpmError(
        'SERVER_AUTH_REQUIRED',
        `server "${run.server}" requires authorization (HTTP 401); mcpm stores no tokens: set the header in the config, e.g. "Authorization": "Bearer \${X_TOKEN}"`,
        'the header value is read from the environment when mcpm connects; only its name goes into mcp.lock',
      );
    }
    if (status !== undefined) {
      return new McpmError('SERVER_PROTOCOL', `server "${run.server}" at ${where} answered HTTP ${status}`, undefined, { cause: error });
    }
    if (error instanceof TypeError) {
      const code = (error.cause as { code?: unknown } | undefined)?.code;
      return new McpmError('SERVER_SPAWN_FAILED', `server "${run.server}": cannot connect to ${where}${typeof code === 'string' ? ` (${code})` : ''}`, undefined, {
        cause: error,
      });
    }
    return error;
  };

  if (launch.transport === 'sse') {
    try {
      return await attempt('sse');
    } catch (error) {
      throw explain(error);
    }
  }
  try {
    return await attempt('streamable');
  } catch (error) {
    const status = httpStatus(error);
    if (run.isFailed || status === undefined || status === 401 || status < 400 || status >= 500) throw explain(error);
    try {
      return await attempt('sse');
    } catch (sseError) {
      // A server that speaks neither: its Streamable HTTP answer is the one that explains it,
      // unless the SSE endpoint asked for authorization.
      throw explain(httpStatus(sseError) === 401 ? sseError : error);
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

function httpStatusOf(error: unknown, sdk: HttpTransports): number | undefined {
  if (error instanceof sdk.StreamableHTTPError || error instanceof sdk.SseError) {
    return typeof error.code === 'number' && error.code >= 100 ? error.code : undefined;
  }
  return undefined;
}

/** The state of one snapshot: its deadline, its processes, and the first failure, which wins. */
class Run {
  readonly server: string;
  readonly eraHint: Era | undefined;
  readonly maxMessageBytes: number;
  readonly maxPages: number;
  readonly sdkTimeoutMs: number;
  /** Aborted on failure and at the end: cancels SDK requests and HTTP fetches. */
  readonly abort = new AbortController();
  private failure: unknown;
  private hasFailed = false;
  private readonly failed: Promise<never>;
  private rejectFailed!: (error: unknown) => void;
  private readonly processes: ServerProcess[] = [];
  /** The current stdio transport, whose non-JSON stdout lines go into error reports. */
  stdoutNoise: { noise: readonly string[]; noiseCount: number } | undefined;
  private readonly disposers: Array<() => Promise<void>> = [];
  private readonly timer: NodeJS.Timeout;
  private readonly signal: AbortSignal | undefined;
  private readonly projectDir: string;
  private readonly onAbort = (): void => this.fail(this.signal?.reason ?? new Error('aborted'));

  constructor(server: string, options: SnapshotOptions) {
    this.server = server;
    this.eraHint = options.eraHint;
    this.maxMessageBytes = options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
    this.maxPages = options.maxPages ?? DEFAULT_MAX_PAGES;
    this.sdkTimeoutMs = Math.min(options.timeoutMs + 60_000, MAX_TIMER_MS);
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
            'a first npx/uvx run may be downloading: retry, or raise --timeout',
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

  /** SERVER_EXITED for a server whose stdout closed; waits briefly for its exit status, which comes after. */
  async exited(proc: ServerProcess, during: string): Promise<McpmError> {
    await this.guard(settleWithin(proc.exited, 1_000));
    const info = proc.exitInfo;
    const how = info === undefined ? 'closed its stdout' : info.signal !== null ? `was killed by ${info.signal}` : `exited with code ${info.code}`;
    return new McpmError('SERVER_EXITED', `server "${this.server}" ${how} during ${during}`);
  }

  /** The error to throw: the first failure wins over its consequences; McpmErrors get the server's stderr. */
  explain(error: unknown): unknown {
    const chosen = this.hasFailed ? this.failure : error;
    if (!(chosen instanceof McpmError) || chosen.detail !== undefined) return chosen;
    const detail = this.detail();
    if (detail === undefined) return chosen;
    return new McpmError(chosen.code, chosen.message, chosen.hint, { cause: chosen.cause, detail });
  }

  private detail(): string | undefined {
    const proc = this.processes.at(-1);
    if (proc === undefined) return undefined;
    const parts: string[] = [];
    const stderr = proc.stderr.text();
    if (stderr !== '') parts.push(`stderr of "${this.server}":\n${stderr}`);
    const noise = this.stdoutNoise;
    if (noise !== undefined && noise.noiseCount > 0) {
      parts.push(`${noise.noiseCount} line(s) on stdout that were not JSON-RPC, ignored; the first:\n${noise.noise.join('\n')}`);
    }
    return parts.length > 0 ? parts.join('\n') : undefined;
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

function isClosed(error: unknown): boolean {
  return (error as { code?: unknown } | undefined)?.code === -32000;
}

function sdkRefused(server: string, method: string, error: unknown): McpmError {
  const text = error instanceof Error ? error.message : String(error);
  return new McpmError('SERVER_PROTOCOL', `server "${server}": ${method} failed: ${jsonQuote(text, 200)}`, undefined, { cause: error });
}

function describeRpcError(error: JsonRpcError): string {
  return `error ${error.code}: ${jsonQuote(error.message)}`;
}

function describeRawError(error: JsonObject): string {
  return `error ${String(error['code'])}: ${jsonQuote(String(error['message']))}`;
}
