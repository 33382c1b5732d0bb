import { BLANK_LOOKING, INVISIBLE_CLASS, MARKER_BRACKETS, WHITESPACE_RUN_LIMIT } from './sanitize.js';

/**
 * A string as one POSIX shell word, for the commands mcpm suggests (`run "mcpm diff NAME"`): server
 * names and paths come from configs and may hold spaces or quotes. Left bare when that is safe.
 * The result still goes through `sanitize` wherever it is printed, and sanitize leaves it as it is:
 * a hint pasted into a shell names what it was made for.
 *
 * Text with control characters, or with any character sanitize would show as a marker (`⟨U+2028⟩`,
 * which pasted would be part of the name), is written with ANSI-C quoting (`$'a\nb'`, bash, zsh, ksh
 * and POSIX 2024 sh): one line of printable ASCII, whatever the name holds. Characters past ASCII
 * are written as their UTF-8 bytes (`\xe2\x80\xa8`), which every shell reads the same in any
 * locale (`\u` depends on it). A newline inside plain quotes would survive `sanitize` (text mode
 * keeps line breaks) and could print a line that looks like mcpm's own.
 */
export function shellWord(text: string): string {
  if (BARE.test(text)) return text;
  if (!needsAnsiC(text)) return singleQuoted(text);
  // Spaces as they are, but for a run sanitize would count (`⟨12 spaces⟩`).
  const spaces = text.includes(LONG_SPACE_RUN) ? 0x20 : 0x1f;
  let out = '';
  for (const c of text) {
    const code = c.codePointAt(0)!;
    if (code > spaces && code < 0x7f) out += ANSI_C_ESCAPES[c] ?? c;
    else if (code < 0x80) out += ANSI_C_ESCAPES[c] ?? hexByte(code);
    else for (const byte of Buffer.from(c, 'utf8')) out += hexByte(byte);
  }
  return `$'${out}'`;
}

/**
 * A server name as the last operand of a suggested mcpm command: after `--` when it starts with
 * `-`, which mcpm's own parser reads as an option however it is quoted (a repository's server
 * named `--allowlist=repo.json` would turn `mcpm install NAME` into another allow-list). Options
 * of the command go before it.
 */
export function nameWord(name: string): string {
  return name.startsWith('-') ? `-- ${shellWord(name)}` : shellWord(name);
}

/**
 * A word of text that sanitize has already escaped for display (launch-text.ts): its markers
 * (`⟨12 spaces⟩`, `⏎`, `\u{43E}`) are what is shown, in single quotes like any other word.
 */
export function shownShellWord(escaped: string): string {
  return BARE.test(escaped) ? escaped : singleQuoted(escaped);
}

/** Left bare. A leading `=` is a command lookup to zsh (`=ls` is /bin/ls): quoted. */
const BARE = /^[A-Za-z0-9_.@/:+-][A-Za-z0-9_.@/:=+-]*$/;

function singleQuoted(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}

function hexByte(byte: number): string {
  return `\\x${byte.toString(16).padStart(2, '0')}`;
}

const ANSI_C_ESCAPES: Readonly<Record<string, string>> = { '\\': '\\\\', "'": "\\'", '\n': '\\n', '\r': '\\r', '\t': '\\t' };

/**
 * What sanitize's text mode would change, or more, from sanitize's own classes: controls, format,
 * private-use, unassigned and default-ignorable code points, surrogates, line and paragraph
 * separators (INVISIBLE_CLASS), the braille blank, the marker brackets; and, though sanitize keeps
 * them on a base or alone, combining marks and whitespace other than the space, which pasted read
 * as other characters. Compiled on first use (Unicode property classes take a few hundred
 * microseconds), and only for text past printable ASCII or with a long run of spaces.
 */
const SUSPECT_SOURCE = String.raw`[${INVISIBLE_CLASS}${BLANK_LOOKING}${MARKER_BRACKETS}\p{M}\p{Zs}]`;
let suspect: RegExp | undefined;

/** More spaces in a row than sanitize shows as they are. */
const LONG_SPACE_RUN = ' '.repeat(WHITESPACE_RUN_LIMIT + 1);

function needsAnsiC(text: string): boolean {
  if (text.includes(LONG_SPACE_RUN)) return true;
  if (/^[\x20-\x7e]*$/.test(text)) return false;
  suspect ??= new RegExp(SUSPECT_SOURCE, 'u');
  // The space is the one whitespace sanitize keeps (in runs up to 8, ruled out above).
  return suspect.test(text.replaceAll(' ', ''));
}
