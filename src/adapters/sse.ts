/**
 * Reading an HTTP answer from an MCP server, shared by the snapshot's fetch (strict-fetch.ts) and
 * `mcpm run`'s remote side (guard/http-upstream.ts): the media type, a capped body, and the events
 * of a `text/event-stream`. Each caller decodes UTF-8 and reports an oversized message in its own
 * way. No imports: `mcpm run`'s start-up bundle holds this module.
 */

/** The media type of the response, lower case, without parameters; '' when it has none. */
export function contentTypeOf(response: Response): string {
  return (response.headers.get('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
}

/** The body's bytes, or undefined as soon as they pass `maxBytes` (reading stops and the body is cancelled). */
export async function readCapped(body: ReadableStream<Uint8Array>, maxBytes: number): Promise<Buffer | undefined> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel().catch(() => {});
      return undefined;
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks);
}

/**
 * The bodies a session is reading (its event streams), each until it ends: cancelAll() ends the
 * ones still open when the session closes. Aborting the fetch's signal is not enough on Node 20: a
 * read of an event stream already under way was seen to go on after the abort, its socket keeping
 * the process alive (`mcpm run` of an HTTP+SSE server did not exit after its host left, about one
 * run in two on a loaded 2-CPU VM, depending on when the garbage collector ran).
 */
export class BodyReaders {
  readonly #open = new Set<ReadableStreamDefaultReader<Uint8Array>>();

  /** The chunks of `body`; a consumer that stops early cancels the rest. */
  async *chunks(body: ReadableStream<Uint8Array>): AsyncGenerator<Uint8Array> {
    const reader = body.getReader();
    this.#open.add(reader);
    let ended = false;
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) {
          ended = true;
          return;
        }
        yield value;
      }
    } finally {
      this.#open.delete(reader);
      if (!ended) await reader.cancel().catch(() => {});
    }
  }

  /** Ends every body still being read: a pending read returns as if the body had ended. */
  cancelAll(): void {
    for (const reader of this.#open) void reader.cancel().catch(() => {});
    this.#open.clear();
  }
}

export interface SseEvent {
  /** The `event` field; '' when there was none (a `message`). */
  type: string;
  /** The `data` lines joined with LF; never empty. */
  data: string;
}

/**
 * Server-sent events (WHATWG HTML §9.2.6, "event stream interpretation"): lines end in CRLF, LF or
 * CR; the `data` lines of one event are joined with LF; a blank line dispatches. Only what MCP uses
 * is kept: type and data. An event without data, or with empty data, is dropped: the empty one
 * primes a stream (SEP-1699) and carries no message.
 *
 * `maxEventBytes` bounds the UTF-8 bytes of one pending event (its data and the unfinished line),
 * which bounds memory like the stdio byte cap does; past it, `feed` throws `tooLarge()`.
 */
export class SseParser {
  /** The unfinished line, in the pieces it came in (joined once it ends: no copy per chunk). */
  private pending: string[] = [];
  private pendingBytes = 0;
  /** The last piece ended in CR: an LF at the start of the next one completes that CRLF. */
  private afterCr = false;
  private data: string[] = [];
  private dataBytes = 0;
  private type = '';
  /** An `id` field came: the server made the stream resumable (a client may reconnect with Last-Event-ID). */
  sawId = false;

  constructor(
    private readonly maxEventBytes: number,
    private readonly tooLarge: () => Error = () => new RangeError(`an event is over ${maxEventBytes} bytes`),
  ) {}

  /** The events that this text (the next piece of the decoded stream) completes. */
  feed(text: string): SseEvent[] {
    const events: SseEvent[] = [];
    let at = 0;
    if (this.afterCr && text !== '') {
      if (text.startsWith('\n')) at = 1;
      this.afterCr = false;
    }
    const lineEnd = /\r\n?|\n/g;
    lineEnd.lastIndex = at;
    for (let match; (match = lineEnd.exec(text)) !== null; ) {
      const piece = text.slice(at, match.index);
      const line = this.pending.length === 0 ? piece : this.pending.join('') + piece;
      this.pending = [];
      this.pendingBytes = 0;
      at = lineEnd.lastIndex;
      this.afterCr = match[0] === '\r' && at === text.length;
      const event = this.line(line);
      if (event !== undefined) events.push(event);
    }
    if (at < text.length) {
      const rest = text.slice(at);
      this.pending.push(rest);
      this.pendingBytes += Buffer.byteLength(rest);
    }
    if (this.dataBytes + this.pendingBytes > this.maxEventBytes) throw this.tooLarge();
    return events;
  }

  private line(line: string): SseEvent | undefined {
    if (line === '') {
      const event = this.data.length > 0 ? { type: this.type, data: this.data.join('\n') } : undefined;
      this.data = [];
      this.dataBytes = 0;
      this.type = '';
      return event?.data === '' ? undefined : event;
    }
    if (line.startsWith(':')) return undefined;
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'data') {
      this.dataBytes += Buffer.byteLength(value) + 1;
      if (this.dataBytes > this.maxEventBytes) throw this.tooLarge();
      this.data.push(value);
    } else if (field === 'event') {
      this.type = value;
    } else if (field === 'id') {
      this.sawId = true;
    }
    return undefined;
  }
}
