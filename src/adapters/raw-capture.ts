/**
 * The SDK `Client` validates results with zod, which drops unknown keys and rejects whole pages
 * over one unexpected field (SDK 1.x). mcpm still lets the SDK drive the
 * handshake, but reads every result from the strictly parsed message itself, matched by request id.
 */
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import { isJsonObject, type JsonObject, type JsonValue } from '../core/json-strict.js';

type Id = string | number;

/** Requests the SDK sent, and the raw responses the server gave them. */
export class RawCapture {
  private readonly sent = new Map<Id, string>();
  private readonly responses = new Map<Id, JsonObject>();
  /** The last request sent; cleared by expectRequest() so a failed send is never confused with an earlier one. */
  private last: { id: Id; method: string } | undefined;

  expectRequest(): void {
    this.last = undefined;
  }

  noteSent(message: JSONRPCMessage): void {
    const m = message as { id?: unknown; method?: unknown };
    if (typeof m.method !== 'string' || (typeof m.id !== 'string' && typeof m.id !== 'number')) return;
    this.sent.set(m.id, m.method);
    this.last = { id: m.id, method: m.method };
  }

  /** Records a strictly parsed message if it answers a request the SDK sent. */
  noteReceived(message: JsonValue): void {
    if (!isJsonObject(message) || 'method' in message) return;
    const id = message['id'];
    if ((typeof id === 'string' || typeof id === 'number') && this.sent.has(id) && !this.responses.has(id)) {
      this.responses.set(id, message);
    }
  }

  /** The raw response to the last request sent for `method` since expectRequest(), if any arrived. */
  lastResponse(method: string): JsonObject | undefined {
    if (this.last === undefined || this.last.method !== method) return undefined;
    return this.responses.get(this.last.id);
  }
}

/**
 * A Transport for the SDK client in front of another one: records what is sent (and, for stdio,
 * what is received) in `capture`. Its close() only detaches: the process or HTTP session belongs to
 * the snapshot, which may still need it (to try the other era) and closes it itself.
 */
export class TapTransport implements Transport {
  onmessage?: (message: JSONRPCMessage) => void;
  onerror?: (error: Error) => void;
  onclose?: () => void;
  private closed = false;

  constructor(
    private readonly inner: Transport,
    private readonly capture: RawCapture,
    recordReceived: boolean,
  ) {
    inner.onmessage = (message) => {
      if (this.closed) return;
      if (recordReceived) capture.noteReceived(message as unknown as JsonValue);
      this.onmessage?.(message);
    };
    inner.onerror = (error) => this.onerror?.(error);
    inner.onclose = () => this.detach();
  }

  get sessionId(): string | undefined {
    return this.inner.sessionId;
  }

  setProtocolVersion(version: string): void {
    this.inner.setProtocolVersion?.(version);
  }

  async start(): Promise<void> {
    await this.inner.start();
  }

  async send(message: JSONRPCMessage, options?: Parameters<Transport['send']>[1]): Promise<void> {
    if (this.closed) throw new Error('connection closed');
    this.capture.noteSent(message);
    await this.inner.send(message, options);
  }

  async close(): Promise<void> {
    this.detach();
  }

  private detach(): void {
    if (this.closed) return;
    this.closed = true;
    this.inner.onmessage = undefined;
    this.inner.onerror = undefined;
    this.inner.onclose = undefined;
    this.onclose?.();
  }
}
