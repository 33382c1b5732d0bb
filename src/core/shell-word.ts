/**
 * A string as one POSIX shell word, for the commands mcpm suggests (`run "mcpm diff NAME"`): server
 * names and paths come from configs and may hold spaces or quotes. Left bare when that is safe.
 * The result still goes through `sanitize` wherever it is printed.
 *
 * Text with control characters is written with ANSI-C quoting (`$'a\nb'`, bash, zsh, ksh and
 * POSIX 2024 sh): one line, whatever the name holds. A newline inside plain quotes would survive
 * `sanitize` (text mode keeps line breaks) and could print a line that looks like mcpm's own.
 */
export function shellWord(text: string): string {
  if (/^[A-Za-z0-9_.@/:=+-]+$/.test(text)) return text;
  // eslint-disable-next-line no-control-regex -- control characters are what this looks for
  if (!/[\x00-\x1f\x7f]/.test(text)) return `'${text.replace(/'/g, `'\\''`)}'`;
  // eslint-disable-next-line no-control-regex -- as above
  return `$'${text.replace(/[\\'\x00-\x1f\x7f]/g, (c) => ANSI_C_ESCAPES[c] ?? `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`)}'`;
}

const ANSI_C_ESCAPES: Readonly<Record<string, string>> = { '\\': '\\\\', "'": "\\'", '\n': '\\n', '\r': '\\r', '\t': '\\t' };
