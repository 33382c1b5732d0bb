/**
 * The text of an `envFile` read as VS Code reads it (Cursor is VS Code's code): not as dotenv does.
 * The two disagree on files a pull request can write (a double-quoted value over several lines,
 * `NAME:value`), and what a host gives the server must be what mcpm gives it: the rules here are
 * VS Code's, one line at a time.
 *
 * - Line breaks are `\n`, `\r\n` or `\r`. Each line is trimmed; a blank one, or one starting with
 *   `#`, says nothing.
 * - `export ` before the name is dropped.
 * - The name ends at the first `=` or `:` outside quotes (`"`, `'` or a backquote, each closed by
 *   the same character not preceded by a backslash); a line without one says nothing. Name and
 *   value are trimmed, and a line with an empty name says nothing.
 * - The value ends at the first `#` outside quotes (then trimmed again). A value of two or more
 *   characters between one pair of the same quote loses them; between double quotes, `\n` and `\r`
 *   then stand for a line feed and a carriage return.
 * - A name given twice takes its last value.
 */
export function parseEnvFileText(text: string): Map<string, string> {
  const variables = new Map<string, string>();
  for (const raw of text.replace(/\r\n?/g, '\n').split('\n')) {
    let line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    if (line.startsWith('export ')) line = line.slice('export '.length).trim();
    const separator = indexOutsideQuotes(line, (c) => c === '=' || c === ':');
    if (separator === -1) continue;
    const name = line.slice(0, separator).trim();
    let value = line.slice(separator + 1).trim();
    const comment = indexOutsideQuotes(value, (c) => c === '#');
    if (comment !== -1) value = value.slice(0, comment).trim();
    const quote = value[0];
    if (value.length >= 2 && (quote === '"' || quote === "'" || quote === '`') && value[value.length - 1] === quote) {
      value = value.slice(1, -1);
      if (quote === '"') value = value.replace(/\\n/g, '\n').replace(/\\r/g, '\r');
    }
    if (name !== '') variables.set(name, value);
  }
  return variables;
}

/** The index of the first character `wanted` accepts outside quotes, or -1. */
function indexOutsideQuotes(text: string, wanted: (c: string) => boolean): number {
  let quote: string | undefined;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quote !== undefined) {
      if (c === quote && text[i - 1] !== '\\') quote = undefined;
    } else if (c === '"' || c === "'" || c === '`') {
      quote = c;
    } else if (wanted(c)) {
      return i;
    }
  }
  return -1;
}
