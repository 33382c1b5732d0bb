/**
 * The smallest JSON-RPC client mcpm needs for the stateless era (2026-07-28), which SDK 1.x does not
 * speak: numbered requests, responses matched strictly by id, server requests declined. Messages
 * arrive already strictly parsed (stdio-transport.ts), so results are handed back untouched.
 */
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import { McpmError } from '../core/errors.js';
import { isJsonObject, type JsonObject, type JsonValue } from '../core/json-strict.js';

export const METHOD_NOT_FOUND = -32601;

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

/** The connection closed (the server exited or stopped) before the answer came. */
export class ConnectionClosedError extends Error {
  override readonly name = 'ConnectionClosedError';
}

interface Pending {
  method: string;
  resolve: (result: JsonObject) => void;
  reject: (error: Error) => void;
}

export class JsonRpcPeer {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private closed = false;

  /**
   * Takes over the transport's callbacks until detach(). `onProtocolError` receives a
   * SERVER_PROTOCOL error for malformed or unmatched messages; the caller stops the snapshot.
   */
  constructor(
    private readonly transport: Transport,
    private readonly server: string,
    private readonly onProtocolError: (error: McpmError) => void,
  ) {
    transport.onmessage = (message) => this.receive(message as unknown as JsonValue);
    transport.onclose = () => this.rejectAll(new ConnectionClosedError(`server "${server}" closed the connection`));
  }

  async start(): Promise<void> {
    await this.transport.start();
  }

  request(method: string, params: JsonObject): Promise<JsonObject> {
    if (this.closed) return Promise.reject(new ConnectionClosedError(`server "${this.server}" closed the connection`));
    const id = this.nextId++;
    return new Promise<JsonObject>((resolve, reject) => {
      this.pending.set(id, { method, resolve, reject });
      this.transport.send({ jsonrpc: '2.0', id, method, params } as JSONRPCMessage).catch((error: unknown) => {
        this.pending.delete(id);
        reject(error instanceof Error ? error : new Error(String(error)));
      });
    });
  }

  /** Gives the transport back (for the SDK client); pending requests are rejected. */
  detach(): void {
    this.transport.onmessage = undefined;
    this.transport.onclose = undefined;
    this.rejectAll(new ConnectionClosedError('request abandoned'));
  }

  private rejectAll(error: Error): void {
    this.closed = true;
    const pending = [...this.pending.values()];
    this.pending.clear();
    for (const p of pending) p.reject(error);
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
      // Sampling, elicitation, roots and anything else: mcpm advertises no client capabilities.
      void this.transport
        .send({ jsonrpc: '2.0', id, error: { code: METHOD_NOT_FOUND, message: 'Method not found' } } as JSONRPCMessage)
        .catch(() => {});
      return;
    }
    const hasResult = 'result' in message;
    const hasError = 'error' in message;
    if (hasResult === hasError) return this.protocolError('sent a JSON-RPC response with neither or both of "result" and "error"');
    // A parse error the server could not attribute (id null) answers the one request in flight.
    const pending = typeof id === 'number' ? this.pending.get(id) : id === null && hasError && this.pending.size === 1 ? [...this.pending.values()][0] : undefined;
    if (!pending) return this.protocolError(`sent a response with an unknown id ${JSON.stringify(id)}`);
    this.pending.delete(typeof id === 'number' ? id : [...this.pending.keys()][0]!);
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
