/**
 * Newline framing shared by the stdio transport (adapters/stdio-transport.ts) and the guard's relay
 * (guard/relay.ts): split a byte stream at `\n`, cap each line while it is still being buffered.
 * No streams or processes here, only buffers.
 */

const NEWLINE = 0x0a;
const CARRIAGE_RETURN = 0x0d;

/** Per message (line) from a server, in both the stdio transport and the guard: a server must not make mcpm buffer without bound. */
export const MAX_MESSAGE_BYTES = 16 * 1024 * 1024;

/** A byte count for messages: whole MiB or KiB when it is one, else bytes. */
export function formatBytes(bytes: number): string {
  if (bytes % (1024 * 1024) === 0) return `${bytes / (1024 * 1024)} MiB`;
  if (bytes % 1024 === 0) return `${bytes / 1024} KiB`;
  return `${bytes} bytes`;
}

export interface LineFramerOptions {
  /** Bytes per line, without the newline. Default: unlimited. */
  maxLineBytes?: number;
  /**
   * `stop`: a longer line calls onTooLong and the framer stops (the session ends). `truncate`: the
   * line is handed on cut at the limit, with `truncated` set, and the rest up to the newline is skipped.
   */
  overflow?: 'stop' | 'truncate';
  onTooLong?: () => void;
  /**
   * After each chunk that ends inside a line: the line's bytes so far (the same array, grown, on
   * the next call of the same line) and their length. For the guard, which may send a large line's
   * start on before its end has come (guard/line-prefix.ts).
   */
  onPartial?: (parts: readonly Buffer[], size: number) => void;
  /**
   * A line that spans chunks is assembled in a buffer the framer reuses, and handed on with
   * `transient` set: it is valid only until the next push, so a consumer that keeps it must copy it.
   * A megabyte joined into fresh memory costs milliseconds of page faults on a VM; copied chunk by
   * chunk into memory already in use, a tenth of that, while the rest of the line still arrives.
   * onPartial's parts are then views of that buffer, never of a chunk: a consumer may keep them
   * (write them on), and the framer starts the next such line in the same buffer only once
   * `partsReleased` says nothing reads them any more, else in a new one.
   */
  reuseBuffer?: boolean;
  /** With reuseBuffer: whether the parts handed to onPartial so far may be written over. Default: never. */
  partsReleased?: () => boolean;
  /**
   * Each chunk is valid only during its push (the reader reads the next one into the same memory):
   * a line inside one chunk is handed on `transient` as well. Needs reuseBuffer, which keeps no view
   * of a chunk.
   */
  chunksReused?: boolean;
}

/** A reused line buffer larger than this is let go once its line is handed on. */
const KEPT_BUFFER_BYTES = 4 * 1024 * 1024;

/**
 * Splits a byte stream at `\n`. Each line is handed on *with* its newline, as one Buffer, so it can
 * be forwarded by writing it as it is: a line inside one chunk is a zero-copy view of that chunk,
 * one that spans chunks is joined once.
 */
export class LineFramer {
  private parts: Buffer[] = [];
  private size = 0;
  /** With reuseBuffer: the line so far, copied, in its first `size` bytes. */
  private reused: Buffer | undefined;
  private skipping = false;
  private stopped = false;
  private readonly max: number;

  constructor(
    private readonly onLine: (line: Buffer, truncated: boolean, transient: boolean) => void,
    private readonly options: LineFramerOptions = {},
  ) {
    this.max = options.maxLineBytes ?? Number.POSITIVE_INFINITY;
  }

  /** No more lines are handed on, even from the rest of the chunk being split. */
  stop(): void {
    this.stopped = true;
    this.parts = [];
    this.size = 0;
  }

  get isStopped(): boolean {
    return this.stopped;
  }

  push(chunk: Buffer): void {
    let start = 0;
    while (!this.stopped && start < chunk.length) {
      const newline = chunk.indexOf(NEWLINE, start);
      const end = newline === -1 ? chunk.length : newline;
      if (this.skipping) {
        if (newline === -1) return;
        this.skipping = false;
        start = newline + 1;
        continue;
      }
      if (this.size + (end - start) > this.max) {
        if (this.options.overflow === 'truncate') {
          const room = this.max - this.size;
          const head = Buffer.concat([...this.parts, chunk.subarray(start, start + room), Buffer.from([NEWLINE])]);
          this.parts = [];
          this.size = 0;
          this.onLine(head, true, false);
          if (newline === -1) {
            this.skipping = true;
            return;
          }
          start = newline + 1;
          continue;
        }
        this.stop();
        this.options.onTooLong?.();
        return;
      }
      if (newline === -1) {
        if (this.options.reuseBuffer) {
          this.copyIn(chunk.subarray(start));
          this.parts.push(this.reused!.subarray(this.size, this.size + (end - start)));
        } else this.parts.push(chunk.subarray(start));
        this.size += end - start;
        this.options.onPartial?.(this.parts, this.size);
        return;
      }
      if (this.parts.length === 0) {
        const from = start;
        start = newline + 1;
        this.onLine(chunk.subarray(from, newline + 1), false, this.options.chunksReused === true);
        continue;
      }
      const reuse = this.options.reuseBuffer === true;
      let line: Buffer;
      if (reuse) {
        this.copyIn(chunk.subarray(start, newline + 1));
        line = this.reused!.subarray(0, this.size + (newline + 1 - start));
      } else line = Buffer.concat([...this.parts, chunk.subarray(start, newline + 1)]);
      this.parts = [];
      this.size = 0;
      start = newline + 1;
      this.onLine(line, false, reuse);
      if (reuse && this.reused !== undefined && this.reused.length > KEPT_BUFFER_BYTES) this.reused = undefined;
    }
  }

  /**
   * Appends `bytes` to the reused buffer after the line's first `size` bytes, growing it by
   * doubling. A line starts in a new buffer, as large, while the last one's parts may still be
   * read; a buffer outgrown is left as it is, for the parts that view it.
   */
  private copyIn(bytes: Buffer): void {
    if (this.size === 0 && this.reused !== undefined && this.options.partsReleased?.() !== true) this.reused = Buffer.allocUnsafeSlow(this.reused.length);
    const needed = this.size + bytes.length;
    if (this.reused === undefined || this.reused.length < needed) {
      const grown = Buffer.allocUnsafeSlow(Math.max(needed, 2 * (this.reused?.length ?? 0), 64 * 1024));
      this.reused?.copy(grown, 0, 0, this.size);
      this.reused = grown;
    }
    bytes.copy(this.reused, this.size);
  }

  /** At end of input: an unterminated last line is handed on with a newline added. */
  flush(): void {
    if (this.stopped || this.size === 0) {
      this.parts = [];
      this.size = 0;
      return;
    }
    const line = Buffer.concat([...this.parts, Buffer.from([NEWLINE])]);
    this.parts = [];
    this.size = 0;
    this.onLine(line, false, false);
  }
}

/** The line without its `\n` (and a `\r` before it). */
export function lineContent(line: Buffer): Buffer {
  return line.subarray(0, contentEnd(line));
}

/** Where lineContent ends: for `line.toString('utf8', 0, end)`, which makes no view of the line (a Buffer object each, on the path of every message). */
export function contentEnd(line: Buffer): number {
  let end = line.length;
  if (end > 0 && line[end - 1] === NEWLINE) end -= 1;
  if (end > 0 && line[end - 1] === CARRIAGE_RETURN) end -= 1;
  return end;
}
