import { lineAndColumn, StrictJsonError } from './json-strict.js';

/**
 * JSONC (JSON with comments, as VS Code writes `.vscode/mcp.json`) reduced to plain JSON for the
 * strict parser. Comments and trailing commas are replaced by spaces, never removed, so the result
 * has the same length and the same line breaks: a strict-parser error still points at the right
 * line and column of the file the user edits.
 *
 * Only what VS Code's own parser accepts beyond JSON is removed: `//` line comments, `/* *\/` block
 * comments and a comma before `]` or `}`. Everything inside strings is kept as it is (a URL holds
 * `//`), and an unterminated block comment is left in place so that the strict parser reports it.
 * Text that VS Code and mcpm would read differently is refused (StrictJsonError), as the strict
 * parser refuses duplicate keys (VS Code keeps the last): a line separator inside a `//` comment.
 */
export function stripJsonComments(text: string): string {
  return blankOutsideStrings(blankOutsideStrings(text, commentAt), trailingCommaAt);
}

/**
 * `text` with spans outside JSON strings blanked, keeping its length and line breaks. `spanAt`
 * looks at index `i` outside a string and returns where a span to blank ends, undefined to move
 * on, or null to leave the rest as it is. Comments and trailing commas take one pass each: a
 * comma is trailing only once the comments after it are gone (`[1, /* c *\/ ]`).
 */
function blankOutsideStrings(text: string, spanAt: (text: string, i: number) => number | undefined | null): string {
  const out: string[] = [];
  let i = 0;
  let start = 0;
  while (i < text.length) {
    if (text[i] === '"') {
      i = skipJsonString(text, i);
      continue;
    }
    const end = spanAt(text, i);
    if (end === null) break;
    if (end === undefined) {
      i++;
      continue;
    }
    out.push(text.slice(start, i), keepLineBreaks(text.slice(i, end)));
    i = start = end;
  }
  out.push(text.slice(start));
  return out.join('');
}

function commentAt(text: string, i: number): number | undefined | null {
  if (text.startsWith('//', i)) {
    let end = i + 2;
    while (end < text.length && text[end] !== '\n' && text[end] !== '\r') {
      // VS Code's own JSON scanner ends a line comment here too (jsonc-parser 3 does not): what
      // follows would be configuration to VS Code and a comment to mcpm, so neither reading is taken.
      if (text[end] === '\u2028' || text[end] === '\u2029') {
        const { line, column } = lineAndColumn(text, end);
        const reason = `a // comment holds ${text[end] === '\u2028' ? 'U+2028' : 'U+2029'}, where VS Code ends the comment and other readers do not`;
        throw new StrictJsonError(`${reason} at line ${line}, column ${column}`, end, line, column, reason);
      }
      end++;
    }
    return end;
  }
  if (text.startsWith('/*', i)) {
    const close = text.indexOf('*/', i + 2);
    return close === -1 ? null : close + 2;
  }
  // A byte order mark: VS Code skips it; the strict parser would not.
  if (i === 0 && text[0] === '\uFEFF') return 1;
  return undefined;
}

/**
 * Index just past the JSON string that opens at `open` (or the end of the text if it never
 * closes): the first `"` that no backslash escapes. Shared by every scanner of JSON text, so that
 * none of them can disagree about where a string ends.
 */
export function skipJsonString(text: string, open: number): number {
  let i = open + 1;
  while (i < text.length) {
    const c = text[i];
    if (c === '\\') i += 2;
    else if (c === '"') return i + 1;
    else i++;
  }
  return text.length;
}

function keepLineBreaks(comment: string): string {
  return comment.replace(/[^\r\n]/g, ' ');
}

function trailingCommaAt(text: string, i: number): number | undefined {
  if (text[i] !== ',') return undefined;
  const next = skipJsonWhitespace(text, i + 1);
  return text[next] === ']' || text[next] === '}' ? i + 1 : undefined;
}

/** Index of the first character at or after `i` that is not JSON whitespace (space, tab, LF, CR). */
export function skipJsonWhitespace(text: string, i: number): number {
  while (i < text.length && (text[i] === ' ' || text[i] === '\t' || text[i] === '\n' || text[i] === '\r')) i++;
  return i;
}
