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
import { contentTypeOf, readCapped, SseParser } from './sse.js';
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
    const type = contentTypeOf(response);
    const rewrap = (body: string | ReadableStream<Uint8Array>): Response =>
      new Response(body, { status: response.status, statusText: response.statusText, headers: response.headers });

    if (type === 'application/json') {
      const bytes = await readCapped(response.body, maxMessageBytes);
      if (bytes === undefined) throw refuse(messageTooLarge(server, maxMessageBytes));
      let text: string;
      try {
        text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
      } catch {
        throw refuse(invalidUtf8(server));
      }
      accept(text);
      return rewrap(text);
    }
    if (type === 'text/event-stream') {
      // The limit counts the UTF-8 bytes of one pending event, which bounds memory like the stdio byte cap does.
      const events = new SseParser(maxMessageBytes, () => messageTooLarge(server, maxMessageBytes));
      const decoder = new TextDecoder('utf-8', { fatal: true });
      const check = new TransformStream<Uint8Array, Uint8Array>({
        transform(chunk, controller) {
          try {
            let text: string;
            try {
              text = decoder.decode(chunk, { stream: true });
            } catch {
              throw invalidUtf8(server);
            }
            for (const event of events.feed(text)) if (event.type === '' || event.type === 'message') accept(event.data);
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
