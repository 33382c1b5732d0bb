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
}

/**
 * Splits a byte stream at `\n`. Each line is handed on *with* its newline, as one Buffer, so it can
 * be forwarded by writing it as it is: a line inside one chunk is a zero-copy view of that chunk,
 * one that spans chunks is joined once.
 */
export class LineFramer {
  private parts: Buffer[] = [];
  private size = 0;
  private skipping = false;
  private stopped = false;
  private readonly max: number;

  constructor(
    private readonly onLine: (line: Buffer, truncated: boolean) => void,
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
          this.onLine(head, true);
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
        this.parts.push(chunk.subarray(start));
        this.size += end - start;
        return;
      }
      const line = this.parts.length === 0 ? chunk.subarray(start, newline + 1) : Buffer.concat([...this.parts, chunk.subarray(start, newline + 1)]);
      this.parts = [];
      this.size = 0;
      start = newline + 1;
      this.onLine(line, false);
    }
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
    this.onLine(line, false);
  }
}

/** The line without its `\n` (and a `\r` before it). */
export function lineContent(line: Buffer): Buffer {
  let end = line.length;
  if (end > 0 && line[end - 1] === NEWLINE) end -= 1;
  if (end > 0 && line[end - 1] === CARRIAGE_RETURN) end -= 1;
  return line.subarray(0, end);
}
