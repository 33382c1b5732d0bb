/**
 * Just enough of TOML's grammar to find where each statement of a *valid* document starts and
 * ends (the document is parsed by smol-toml first): table headers and key/value pairs with their
 * key paths, skipping over every kind of string, multi-line arrays and inline tables, and
 * comments. Guard uses it to replace one `[mcp_servers.NAME]` table and keep every other byte.
 */
// A single-line basic string ends where a JSON string does, at the first `"` no backslash escapes.
import { skipJsonString } from '../../core/jsonc.js';

export interface TomlStatement {
  kind: 'table' | 'array-table' | 'keyval';
  /** Header key path, or the key path of a key/value pair (relative to its table). */
  key: string[];
  /** From the start of the line to just past its line break (or the end of the text). */
  start: number;
  end: number;
}

/** The headers and key/value pairs of a TOML document, in order. Blank and comment lines are not statements. */
export function tomlStatements(text: string): TomlStatement[] {
  const out: TomlStatement[] = [];
  let i = 0;
  while (i < text.length) {
    const lineStart = i;
    i = skipBlank(text, i);
    const c = text[i];
    if (c === undefined) break;
    if (c === '\n' || c === '\r' || c === '#') {
      i = endOfLine(text, i);
      continue;
    }
    if (c === '[') {
      const array = text[i + 1] === '[';
      i += array ? 2 : 1;
      const { key, end } = readKey(text, i);
      i = skipBlank(text, end);
      i += array ? 2 : 1; // ']' or ']]'
      i = endOfLine(text, i);
      out.push({ kind: array ? 'array-table' : 'table', key, start: lineStart, end: i });
      continue;
    }
    const { key, end } = readKey(text, i);
    i = skipBlank(text, end);
    i = skipBlank(text, i + 1); // '='
    i = endOfValue(text, i);
    i = endOfLine(text, i);
    out.push({ kind: 'keyval', key, start: lineStart, end: i });
  }
  return out;
}

/** Past the rest of the line: blanks, a comment, the line break. */
function endOfLine(text: string, i: number): number {
  while (i < text.length && text[i] !== '\n') i++;
  return i < text.length ? i + 1 : i;
}

function skipBlank(text: string, i: number): number {
  while (text[i] === ' ' || text[i] === '\t') i++;
  return i;
}

/** Blanks, line breaks and comments, as allowed between the items of an array. */
function skipSpace(text: string, i: number): number {
  for (;;) {
    const c = text[i];
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') i++;
    else if (c === '#') while (i < text.length && text[i] !== '\n') i++;
    else return i;
  }
}

function readKey(text: string, i: number): { key: string[]; end: number } {
  const key: string[] = [];
  for (;;) {
    i = skipBlank(text, i);
    const c = text[i];
    if (c === '"') {
      const end = skipJsonString(text, i);
      key.push(JSON.parse(basicToJson(text.slice(i, end))) as string);
      i = end;
    } else if (c === "'") {
      const end = text.indexOf("'", i + 1) + 1;
      key.push(text.slice(i + 1, end - 1));
      i = end;
    } else {
      const start = i;
      while (i < text.length && /[A-Za-z0-9_-]/.test(text[i] as string)) i++;
      key.push(text.slice(start, i));
    }
    i = skipBlank(text, i);
    if (text[i] !== '.') return { key, end: i };
    i++;
  }
}

/** A TOML basic string's escapes are JSON's plus `\e`, `\xHH` and `\UXXXXXXXX`. */
function basicToJson(literal: string): string {
  return literal.replace(/\\(U[0-9A-Fa-f]{8}|x[0-9A-Fa-f]{2}|e|.)/g, (match, escape: string) => {
    if (escape.startsWith('U')) return JSON.stringify(String.fromCodePoint(parseInt(escape.slice(1), 16))).slice(1, -1);
    if (escape.startsWith('x')) return `\\u00${escape.slice(1)}`;
    if (escape === 'e') return '\\u001b';
    return match;
  });
}

function endOfValue(text: string, i: number): number {
  const c = text[i];
  if (text.startsWith('"""', i) || text.startsWith("'''", i)) {
    const quote = text.slice(i, i + 3);
    let j = i + 3;
    for (;;) {
      if (quote === '"""' && text[j] === '\\') {
        j += 2;
        continue;
      }
      if (j >= text.length) return text.length;
      if (text.startsWith(quote, j)) {
        // Up to two quotes may end the content just before the closing delimiter.
        let end = j + 3;
        while (end < j + 5 && text[end] === quote[0]) end++;
        return end;
      }
      j++;
    }
  }
  if (c === '"') return skipJsonString(text, i);
  if (c === "'") return text.indexOf("'", i + 1) + 1;
  if (c === '[') {
    let j = i + 1;
    for (;;) {
      j = skipSpace(text, j);
      if (text[j] === ']' || j >= text.length) return j + 1;
      if (text[j] === ',') {
        j++;
        continue;
      }
      j = endOfValue(text, j);
    }
  }
  if (c === '{') {
    let j = i + 1;
    for (;;) {
      j = skipSpace(text, j);
      if (text[j] === '}' || j >= text.length) return j + 1;
      if (text[j] === ',') {
        j++;
        continue;
      }
      const { end } = readKey(text, j);
      j = skipSpace(text, end);
      j = skipSpace(text, j + 1); // '='
      j = endOfValue(text, j);
    }
  }
  while (i < text.length && !/[\s,\]}#]/.test(text[i] as string)) i++;
  return i;
}

/** A string as a TOML basic string: JSON's escapes are all valid TOML escapes. */
export function tomlString(value: string): string {
  // JSON.stringify's escapes are TOML's, but it leaves DEL as it is, which TOML does not allow raw.
  return JSON.stringify(value).replaceAll('\x7f', '\\u007F');
}
