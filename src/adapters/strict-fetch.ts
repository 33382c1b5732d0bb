/**
 * The SDK's HTTP transports with mcpm's reading of what they receive. The SDK keeps what it does
 * well (POST and GET, sessions, SSE streams, the same-origin redirect policy); every body it
 * fetches passes through `strictFetch`, which holds it to the same rules as stdio lines: each
 * message capped in size while it is read, UTF-8 decoded fatally, parsed with the strict parser.
 * Those strictly parsed messages are the ones the client receives (StrictHttpTransport); the SDK's
 * own reading (`JSON.parse` and zod, which drop keys and mangle `__proto__`) is discarded. A
 * violation stops the snapshot through `fail`.
 */
import type { FetchLike, Transport, TransportSendOptions } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import { McpmError } from '../core/errors.js';
import { isJsonObject, parseMessageJson, StrictJsonError, type JsonValue } from '../core/json-strict.js';
import { contentTypeOf, readCapped, SseParser } from './sse.js';
import { messageTooLarge } from './stdio-transport.js';

export interface StrictFetchOptions {
  server: string;
  maxMessageBytes: number;
  /**
   * Streamable HTTP answers a POSTed request in the POST's response body; HTTP+SSE answers only on
   * its GET event stream and the SDK ignores its POST bodies. Only bodies the SDK reads as messages
   * are read here, so nothing a host would not see is delivered or refused.
   */
  answersInPostBodies: boolean;
  /** Receives every JSON-RPC message of every body read, strictly parsed, in the order read. */
  deliver: (message: JsonValue) => void;
  /**
   * A POSTed request's answer can no longer come: its body ended (or broke off) without it, and
   * the stream carried no event id to resume from. The SDK would wait for it forever.
   */
  unanswered: () => void;
  /** Stops the snapshot; the error is also thrown into the SDK. */
  fail: (error: McpmError) => void;
  /** Aborted when the snapshot ends or fails: cancels requests and streams in flight. */
  signal: AbortSignal;
  /** The HTTP status of every MCP request (not of the OAuth requests the SDK makes through the same fetch). */
  observe?: (status: number) => void;
}

export function strictFetch(options: StrictFetchOptions): FetchLike {
  const { server, maxMessageBytes, deliver, fail } = options;
  const refuse = (error: McpmError): McpmError => {
    fail(error);
    return error;
  };
  /** Delivers the messages in `text`, crossing off the ids of `awaited` they answer. */
  const accept = (text: string, awaited: Set<unknown>): void => {
    const value = parseStrict(server, text);
    if (value instanceof McpmError) throw refuse(value);
    for (const message of Array.isArray(value) ? value : [value]) {
      if (isJsonObject(message) && !('method' in message)) awaited.delete(message['id']);
      deliver(message);
    }
  };

  return async (url, init) => {
    const signal = init?.signal ? AbortSignal.any([init.signal, options.signal]) : options.signal;
    const response = await fetch(url, { ...init, signal });
    // The SDK's OAuth client fetches metadata, registers and refreshes through this fetch too:
    // those answers are its own business, never MCP messages. MCP's requests are POSTs of
    // JSON-RPC and GETs of an event stream.
    const posted = init?.method === 'POST' ? requestIdsOf(init.body) : undefined;
    if (posted === NOT_JSON_RPC || (posted === undefined && !acceptsEventStream(init))) return response;
    options.observe?.(response.status);
    if (!response.ok || response.body === null) return response;
    const type = contentTypeOf(response);
    const rewrap = (body: string | ReadableStream<Uint8Array>): Response =>
      new Response(body, { status: response.status, statusText: response.statusText, headers: response.headers });
    const awaited = new Set(posted);
    if (init?.method === 'POST' && (awaited.size === 0 || !options.answersInPostBodies)) return response;

    if (type === 'application/json') {
      const bytes = await readCapped(response.body, maxMessageBytes);
      if (bytes === undefined) throw refuse(messageTooLarge(server, maxMessageBytes));
      let text: string;
      try {
        text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
      } catch {
        throw refuse(invalidUtf8(server));
      }
      accept(text, awaited);
      if (awaited.size > 0) options.unanswered();
      return rewrap(text);
    }
    if (type === 'text/event-stream') {
      // The limit counts the UTF-8 bytes of one pending event, which bounds memory like the stdio byte cap does.
      const events = new SseParser(maxMessageBytes, () => messageTooLarge(server, maxMessageBytes));
      const decoder = new TextDecoder('utf-8', { fatal: true });
      const reader = response.body.getReader();
      const ended = (): void => {
        if (awaited.size > 0 && !events.sawId) options.unanswered();
      };
      // Pulled by the SDK as it reads; each chunk is checked before it is handed on, and the end of
      // the stream (or its breaking off) is seen here too.
      const checked = new ReadableStream<Uint8Array>({
        async pull(controller) {
          let chunk: Awaited<ReturnType<typeof reader.read>>;
          try {
            chunk = await reader.read();
          } catch (error) {
            ended();
            controller.error(error);
            return;
          }
          if (chunk.done) {
            ended();
            controller.close();
            return;
          }
          try {
            let text: string;
            try {
              text = decoder.decode(chunk.value, { stream: true });
            } catch {
              throw invalidUtf8(server);
            }
            for (const event of events.feed(text)) if (event.type === '' || event.type === 'message') accept(event.data, awaited);
          } catch (error) {
            if (error instanceof McpmError) refuse(error);
            controller.error(error);
            await reader.cancel().catch(() => {});
            return;
          }
          controller.enqueue(chunk.value);
        },
        cancel: (reason) => reader.cancel(reason),
      });
      return rewrap(checked);
    }
    return response;
  };
}

/** What requestIdsOf returns for a body that is no JSON-RPC (an OAuth token request, a client registration). */
const NOT_JSON_RPC: ReadonlySet<unknown> = new Set();

/** The ids of the requests in a POST body the SDK wrote (one message or a batch); NOT_JSON_RPC for anything else. */
function requestIdsOf(body: unknown): Set<unknown> {
  const ids = new Set<unknown>();
  if (typeof body !== 'string') return NOT_JSON_RPC as Set<unknown>;
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return NOT_JSON_RPC as Set<unknown>;
  }
  const messages = Array.isArray(parsed) ? parsed : [parsed];
  if (!messages.every((m) => (m as { jsonrpc?: unknown } | null)?.jsonrpc === '2.0')) return NOT_JSON_RPC as Set<unknown>;
  for (const message of messages) {
    const m = message as { id?: unknown; method?: unknown } | null;
    if (typeof m?.method === 'string' && (typeof m.id === 'number' || typeof m.id === 'string')) ids.add(m.id);
  }
  return ids;
}

function acceptsEventStream(init: RequestInit | undefined): boolean {
  return (new Headers(init?.headers).get('accept') ?? '').includes('text/event-stream');
}

/**
 * An SDK HTTP transport (made by `create` around the strict fetch) whose received messages are the
 * strictly parsed ones. Sending, starting, sessions and closing are the SDK transport's own.
 */
export class StrictHttpTransport<T extends Transport = Transport> implements Transport {
  onmessage?: (message: JSONRPCMessage) => void;
  onerror?: (error: Error) => void;
  onclose?: () => void;
  /** The SDK transport itself (to end its session). */
  readonly inner: T;

  constructor(options: Omit<StrictFetchOptions, 'deliver' | 'unanswered'>, create: (fetch: FetchLike) => T) {
    this.inner = create(
      strictFetch({
        ...options,
        deliver: (message) => this.onmessage?.(message as unknown as JSONRPCMessage),
        // For a snapshot the connection is as good as closed: nothing more can be read reliably.
        unanswered: () => this.onclose?.(),
      }),
    );
    // The same messages as the SDK read them, after strictFetch delivered the strict reading.
    this.inner.onmessage = () => {};
    this.inner.onerror = (error) => this.onerror?.(error);
    this.inner.onclose = () => this.onclose?.();
  }

  get sessionId(): string | undefined {
    return this.inner.sessionId;
  }

  setProtocolVersion(version: string): void {
    this.inner.setProtocolVersion?.(version);
  }

  start(): Promise<void> {
    return this.inner.start();
  }

  send(message: JSONRPCMessage, options?: TransportSendOptions): Promise<void> {
    return this.inner.send(message, options);
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}

function invalidUtf8(server: string): McpmError {
  return new McpmError('SERVER_PROTOCOL', `server "${server}" sent a body that is not valid UTF-8`);
}

function parseStrict(server: string, text: string): JsonValue | McpmError {
  try {
    return parseMessageJson(text);
  } catch (error) {
    if (!(error instanceof StrictJsonError)) throw error;
    // Over HTTP there is no logging excuse for a body that is not JSON: refuse it too.
    return new McpmError('SERVER_PROTOCOL', `server "${server}" sent a message mcpm refuses to interpret: ${error.message}`, undefined, {
      cause: error,
    });
  }
}
