/**
 * The server side of `mcpm run` for a remote entry on the legacy HTTP+SSE transport (spec
 * 2024-11-05, `"type": "sse"`, Gemini's `url`): one GET opens the event stream, whose first
 * `endpoint` event names the URL to POST to (same origin only); every host line is POSTed there
 * as it is, and every answer and server message comes back as a `message` event of the stream,
 * which becomes a line through the same relay and wire check as a stdio server's stdout.
 *
 * Spoken here rather than through the SDK's SSEClientTransport for the reason the Streamable HTTP
 * side is: the guard forwards the bytes it judged, which the SDK would re-serialise, and the SDK's
 * EventSource reconnects by itself, which would open a session the guard did not see start.
 * Host lines that come before the endpoint wait for it. The session ends with the stream.
 * Redirects are refused, as on the Streamable HTTP side; the login's token and renewal are the same.
 */
import { BodyReaders, contentTypeOf, SseParser } from '../adapters/sse.js';
import { jsonQuote } from '../core/json-strict.js';
import { sanitize } from '../core/sanitize.js';
import { authorizationProblem, MAX_IN_FLIGHT, messageLine, renewAuth, requestsIn, withBearer, type HttpUpstreamOptions } from './http-upstream.js';
import { lineContent } from './relay.js';
import { GUARD_ERROR } from './wire-check.js';

type Requests = { id: string; method: string }[];

export class SseUpstream {
  private endpoint: URL | undefined;
  /** Host lines sent before the endpoint was known. */
  private waiting: { body: Buffer; requests: Requests }[] = [];
  /** Why no request can be sent (the stream could not be opened); every request is answered with it. */
  private broken: string | undefined;
  private started = false;
  private inFlight = 0;
  private drainWaiters: (() => void)[] = [];
  private readonly abort = new AbortController();
  /** The event stream, ended by close() whatever the abort does (BodyReaders). */
  private readonly bodies = new BodyReaders();
  private closed = false;
  private resolveFinished!: () => void;
  readonly finished = new Promise<void>((resolve) => (this.resolveFinished = resolve));
  private readonly where: string;

  constructor(private readonly options: HttpUpstreamOptions) {
    // Only the origin in messages: the query, credentials and even the path may hold a token.
    this.where = options.url.origin;
  }

  /** A host line, POSTed as it is once the endpoint is known. False: pause the host until onDrain. */
  send(line: Buffer): boolean {
    if (this.closed) return true;
    const body = lineContent(line);
    if (body.toString('utf8').trim() === '') return true;
    const requests = requestsIn(body.toString('utf8'));
    if (!this.started) {
      this.started = true;
      void this.openStream(false);
    }
    if (this.broken !== undefined) this.failRequests(requests, this.broken);
    else if (this.endpoint === undefined) this.waiting.push({ body, requests });
    else this.dispatch(body, requests);
    return this.inFlight < MAX_IN_FLIGHT;
  }

  onDrain(callback: () => void): void {
    this.drainWaiters.push(callback);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.abort.abort();
    this.bodies.cancelAll();
    this.resolveFinished();
  }

  private headers(): Record<string, string> {
    return withBearer(this.options.headers, this.options.auth);
  }

  private dispatch(body: Buffer, requests: Requests): void {
    this.inFlight += 1;
    void this.post(body, requests).finally(() => {
      this.inFlight -= 1;
      if (this.inFlight < MAX_IN_FLIGHT) for (const waiter of this.drainWaiters.splice(0)) waiter();
    });
  }

  private async openStream(renewed: boolean): Promise<void> {
    const headers = { ...this.headers(), accept: 'text/event-stream' };
    let response: Response;
    try {
      response = await fetch(this.options.url, { method: 'GET', headers, signal: this.abort.signal, redirect: 'error' });
    } catch (error) {
      const code = (error as { cause?: { code?: unknown } }).cause?.code;
      return this.fail(`cannot reach ${this.where}${typeof code === 'string' ? ` (${code})` : ''}`);
    }
    if (response.status === 401 && !renewed && (await renewAuth(this.options.auth, response, headers))) return this.openStream(true);
    if (!response.ok || !contentTypeOf(response).startsWith('text/event-stream') || response.body === null) {
      await response.body?.cancel().catch(() => {});
      return this.fail(
        response.status === 401 || response.status === 403
          ? authorizationProblem(response.status, this.options.loginCommand)
          : response.ok
            ? `answered its event stream with content type ${jsonQuote(contentTypeOf(response) || 'none')}`
            : `answered HTTP ${response.status} to opening its event stream`,
      );
    }
    const events = new SseParser(this.options.maxMessageBytes, () => new TooLong());
    const decoder = new TextDecoder('utf-8', { fatal: true });
    try {
      for await (const chunk of this.bodies.chunks(response.body)) {
        if (this.closed) return;
        for (const event of events.feed(decoder.decode(chunk as Uint8Array, { stream: true }))) {
          if (event.type === 'endpoint') this.endpointEvent(event.data);
          else if (event.type === 'message' || event.type === '') this.deliver(event.data);
        }
      }
    } catch (error) {
      if (this.closed) return;
      if (error instanceof TooLong) return this.options.onTooLong();
      this.options.notice(sanitize(`mcpm: server ${jsonQuote(this.options.server)}: its event stream at ${this.where} broke off`));
    }
    // The stream carries every answer: without it the session is over.
    await this.close();
  }

  private endpointEvent(data: string): void {
    if (this.endpoint !== undefined) return;
    let endpoint: URL;
    try {
      endpoint = new URL(data, this.options.url);
    } catch {
      return this.fail('named an endpoint that is not a URL');
    }
    // The configured headers and the token may go to the configured origin only.
    if (endpoint.origin !== this.options.url.origin) return this.fail('named an endpoint on another origin; refused');
    this.endpoint = endpoint;
    for (const { body, requests } of this.waiting.splice(0)) this.dispatch(body, requests);
  }

  private async post(body: Buffer, requests: Requests, renewed = false): Promise<void> {
    const headers = { ...this.headers(), 'content-type': 'application/json' };
    let response: Response;
    try {
      response = await fetch(this.endpoint!, { method: 'POST', headers, body, signal: this.abort.signal, redirect: 'error' });
    } catch (error) {
      if (this.closed) return;
      const code = (error as { cause?: { code?: unknown } }).cause?.code;
      return this.failRequests(requests, `cannot reach ${this.where}${typeof code === 'string' ? ` (${code})` : ''}`);
    }
    if (response.status === 401 && !renewed && (await renewAuth(this.options.auth, response, headers))) return this.post(body, requests, true);
    // The answer comes on the event stream; the POST's own body says nothing a host would read.
    await response.body?.cancel().catch(() => {});
    if (!response.ok) {
      this.failRequests(
        requests,
        response.status === 401 || response.status === 403 ? authorizationProblem(response.status, this.options.loginCommand) : `answered HTTP ${response.status}`,
      );
    }
  }

  private deliver(text: string): void {
    if (this.closed) return;
    const line = messageLine(text, this.options);
    if (line !== undefined) this.options.onLine(Buffer.from(`${line}\n`));
  }

  /** The stream cannot serve: what waits, and whatever comes later, is answered with `problem`. */
  private fail(problem: string): void {
    if (this.closed) return;
    this.broken = problem;
    for (const { requests } of this.waiting.splice(0)) this.failRequests(requests, problem);
  }

  private failRequests(requests: Requests, problem: string): void {
    if (this.closed) return;
    const message = sanitize(`mcpm: server ${jsonQuote(this.options.server)}: ${this.where} ${problem}`);
    if (requests.length === 0) this.options.notice(message);
    for (const request of requests) {
      this.options.onLine(Buffer.from(`{"jsonrpc":"2.0","id":${request.id},"error":${JSON.stringify({ code: GUARD_ERROR.UPSTREAM, message })}}\n`));
    }
  }
}

class TooLong extends Error {}
