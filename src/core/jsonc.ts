/**
 * JSONC (JSON with comments, as VS Code writes `.vscode/mcp.json`) reduced to plain JSON for the
 * strict parser. Comments and trailing commas are replaced by spaces, never removed, so the result
 * has the same length and the same line breaks: a strict-parser error still points at the right
 * line and column of the file the user edits.
 *
 * Only what VS Code's own parser accepts beyond JSON is removed: `//` line comments, `/* *\/` block
 * comments and a comma before `]` or `}`. Everything inside strings is kept as it is (a URL holds
 * `//`), and an unterminated block comment is left in place so that the strict parser reports it.
 */
export function stripJsonComments(text: string): string {
  return blankTrailingCommas(blankComments(text));
}

function blankComments(text: string): string {
  const out: string[] = [];
  let i = 0;
  let start = 0;
  while (i < text.length) {
    const c = text[i];
    if (c === '"') {
      i = skipJsonString(text, i);
    } else if (c === '/' && text[i + 1] === '/') {
      let end = i + 2;
      while (end < text.length && text[end] !== '\n' && text[end] !== '\r') end++;
      out.push(text.slice(start, i), ' '.repeat(end - i));
      i = start = end;
    } else if (c === '/' && text[i + 1] === '*') {
      const close = text.indexOf('*/', i + 2);
      if (close === -1) break;
      out.push(text.slice(start, i), keepLineBreaks(text.slice(i, close + 2)));
      i = start = close + 2;
    } else if (c === '\uFEFF' && i === 0) {
      // A byte order mark: VS Code skips it; the strict parser would not.
      out.push(' ');
      i = start = 1;
    } else {
      i++;
    }
  }
  out.push(text.slice(start));
  return out.join('');
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

function blankTrailingCommas(text: string): string {
  const chars: string[] = [];
  let i = 0;
  let start = 0;
  while (i < text.length) {
    const c = text[i];
    if (c === '"') {
      i = skipJsonString(text, i);
    } else if (c === ',') {
      let next = i + 1;
      while (next < text.length && isJsonWhitespace(text[next])) next++;
      if (text[next] === ']' || text[next] === '}') {
        chars.push(text.slice(start, i), ' ');
        start = i + 1;
      }
      i++;
    } else {
      i++;
    }
  }
  chars.push(text.slice(start));
  return chars.join('');
}

function isJsonWhitespace(c: string | undefined): boolean {
  return c === ' ' || c === '\t' || c === '\n' || c === '\r';
}
