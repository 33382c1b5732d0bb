/**
 * A `fetch` for the SDK's HTTP transports that holds HTTP bodies to the same rules as stdio lines:
 * each message capped in size while it is read, UTF-8 decoded fatally, parsed with the strict
 * parser, and recorded raw (the SDK itself parses with `JSON.parse` and zod). Bodies are passed on
 * unchanged; a violation stops the snapshot through `fail`.
 */
import type { FetchLike } from '@modelcontextprotocol/sdk/shared/transport.js';
import { McpmError } from '../core/errors.js';
import { parseStrictJson, StrictJsonError, type JsonValue } from '../core/json-strict.js';
import type { RawCapture } from './raw-capture.js';
import { messageTooLarge } from './stdio-transport.js';

export interface StrictFetchOptions {
  server: string;
  maxMessageBytes: number;
  capture: RawCapture;
  /** Stops the snapshot; the error is also thrown into the SDK. */
  fail: (error: McpmError) => void;
  /** Aborted when the snapshot ends or fails: cancels requests and streams in flight. */
  signal: AbortSignal;
}

export function strictFetch(options: StrictFetchOptions): FetchLike {
  const { server, maxMessageBytes, capture, fail } = options;
  const refuse = (error: McpmError): McpmError => {
    fail(error);
    return error;
  };
  const accept = (text: string): void => {
    const value = parseStrict(server, text);
    if (value instanceof McpmError) throw refuse(value);
    for (const message of Array.isArray(value) ? value : [value]) capture.noteReceived(message);
  };

  return async (url, init) => {
    const signal = init?.signal ? AbortSignal.any([init.signal, options.signal]) : options.signal;
    const response = await fetch(url, { ...init, signal });
    if (!response.ok || response.body === null) return response;
    const type = (response.headers.get('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
    const rewrap = (body: string | ReadableStream<Uint8Array>): Response =>
      new Response(body, { status: response.status, statusText: response.statusText, headers: response.headers });

    if (type === 'application/json') {
      const text = await readCapped(response.body, maxMessageBytes, () => refuse(messageTooLarge(server, maxMessageBytes)), () =>
        refuse(invalidUtf8(server)),
      );
      accept(text);
      return rewrap(text);
    }
    if (type === 'text/event-stream') {
      const events = new SseEvents(maxMessageBytes, server);
      const check = new TransformStream<Uint8Array, Uint8Array>({
        transform(chunk, controller) {
          try {
            for (const data of events.feed(chunk)) accept(data);
          } catch (error) {
            if (error instanceof McpmError) refuse(error);
            controller.error(error);
            return;
          }
          controller.enqueue(chunk);
        },
      });
      return rewrap(response.body.pipeThrough(check));
    }
    return response;
  };
}

function invalidUtf8(server: string): McpmError {
  return new McpmError('SERVER_PROTOCOL', `server "${server}" sent a body that is not valid UTF-8`);
}

function parseStrict(server: string, text: string): JsonValue | McpmError {
  try {
    return parseStrictJson(text);
  } catch (error) {
    if (!(error instanceof StrictJsonError)) throw error;
    // Over HTTP there is no logging excuse for a body that is not JSON: refuse it too.
    return new McpmError('SERVER_PROTOCOL', `server "${server}" sent a message mcpm refuses to interpret: ${error.message}`, undefined, {
      cause: error,
    });
  }
}

async function readCapped(
  body: ReadableStream<Uint8Array>,
  limit: number,
  tooLarge: () => Error,
  badUtf8: () => Error,
): Promise<string> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel().catch(() => {});
      throw tooLarge();
    }
    chunks.push(value);
  }
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(Buffer.concat(chunks));
  } catch {
    throw badUtf8();
  }
}

/**
 * Just enough of the SSE format (WHATWG "event stream interpretation") to pull out the `data` of
 * each `message` event. The limit counts characters of one pending event, which bounds memory like
 * the stdio byte cap does.
 */
class SseEvents {
  private readonly decoder = new TextDecoder('utf-8', { fatal: true });
  private buffer = '';
  private data: string[] = [];
  private dataLength = 0;
  private event = '';

  constructor(
    private readonly limit: number,
    private readonly server: string,
  ) {}

  /** Returns the data of every message event completed by this chunk. */
  feed(chunk: Uint8Array): string[] {
    let text: string;
    try {
      text = this.decoder.decode(chunk, { stream: true });
    } catch {
      throw invalidUtf8(this.server);
    }
    this.buffer += text;
    const done: string[] = [];
    let at = 0;
    for (;;) {
      const cr = this.buffer.indexOf('\r', at);
      const lf = this.buffer.indexOf('\n', at);
      const end = cr === -1 ? lf : lf === -1 ? cr : Math.min(cr, lf);
      if (end === -1) break;
      // A CR at the very end may be the first half of CRLF: wait for the next chunk.
      if (end === cr && end === this.buffer.length - 1) break;
      const line = this.buffer.slice(at, end);
      at = end + (end === cr && this.buffer[end + 1] === '\n' ? 2 : 1);
      const data = this.line(line);
      if (data !== undefined) done.push(data);
    }
    this.buffer = this.buffer.slice(at);
    if (this.dataLength + this.buffer.length > this.limit) throw messageTooLarge(this.server, this.limit);
    return done;
  }

  private line(line: string): string | undefined {
    if (line === '') {
      const data = this.data.length > 0 && (this.event === '' || this.event === 'message') ? this.data.join('\n') : undefined;
      this.data = [];
      this.dataLength = 0;
      this.event = '';
      // An empty data field primes a stream (SEP-1699) and carries no message.
      return data === '' ? undefined : data;
    }
    if (line.startsWith(':')) return undefined;
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'data') {
      this.data.push(value);
      this.dataLength += value.length + 1;
      if (this.dataLength > this.limit) throw messageTooLarge(this.server, this.limit);
    } else if (field === 'event') {
      this.event = value;
    }
    return undefined;
  }
}
