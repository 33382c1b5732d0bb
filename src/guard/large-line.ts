/**
 * A large server line read without decoding its long strings. A tool's result of megabytes is
 * mostly one or a few string values; decoding the line to text and building its tree costs more
 * than everything else the guard does with it, yet routing needs none of those strings' content.
 *
 * The skeleton of a line is its text with every long string *value* (not a key: a string followed
 * by `:`) replaced by `""`. Each replaced string is proven to be one a JSON parser reads as a
 * string ending where mcpm says it ends: its escapes are valid, and the line holds no control byte
 * at all (so none inside a string, where JSON forbids them). A line that holds a character some host
 * framing ends a line at (`\r`, U+0085, U+2028, U+2029; see line-check.ts) has no skeleton either:
 * those take the full path, which re-writes them. So for a line with a skeleton: the line is valid
 * JSON exactly when the skeleton is, both have the same keys in the same objects (so the same
 * duplicate), and the same members with the same values apart from the replaced strings. The
 * caller must still check that the whole line is valid UTF-8.
 */

import { isAscii } from 'node:buffer';
import { holdsControlByte } from './control-bytes.js';

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COLON = 0x3a;

/** Lines shorter than this are read in full: a skeleton would save little. */
export const LARGE_LINE_BYTES = 64 * 1024;
/** Strings at least this long (in bytes, with their quotes) are left out of the skeleton. */
export const LONG_STRING_BYTES = 4 * 1024;

const EMPTY_STRING = Buffer.from('""');
/** With the control bytes, what makes a line take the full path: the UTF-8 forms of the line breaks past ASCII. */
const LINE_BREAKS_PAST_ASCII: readonly Buffer[] = [Buffer.from('\u0085'), Buffer.from('\u2028'), Buffer.from('\u2029')];
/** The longest refused sequence, less one: how far back a search must start to find one that ends past a point. */
export const REFUSED_OVERLAP = 2;

/**
 * Whether `bytes` holds a byte that makes a line take the full path: a control byte (a tab or `\r`
 * between tokens too), or a line break's UTF-8 form. Those three are searched for only in text
 * that is not all ASCII (one native pass says so), where their bytes can be.
 */
export function holdsRefused(bytes: Buffer): boolean {
  if (holdsControlByte(bytes)) return true;
  if (isAscii(bytes)) return false;
  for (const refused of LINE_BREAKS_PAST_ASCII) if (bytes.includes(refused)) return true;
  return false;
}
const HEX = /^[0-9A-Fa-f]{4}$/;

/**
 * The skeleton of `content` (a line without its newline), or undefined when the line must be read
 * in full: it holds a refused byte, a string that does not end or has a bad escape, or no long string.
 * `clean`: how many leading bytes are already known to hold none of REFUSED (line-prefix.ts scanned them).
 */
export function lineSkeleton(content: Buffer, longString = LONG_STRING_BYTES, clean = 0): Buffer | undefined {
  if (holdsRefused(clean <= REFUSED_OVERLAP ? content : content.subarray(clean - REFUSED_OVERLAP))) return undefined;
  const parts: Buffer[] = [];
  let copied = 0;
  let at = 0;
  for (;;) {
    const start = content.indexOf(QUOTE, at);
    if (start === -1) break;
    const end = stringEnd(content, start);
    if (end === undefined) return undefined;
    at = end + 1;
    if (end + 1 - start < longString || isKey(content, end + 1)) continue;
    if (!validEscapes(content, start + 1, end)) return undefined;
    parts.push(content.subarray(copied, start), EMPTY_STRING);
    copied = end + 1;
  }
  if (parts.length === 0) return undefined;
  parts.push(content.subarray(copied));
  return Buffer.concat(parts);
}

/** The index of the quote that closes the string opened at `start`: one not escaped by an odd run of backslashes. */
function stringEnd(content: Buffer, start: number): number | undefined {
  let end = content.indexOf(QUOTE, start + 1);
  while (end !== -1) {
    let b = end - 1;
    while (content[b] === BACKSLASH) b--;
    if ((end - 1 - b) % 2 === 0) return end;
    end = content.indexOf(QUOTE, end + 1);
  }
  return undefined;
}

/** Whether the string that ends before `from` is a key: the next byte that is not a space is `:` (no other whitespace is left in the line). */
function isKey(content: Buffer, from: number): boolean {
  let i = from;
  while (content[i] === 0x20) i++;
  return content[i] === COLON;
}

/** Whether every backslash in content[from, to) starts an escape JSON allows. */
function validEscapes(content: Buffer, from: number, to: number): boolean {
  let i = content.indexOf(BACKSLASH, from);
  while (i !== -1 && i < to) {
    const c = content[i + 1];
    if (c === 0x75) {
      if (i + 6 > to || !HEX.test(content.toString('latin1', i + 2, i + 6))) return false;
      i = content.indexOf(BACKSLASH, i + 6);
      continue;
    }
    // " \ / b f n r t
    if (c !== QUOTE && c !== BACKSLASH && c !== 0x2f && c !== 0x62 && c !== 0x66 && c !== 0x6e && c !== 0x72 && c !== 0x74) return false;
    i = content.indexOf(BACKSLASH, i + 2);
  }
  return true;
}
