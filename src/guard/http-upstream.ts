/**
 * The server side of `mcpm run` for a remote entry (`"url"`, Streamable HTTP, spec 2025-03-26 and
 * later): each host line is POSTed as it is; the answers (an `application/json` body, or the events
 * of a `text/event-stream`) and the messages of the session's GET stream become lines that go
 * through the same relay and wire check as a stdio server's stdout.
 *
 * Bodies are forwarded as the server sent them, each as one line. In a body that is JSON, a raw
 * `\r` or `\n` can only be whitespace between tokens, so each becomes a space (messageLine): the same
 * message on one line, which then goes through the same checks as a stdio server's line. No byte
 * of it is re-serialised on the way.
 *
 * OAuth: with a login of `mcpm login`, every request carries its bearer token; a 401 renews it
 * once (a refresh, through the SDK's `auth()`) and the request is sent again; when it cannot be
 * renewed, the host gets the error with `mcpm login NAME`. The legacy HTTP+SSE transport is
 * sse-upstream.ts. Not supported: resuming a broken SSE stream. Redirects are refused: the
 * configured headers (a bearer token) must not follow a server to another address.
 */
import type { BearerAuth } from '../adapters/oauth/provider.js';
import { BodyReaders, contentTypeOf, readCapped, SseParser } from '../adapters/sse.js';
import { isJsonObject, jsonQuote } from '../core/json-strict.js';
import { sanitize, type SafeText } from '../core/sanitize.js';
import { escapeLineBreaks } from './line-check.js';
import { idKey, lineContent } from './relay.js';
import { GUARD_ERROR } from './wire-check.js';

/** POSTs in flight before the host is paused (backpressure on a slow server). */
export const MAX_IN_FLIGHT = 64;
const CLOSE_TIMEOUT_MS = 1000;

export interface HttpUpstreamOptions {
  server: string;
  url: URL;
  /** Configured headers, resolved (may carry credentials: never printed). */
  headers: Readonly<Record<string, string>>;
  maxMessageBytes: number;
  /** One server message as a line with its newline, for GuardRelay.serverLine. */
  onLine(line: Buffer): void;
  /** A message over maxMessageBytes: the session must end. */
  onTooLong(): void;
  notice(text: SafeText): void;
  /** The stored login's bearer token (`mcpm login`), if there is one. */
  auth?: BearerAuth;
  /** `mcpm … login NAME`, for the error a host shows when the server wants a sign-in. */
  loginCommand: string;
}

export class HttpUpstream {
  private sessionId: string | undefined;
  private protocolVersion: string | undefined;
  /** ids (JSON text) of initialize requests whose answer is still to come. */
  private readonly initializing = new Set<string>();
  private inFlight = 0;
  private drainWaiters: (() => void)[] = [];
  private readonly abort = new AbortController();
  /** The event streams being read, ended by close() whatever the abort does (BodyReaders). */
  private readonly bodies = new BodyReaders();
  private closed = false;
  private streamOpened = false;
  private resolveFinished!: () => void;
  /** Resolves when the session is over (closed by the guard or the host). */
  readonly finished = new Promise<void>((resolve) => (this.resolveFinished = resolve));
  private readonly where: string;

  constructor(private readonly options: HttpUpstreamOptions) {
    // Only the origin in messages: the query, credentials and even the path may hold a token.
    this.where = options.url.origin;
  }

  /** A host line, POSTed as it is. False: too many requests in flight, pause the host until onDrain. */
  send(line: Buffer): boolean {
    if (this.closed) return true;
    const body = lineContent(line);
    const text = body.toString('utf8');
    if (text.trim() === '') return true;
    const requests = requestsIn(text);
    for (const r of requests) if (r.method === 'initialize') this.initializing.add(r.id);
    this.inFlight += 1;
    void this.post(body, requests).finally(() => {
      this.inFlight -= 1;
      if (this.inFlight < MAX_IN_FLIGHT) for (const waiter of this.drainWaiters.splice(0)) waiter();
    });
    return this.inFlight < MAX_IN_FLIGHT;
  }

  onDrain(callback: () => void): void {
    this.drainWaiters.push(callback);
  }

  /** Ends the session: DELETE it (bounded wait), then abort everything in flight. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.sessionId !== undefined) {
      const timeout = AbortSignal.timeout(CLOSE_TIMEOUT_MS);
      await fetch(this.options.url, { method: 'DELETE', headers: this.headers(), signal: timeout, redirect: 'error' })
        .then((r) => r.body?.cancel())
        .catch(() => {});
    }
    this.abort.abort();
    this.bodies.cancelAll();
    this.resolveFinished();
  }

  private headers(): Record<string, string> {
    const headers: Record<string, string> = { ...withBearer(this.options.headers, this.options.auth) };
    headers['accept'] = 'application/json, text/event-stream';
    if (this.sessionId !== undefined) headers['mcp-session-id'] = this.sessionId;
    if (this.protocolVersion !== undefined) headers['mcp-protocol-version'] = this.protocolVersion;
    return headers;
  }

  private async post(body: Buffer, requests: { id: string; method: string }[], renewed = false): Promise<void> {
    let response: Response;
    const headers = { ...this.headers(), 'content-type': 'application/json' };
    try {
      response = await fetch(this.options.url, {
        method: 'POST',
        headers,
        body,
        signal: this.abort.signal,
        redirect: 'error',
      });
    } catch (error) {
      if (this.closed) return;
      const code = (error as { cause?: { code?: unknown } }).cause?.code;
      this.failRequests(requests, `cannot reach ${this.where}${typeof code === 'string' ? ` (${code})` : ''}`);
      return;
    }
    const session = response.headers.get('mcp-session-id');
    if (session !== null && requests.some((r) => r.method === 'initialize')) this.sessionId = session;
    if (response.status === 202 || response.status === 204) {
      await response.body?.cancel().catch(() => {});
      return;
    }
    if (response.status === 401 && !renewed && (await renewAuth(this.options.auth, response, headers))) return this.post(body, requests, true);
    if (!response.ok) {
      await response.body?.cancel().catch(() => {});
      const why =
        response.status === 401 || response.status === 403
          ? authorizationProblem(response.status, this.options.loginCommand)
          : response.status === 404 && this.sessionId !== undefined
            ? 'ended the session (HTTP 404); restart the host to reconnect'
            : `answered HTTP ${response.status}`;
      this.failRequests(requests, `${this.where} ${why}`);
      return;
    }
    await this.readBody(response, requests);
    if (!this.streamOpened && this.protocolVersion !== undefined) {
      this.streamOpened = true;
      void this.openStream();
    }
  }

  /** The GET stream: server-initiated requests and notifications (list_changed among them). */
  private async openStream(): Promise<void> {
    let response: Response;
    try {
      response = await fetch(this.options.url, { method: 'GET', headers: { ...this.headers(), accept: 'text/event-stream' }, signal: this.abort.signal, redirect: 'error' });
    } catch {
      return;
    }
    // 405: the server offers no such stream, which the spec allows.
    if (!response.ok || !contentTypeOf(response).startsWith('text/event-stream')) {
      await response.body?.cancel().catch(() => {});
      return;
    }
    await this.readEvents(response).catch(() => {});
  }

  private async readBody(response: Response, requests: { id: string; method: string }[]): Promise<void> {
    const type = contentTypeOf(response);
    try {
      if (type.startsWith('application/json')) {
        const bytes = response.body ? await readCapped(response.body, this.options.maxMessageBytes) : Buffer.alloc(0);
        if (bytes === undefined) return this.tooLong();
        this.deliver(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
      } else if (type.startsWith('text/event-stream')) {
        await this.readEvents(response);
      } else {
        await response.body?.cancel().catch(() => {});
        this.failRequests(requests, `${this.where} answered with content type ${jsonQuote(type || 'none')}`);
      }
    } catch (error) {
      if (this.closed) return;
      if (error instanceof TooLong) return this.tooLong();
      this.failRequests(requests, `${this.where} broke off its answer (${error instanceof Error ? error.message : String(error)})`);
    }
  }

  private async readEvents(response: Response): Promise<void> {
    if (!response.body) return;
    const events = new SseParser(this.options.maxMessageBytes, () => new TooLong());
    const decoder = new TextDecoder('utf-8', { fatal: true });
    for await (const chunk of this.bodies.chunks(response.body)) {
      if (this.closed) return;
      for (const event of events.feed(decoder.decode(chunk as Uint8Array, { stream: true }))) {
        if (event.type === 'message' || event.type === '') this.deliver(event.data);
      }
    }
  }

  /** One message from the server, as text, to the relay as one line. */
  private deliver(text: string): void {
    if (this.closed) return;
    const line = messageLine(text, this.options);
    if (line === undefined) return;
    if (this.initializing.size > 0) this.noteProtocolVersion(line);
    this.options.onLine(Buffer.from(`${line}\n`));
  }

  /** The version the server chose, for the MCP-Protocol-Version header of every later request. */
  private noteProtocolVersion(line: string): void {
    try {
      const message = JSON.parse(line) as { id?: unknown; result?: { protocolVersion?: unknown } };
      const id = idKey(message.id);
      if (!this.initializing.delete(id)) return;
      if (typeof message.result?.protocolVersion === 'string') this.protocolVersion = message.result.protocolVersion;
    } catch {
      // Not JSON: the relay drops it.
    }
  }

  /** An answer the host will never get from the server: a JSON-RPC error in its place. */
  private failRequests(requests: { id: string; method: string }[], problem: string): void {
    if (this.closed) return;
    const message = sanitize(`mcpm: server ${jsonQuote(this.options.server)}: ${problem}`);
    if (requests.length === 0) this.options.notice(message);
    for (const request of requests) {
      this.initializing.delete(request.id);
      this.options.onLine(Buffer.from(`${escapeLineBreaks(`{"jsonrpc":"2.0","id":${request.id},"error":${JSON.stringify({ code: GUARD_ERROR.UPSTREAM, message })}}`)}\n`));
    }
  }

  private tooLong(): void {
    if (this.closed) return;
    this.options.onTooLong();
  }
}

/**
 * One server message (a JSON body, an event's data) as the line the relay reads. A body spread
 * over lines is put on one: its raw `\r` and `\n` can only be whitespace between tokens, so spaces
 * in their place keep the value, and the relay then judges exactly the bytes the host gets (never
 * a re-serialised copy). A body that is not JSON is dropped with a notice: a newline inside a
 * string must not turn it into JSON that no one sent.
 */
export function messageLine(text: string, options: Pick<HttpUpstreamOptions, 'server' | 'notice'>): string | undefined {
  if (!text.includes('\n') && !text.includes('\r')) return text;
  try {
    JSON.parse(text);
  } catch {
    options.notice(sanitize(`mcpm: server ${jsonQuote(options.server)} sent a message spread over several lines that is not JSON; dropped it`));
    return undefined;
  }
  return text.replace(/[\r\n]/g, ' ');
}

/** The configured headers plus the login's bearer token; a configured Authorization header wins, as in the SDK's transports. */
export function withBearer(headers: Readonly<Record<string, string>>, auth: BearerAuth | undefined): Record<string, string> {
  const bearer = auth?.header();
  if (bearer === undefined || Object.keys(headers).some((name) => name.toLowerCase() === 'authorization')) return { ...headers };
  return { ...headers, authorization: bearer };
}

/**
 * After a 401: whether the login's token was renewed, so the request can be sent once more. Not
 * when the config's own Authorization header was sent: that is the config's to fix.
 */
export async function renewAuth(auth: BearerAuth | undefined, response: Response, sent: Record<string, string>): Promise<boolean> {
  const bearer = sent['authorization'];
  if (auth === undefined || (bearer === undefined && Object.keys(sent).some((name) => name.toLowerCase() === 'authorization'))) return false;
  await response.body?.cancel().catch(() => {});
  return auth.renew(response, bearer);
}

/** What the host is told when the server refuses mcpm run (no token, or one that cannot be renewed). */
export function authorizationProblem(status: number, loginCommand: string): string {
  return `requires authorization (HTTP ${status}); sign in with "${loginCommand}", or set the header in the config, e.g. "Authorization": "Bearer \${TOKEN}"`;
}

/** The requests in a host line (one message or a batch): their ids as JSON text, and methods. */
export function requestsIn(text: string): { id: string; method: string }[] {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return [];
  }
  const out: { id: string; method: string }[] = [];
  for (const item of Array.isArray(value) ? value : [value]) {
    if (!isJsonObject(item)) continue;
    const { id, method } = item;
    if (typeof method === 'string' && id !== undefined && id !== null) out.push({ id: idKey(id), method });
  }
  return out;
}

/** A message over maxMessageBytes: readBody ends the session (onTooLong). */
class TooLong extends Error {}
