/**
 * How much of a large server line may go to the host before the line has ended and been judged.
 * A line is judged whole (relay.ts), so a result of megabytes used to reach the host only after
 * its last byte had reached mcpm, one pipe hop behind a relay that copies bytes: a few ms a
 * megabyte. Its beginning can go ahead, as long as the host cannot read any message from what it
 * has been given until the guard adds the end:
 * - The bytes must be the start of one JSON object, and the object must still be open after them:
 *   a JSON text that stops inside its top-level object is no JSON value, whatever follows on that
 *   line. The scan follows JSON's lexing (strings, escapes, brackets), which for any text that is
 *   valid JSON is how every parser reads it; a text it reads otherwise is not valid JSON at all.
 * - No byte a host framing ends a line at may be among them (control bytes, U+0085, U+2028,
 *   U+2029; see line-check.ts), or a host would read a complete message before that break. Bytes
 *   at a chunk's end that could begin one of those characters in UTF-8 (E2, E2 80, C2) are held
 *   back until the next chunk shows how they go on; every other byte goes as it came, so a chunk
 *   is forwarded as the same buffer, not copied.
 * The first byte that breaks either rule stops the scan: nothing more of the line goes ahead. When
 * the line ends, the relay judges it whole as always and sends the rest, or, when what it would
 * send does not begin with the bytes that went ahead, ends that line unreadable (see relay.ts).
 */

import { holdsRefused, REFUSED_OVERLAP } from './large-line.js';
import { BACKSLASH, CLOSE_BRACE, CLOSE_BRACKET, OPEN_BRACE, OPEN_BRACKET, QUOTE } from './line-check.js';

const SPACE = 0x20;

/** How many bytes at the end of `last` (the last bytes scanned) could begin a line ending of more than one byte. */
function heldAt(last: Buffer): number {
  const n = last.length;
  if (n >= 2 && last[n - 2] === 0xe2 && last[n - 1] === 0x80) return 2;
  return n >= 1 && (last[n - 1] === 0xe2 || last[n - 1] === 0xc2) ? 1 : 0;
}

/** Scans an unfinished line chunk by chunk and says how many of its bytes may go ahead. */
export class LinePrefix {
  /** Bytes of the line scanned so far. */
  private scanned = 0;
  /** Bytes found safe to go ahead (never those heldAt the end of what was scanned). */
  private safe = 0;
  private stopped = false;
  /** Where the top-level object's `{` is in the line; undefined until it has come. */
  private opened: number | undefined;
  private depth = 0;
  private inString = false;
  /** Inside a string: backslashes just before the end of what was scanned. */
  private backslashes = 0;
  /** The last REFUSED_OVERLAP bytes scanned, checked again with the next chunk. */
  private tail: Buffer = Buffer.alloc(0);

  /** Whether the scan has stopped: no more of this line goes ahead. */
  get isStopped(): boolean {
    return this.stopped;
  }

  /** Bytes from the line's start proven to hold no line ending (all scanned, unless the scan stopped). */
  get cleanBytes(): number {
    return this.stopped ? 0 : this.scanned;
  }

  /** Bytes from the line's start that may go ahead so far. */
  get safeBytes(): number {
    return this.safe;
  }

  /** Nothing more of the line goes ahead, whatever follows (the host has asked for a list meanwhile). */
  stop(): void {
    this.stopped = true;
  }

  /** The next bytes of the line, in order; returns safeBytes after them. */
  feed(chunk: Buffer): number {
    if (this.stopped || chunk.length === 0) return this.safe;
    // The chunk, and the bytes where it meets the one before (no copy of the chunk).
    if (holdsRefused(chunk) || (this.tail.length > 0 && holdsRefused(Buffer.concat([this.tail, chunk.subarray(0, REFUSED_OVERLAP)])))) {
      this.stopped = true;
      return this.safe;
    }
    const end = this.lex(chunk);
    if (end < chunk.length) this.stopped = true;
    const start = this.scanned;
    this.scanned += chunk.length;
    this.tail = chunk.length >= REFUSED_OVERLAP ? Buffer.from(chunk.subarray(chunk.length - REFUSED_OVERLAP)) : Buffer.concat([this.tail, chunk]).subarray(-REFUSED_OVERLAP);
    // What went ahead never goes back. Nothing goes before the object's brace can go with it:
    // spaces alone would be a blank line to a host.
    const candidate = Math.min(start + end, this.scanned - heldAt(this.tail));
    if (this.opened !== undefined && candidate > this.opened) this.safe = Math.max(this.safe, candidate);
    return this.safe;
  }

  /** Follows JSON's lexing through `chunk`; returns how many of its bytes keep the top-level object open. */
  private lex(chunk: Buffer): number {
    let i = 0;
    while (i < chunk.length) {
      if (this.inString) {
        const quote = chunk.indexOf(QUOTE, i);
        if (quote === -1) {
          this.backslashes = trailingBackslashes(chunk, i, chunk.length, this.backslashes);
          return chunk.length;
        }
        const run = trailingBackslashes(chunk, i, quote, this.backslashes);
        this.backslashes = 0;
        i = quote + 1;
        if (run % 2 === 0) this.inString = false;
        continue;
      }
      const byte = chunk[i]!;
      if (this.opened === undefined) {
        if (byte === SPACE) {
          i++;
          continue;
        }
        // Only an object goes ahead: a batch is re-written whenever one of its items is.
        if (byte !== OPEN_BRACE) return i;
        this.opened = this.scanned + i;
        this.depth = 1;
        i++;
        continue;
      }
      if (byte === QUOTE) {
        this.inString = true;
        this.backslashes = 0;
      } else if (byte === OPEN_BRACE || byte === OPEN_BRACKET) this.depth++;
      else if (byte === CLOSE_BRACE || byte === CLOSE_BRACKET) {
        // The top-level object closes here: from this byte on, the line could be a whole message.
        if (this.depth === 1) return i;
        this.depth--;
      }
      i++;
    }
    return chunk.length;
  }
}

/** Backslashes that end chunk[from, to), plus `carried` when the whole range is backslashes. */
function trailingBackslashes(chunk: Buffer, from: number, to: number, carried: number): number {
  let b = to - 1;
  while (b >= from && chunk[b] === BACKSLASH) b--;
  const run = to - 1 - b;
  return b < from ? carried + run : run;
}
