/**
 * Where values are in JSON text, as character offsets, so that a caller can replace one value's
 * text and keep every other byte of a user's file: guard rewrites one host config entry, pin and
 * update one element of a server's `args`. A scanner for finding, not a parser: it takes text the
 * strict parser has already accepted, with comments blanked (stripJsonComments keeps every
 * offset), so offsets into it are offsets into the file as written.
 */
import { skipJsonString, skipJsonWhitespace } from './jsonc.js';

export interface Span {
  start: number;
  end: number;
}

export interface Member {
  key: string;
  keyStart: number;
  keyEnd: number;
  valueStart: number;
  valueEnd: number;
}

/** The members of the object that opens at `start` of `plain`, in file order. */
export function membersOf(plain: string, start: number): Member[] {
  if (plain[start] !== '{') throw new Error(`Assertion failed: no object at offset ${start}`);
  const members: Member[] = [];
  forEachItem(plain, start, (keyStart) => {
    const keyEnd = skipJsonString(plain, keyStart);
    const key = JSON.parse(plain.slice(keyStart, keyEnd)) as string;
    const colon = skipJsonWhitespace(plain, keyEnd);
    if (plain[colon] !== ':') throw new Error(`Assertion failed: no ":" after a key at offset ${keyStart}`);
    const valueStart = skipJsonWhitespace(plain, colon + 1);
    const valueEnd = endOfValue(plain, valueStart);
    members.push({ key, keyStart, keyEnd, valueStart, valueEnd });
    return valueEnd;
  });
  return members;
}

/** Offsets of the value at `path` (object keys and array indexes from the top-level value), or undefined. */
export function valueSpan(plain: string, path: ReadonlyArray<string | number>): Span | undefined {
  let start = skipJsonWhitespace(plain, 0);
  let end = endOfValue(plain, start);
  for (const step of path) {
    const child = typeof step === 'number' ? elementAt(plain, start, step) : memberAt(plain, start, step);
    if (!child) return undefined;
    ({ start, end } = child);
  }
  return { start, end };
}

function memberAt(plain: string, open: number, key: string): Span | undefined {
  if (plain[open] !== '{') return undefined;
  const member = membersOf(plain, open).find((m) => m.key === key);
  return member && { start: member.valueStart, end: member.valueEnd };
}

function elementAt(plain: string, open: number, index: number): Span | undefined {
  if (plain[open] !== '[') return undefined;
  const elements: Span[] = [];
  forEachItem(plain, open, (start) => {
    const end = endOfValue(plain, start);
    elements.push({ start, end });
    return end;
  });
  return elements[index];
}

/** Calls `item` where each member or element of the object or array at `open` starts; `item` returns where it ends. */
function forEachItem(plain: string, open: number, item: (start: number) => number): void {
  const close = plain[open] === '{' ? '}' : ']';
  let i = open + 1;
  for (;;) {
    i = skipJsonWhitespace(plain, i);
    const c = plain[i];
    if (c === close || c === undefined) return;
    if (c === ',') {
      i++;
      continue;
    }
    i = item(i);
  }
}

function endOfValue(text: string, start: number): number {
  const c = text[start];
  if (c === '"') return skipJsonString(text, start);
  if (c === '{' || c === '[') {
    let depth = 0;
    let i = start;
    while (i < text.length) {
      const d = text[i];
      if (d === '"') {
        i = skipJsonString(text, i);
        continue;
      }
      if (d === '{' || d === '[') depth++;
      else if (d === '}' || d === ']') {
        depth--;
        if (depth === 0) return i + 1;
      }
      i++;
    }
    return text.length;
  }
  let i = start;
  while (i < text.length && !/[\s,\]}]/.test(text[i] as string)) i++;
  return i;
}
