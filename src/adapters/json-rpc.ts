/**
 * The one JSON-RPC client mcpm speaks to servers with, in both protocol eras and over any transport
 * (stdio, or the SDK's HTTP transports): numbered requests, responses matched strictly by id,
 * `initialize` and `notifications/initialized` for the handshake era, `ping` answered, every other
 * server request declined. Messages arrive already strictly parsed (stdio-transport.ts,
 * strict-fetch.ts), so results are handed back untouched: nothing goes through zod.
 *
 * A request settles in one of three ways, and only these: a result object; a JsonRpcError (the
 * server answered with an error); a TransportError (the connection failed before the answer:
 * EPIPE, ECONNRESET, stdout closed, an HTTP request that failed). Malformed messages are
 * SERVER_PROTOCOL McpmErrors. What a TransportError means is decided by the snapshot, in one place.
 */
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import { McpmError } from '../core/errors.js';
import { isJsonObject, jsonQuote, type JsonObject, type JsonValue } from '../core/json-strict.js';

export const METHOD_NOT_FOUND = -32601;

/** The revision mcpm asks for in `initialize`: the SDK's LATEST_PROTOCOL_VERSION, which the hosts built on it send. */
export const HANDSHAKE_VERSION = '2025-11-25';

/** Revisions of the handshake era a server may answer `initialize` with (the SDK's SUPPORTED_PROTOCOL_VERSIONS). */
export const HANDSHAKE_VERSIONS: readonly string[] = [HANDSHAKE_VERSION, '2025-06-18', '2025-03-26', '2024-11-05', '2024-10-07'];

/** The server answered a request with a JSON-RPC error. */
export class JsonRpcError extends Error {
  override readonly name = 'JsonRpcError';
  constructor(
    readonly method: string,
    readonly code: number,
    message: string,
    readonly data?: JsonValue,
  ) {
    super(message);
  }
}

/**
 * The connection failed before the answer came: it closed (the server exited), a write failed
 * (EPIPE, ECONNRESET, a stream already destroyed), or the transport refused to start or send (an
 * HTTP status, a refused connection). `cause` is the transport's own error, if it gave one.
 */
export class TransportError extends Error {
  override readonly name = 'TransportError';
  constructor(
    /** The request (or `connect`) that was in flight. */
    readonly method: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

interface Pending {
  method: string;
  resolve: (result: JsonObject) => void;
  reject: (error: Error) => void;
}

export class JsonRpcPeer {
  /** From 0, as the SDK's Protocol numbers them: the handshake looks like a host's, byte for byte. */
  private nextId = 0;
  private readonly pending = new Map<number, Pending>();
  /** Why the connection is gone; every request after it fails with this, named after its own method. */
  private lost: { message: string; cause?: unknown } | undefined;

  /**
   * Takes over the transport's callbacks, for the life of the connection. `onProtocolError` receives a
   * SERVER_PROTOCOL error for malformed or unmatched messages; the caller stops the snapshot.
   */
  constructor(
    private readonly transport: Transport,
    private readonly server: string,
    private readonly onProtocolError: (error: McpmError) => void,
  ) {
    transport.onmessage = (message) => this.receive(message as unknown as JsonValue);
    transport.onclose = () => this.lose(`server "${server}" closed the connection`);
    // Reports the transport does not act on itself: an optional SSE stream that could not be opened
    // or resumed, a message it could not parse (the strict parse has already failed the snapshot).
    // A failure that matters rejects a send or closes the connection.
    transport.onerror = () => {};
  }

  /** True once the connection closed or a write failed: every later request fails at once. */
  get isLost(): boolean {
    return this.lost !== undefined;
  }

  async start(): Promise<void> {
    try {
      await this.transport.start();
    } catch (error) {
      throw this.lose(`server "${this.server}": ${describeFailure(error)}`, error, 'connect');
    }
  }

  /**
   * The handshake era's opening: `initialize`, then `notifications/initialized`. Resolves with the
   * raw InitializeResult. A protocolVersion outside HANDSHAKE_VERSIONS is SERVER_PROTOCOL: the spec
   * has the client disconnect, and what follows could not be read reliably.
   */
  async initialize(params: JsonObject): Promise<JsonObject> {
    const result = await this.request('initialize', params);
    const version = result['protocolVersion'];
    if (typeof version !== 'string' || !HANDSHAKE_VERSIONS.includes(version)) {
      throw new McpmError(
        'SERVER_PROTOCOL',
        `server "${this.server}" answered initialize with protocol version ${typeof version === 'string' ? jsonQuote(version) : 'that is not a string'}, which mcpm does not speak`,
      );
    }
    // HTTP transports send it as a header on every later request.
    this.transport.setProtocolVersion?.(version);
    await this.notify('notifications/initialized');
    return result;
  }

  /** `params` left out is left out of the message, as the SDK's `client.listTools()` does. */
  request(method: string, params?: JsonObject): Promise<JsonObject> {
    if (this.lost) return Promise.reject(this.failed(method));
    const id = this.nextId++;
    return new Promise<JsonObject>((resolve, reject) => {
      this.pending.set(id, { method, resolve, reject });
      // Key order as the SDK writes it ({...request, jsonrpc, id}).
      this.send(params === undefined ? { method, jsonrpc: '2.0', id } : { method, params, jsonrpc: '2.0', id }).catch((error: unknown) => {
        // An answer that came before its send settled stands: HTTP delivers it inside the send,
        // and the SDK may still fail on its own (zod) reading of it.
        if (this.pending.has(id)) this.lose(`server "${this.server}": ${describeFailure(error)}`, error);
      });
    });
  }

  async notify(method: string, params?: JsonObject): Promise<void> {
    if (this.lost) throw this.failed(method);
    try {
      await this.send(params === undefined ? { method, jsonrpc: '2.0' } : { method, params, jsonrpc: '2.0' });
    } catch (error) {
      throw this.lose(`server "${this.server}": ${describeFailure(error)}`, error, method);
    }
  }

  private send(message: Record<string, unknown>): Promise<void> {
    return this.transport.send(message as unknown as JSONRPCMessage);
  }

  /**
   * A write that failed (a broken pipe, a refused HTTP request) or a closed connection: no answer
   * can be relied on any more. The first loss is kept; pending requests fail with it, each named
   * after its own method. Returns the failure of `method`.
   */
  private lose(message: string, cause?: unknown, method = ''): TransportError {
    this.lost ??= cause === undefined ? { message } : { message, cause };
    const pending = [...this.pending.values()];
    this.pending.clear();
    for (const p of pending) p.reject(this.failed(p.method));
    return this.failed(method);
  }

  private failed(method: string): TransportError {
    return new TransportError(method, this.lost!.message, this.lost!.cause === undefined ? undefined : { cause: this.lost!.cause });
  }

  private protocolError(what: string, pending?: Pending): void {
    const error = new McpmError('SERVER_PROTOCOL', `server "${this.server}" ${what}`);
    this.onProtocolError(error);
    pending?.reject(error);
  }

  private receive(message: JsonValue): void {
    if (!isJsonObject(message)) return this.protocolError('sent a JSON-RPC message that is not an object');
    const { id, method } = message;
    if (typeof method === 'string') {
      if (id === undefined) return; // a notification: nothing in a snapshot depends on one
      if (typeof id !== 'string' && typeof id !== 'number') return this.protocolError(`sent request "${method}" with an invalid id`);
      // Replies as the SDK's Protocol does: ping answered; sampling, elicitation, roots and anything
      // else declined, since mcpm advertises no client capabilities. A reply that cannot be written
      // fails no request of ours (an HTTP server may refuse it); a broken pipe fails the next one.
      const reply = method === 'ping' ? { result: {}, jsonrpc: '2.0', id } : { jsonrpc: '2.0', id, error: { code: METHOD_NOT_FOUND, message: 'Method not found' } };
      this.send(reply).catch(() => {});
      return;
    }
    const hasResult = 'result' in message;
    const hasError = 'error' in message;
    if (hasResult === hasError) return this.protocolError('sent a JSON-RPC response with neither or both of "result" and "error"');
    // A parse error the server could not attribute (id null) answers the one request in flight.
    const key = typeof id === 'number' ? id : id === null && hasError && this.pending.size === 1 ? [...this.pending.keys()][0]! : undefined;
    const pending = key === undefined ? undefined : this.pending.get(key);
    if (!pending) return this.protocolError(`sent a response with an unknown id ${JSON.stringify(id)}`);
    this.pending.delete(key!);
    if (hasResult) {
      const { result } = message;
      if (!isJsonObject(result)) return this.protocolError(`answered "${pending.method}" with a result that is not an object`, pending);
      pending.resolve(result);
      return;
    }
    const { error } = message;
    if (!isJsonObject(error) || typeof error['code'] !== 'number' || !Number.isInteger(error['code']) || typeof error['message'] !== 'string') {
      return this.protocolError(`answered "${pending.method}" with a malformed error`, pending);
    }
    pending.reject(new JsonRpcError(pending.method, error['code'], error['message'], error['data']));
  }
}

/** The transport's error as text, with its errno code (EPIPE, ECONNRESET) when the text lacks it. */
function describeFailure(error: unknown): string {
  const code = (error as { code?: unknown } | undefined)?.code;
  const text = error instanceof Error ? error.message : String(error);
  return typeof code === 'string' && !text.includes(code) ? `${text} (${code})` : text;
}
