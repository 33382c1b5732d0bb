/** A string that is safe to write to a terminal: the only kind `render/` and `tui/` accept for server text. */
export type SafeText = string & { readonly __brand: 'SafeText' };

export interface SanitizeOptions {
  /** Names, keys and identifiers: every non-ASCII code point is shown escaped too. */
  identifier?: boolean;
}

/*
 * What sanitize() shows instead of the raw text. Markers use the
 * brackets ⟨ ⟩ (U+27E8, U+27E9); those two characters are themselves always escaped when a server
 * sends them, so a server cannot forge a marker, and a marker always means "mcpm wrote this".
 *
 * Multi-line text (descriptions, instructions):
 *   ESC, CR, TAB, BS, BEL, VT, FF, NUL, DEL  ⟨ESC⟩ ⟨CR⟩ ⟨TAB⟩ ⟨BS⟩ ⟨BEL⟩ ⟨VT⟩ ⟨FF⟩ ⟨NUL⟩ ⟨DEL⟩
 *       Tabs are shown too: a terminal expands them to a width mcpm cannot measure, so they can
 *       misalign columns or move text; CR of a CRLF pair is shown as well (⟨CR⟩ before the newline).
 *   other C0, C1 (U+0080–U+009F)            ⟨U+0001⟩ ⟨U+009B⟩
 *   format characters (Cf: bidi controls, zero-width, BOM, soft hyphen…), private use (Co),
 *   unassigned and noncharacters (Cn), lone surrogates (Cs), U+2028/U+2029, other
 *   default-ignorable code points (U+034F, U+115F, U+3164…)            ⟨U+202E⟩ ⟨U+D800⟩
 *   a run of tag characters U+E0000–E007F    ⟨hidden tags: "Read ~/.ssh/id_rsa"⟩ (decoded ASCII;
 *       tag code points without an ASCII twin are written \u{E007F} inside the quotes)
 *   one variation selector                   ⟨U+FE0F⟩
 *   a run of 2+ variation selectors          ⟨3 variation selectors: "hi!"⟩ when the bytes they
 *       encode (U+FE00–FE0F = 0–15, U+E0100–E01EF = 16–255) are printable UTF-8, else
 *       ⟨3 variation selectors: bytes 00 ff 10⟩
 *   more than 8 whitespace characters in a row (spaces, tabs, other Zs)
 *                                            ⟨412 spaces⟩ ⟨12 tabs⟩ ⟨9 × U+3000⟩ or, mixed,
 *                                            ⟨20 whitespace: 10 spaces, 10 × U+00A0⟩
 *   more than 2 blank lines in a row         ⟨5 blank lines⟩ on a line of its own
 *       (lines holding only spaces or tabs count as blank and say so: ⟨5 blank lines with whitespace⟩)
 *   a combining mark with nothing to combine with (start of text, after a newline, whitespace or
 *       an escaped character), or a run of more than 8 marks (stacking "Zalgo" text)   ⟨U+0301⟩
 *   ⟨ and ⟩ themselves                       ⟨U+27E8⟩ ⟨U+27E9⟩
 *   Newlines are kept; everything else (letters, wide CJK and emoji, marks on a base) is kept.
 *
 * Identifiers (names, keys, JSON pointers): the same run markers (tags, variation selectors,
 * whitespace runs), and then every code point outside printable ASCII, including the space, as
 * \u{…} (`send_ema\u{456}l`), a newline as ⏎, and a backslash doubled so `\u{…}` cannot be forged.
 *
 * Nothing is dropped and nothing is truncated: every escaped code point is named or counted. The
 * result contains no C0/C1/DEL (except \n in multi-line text), no Cf/Co/Cn/Cs code point, no
 * variation selector, tag character, or line/paragraph separator, and in identifier mode nothing
 * but printable ASCII and mcpm's own ⟨ ⟩ ⏎ × characters.
 *
 * sanitize() is not idempotent and cannot be: it does not know mcpm's markers from a server's text,
 * so sanitising its own output escapes the brackets again (still safe, just noisier). The SafeText
 * brand is what prevents double escaping: render/ and tui/ take SafeText and never sanitise it again.
 *
 * For the TUI's width measuring: the output may still contain wide characters (CJK, emoji: two
 * columns) and combining marks that follow a visible base character (zero columns); everything
 * invisible or width-ambiguous at the control level has been replaced by ASCII or ⟨ ⟩ markers.
 */

const OPEN = '⟨';
const CLOSE = '⟩';
/** Whitespace in a row shown as it is; a longer run is counted (`⟨412 spaces⟩`). */
export const WHITESPACE_RUN_LIMIT = 8;
const BLANK_LINE_LIMIT = 2;
const COMBINING_RUN_LIMIT = 8;

const C0_NAMES: Readonly<Record<number, string>> = {
  0x00: 'NUL',
  0x07: 'BEL',
  0x08: 'BS',
  0x09: 'TAB',
  0x0a: 'LF',
  0x0b: 'VT',
  0x0c: 'FF',
  0x0d: 'CR',
  0x1b: 'ESC',
  0x7f: 'DEL',
};

/** The first tag character, U+E0000: tag U+E0041 stands for ASCII 0x41. */
const TAG_FIRST = 0xe0000;

/** `U+00AD`: at least four upper-case hex digits, the Unicode convention. */
export function codePointLabel(cp: number): string {
  return `U+${cp.toString(16).toUpperCase().padStart(4, '0')}`;
}

/** The ASCII text a run of tag characters spells; tags without an ASCII twin become `\u{E007F}`. */
export function decodeTags(run: string): string {
  return spellTags(run, (ascii) => ascii);
}

/** decodeTags, with each decoded ASCII character written by `ascii` (to escape it for quoting). */
function spellTags(run: string, ascii: (c: string) => string): string {
  let out = '';
  for (const ch of run) {
    const cp = ch.codePointAt(0)!;
    out += cp >= 0xe0020 && cp <= 0xe007e ? ascii(String.fromCharCode(cp - TAG_FIRST)) : `\\u{${cp.toString(16).toUpperCase()}}`;
  }
  return out;
}

/** Paul Butler's encoding: one byte per selector, U+FE00–FE0F = 0–15, U+E0100–E01EF = 16–255. */
export function variationSelectorBytes(run: string): number[] {
  const bytes: number[] = [];
  for (const ch of run) {
    const cp = ch.codePointAt(0)!;
    bytes.push(cp <= 0xfe0f ? cp - 0xfe00 : cp - 0xe0100 + 16);
  }
  return bytes;
}

/** The text hidden in a run of variation selectors when their bytes are valid UTF-8, else null. */
export function decodeVariationSelectors(run: string): string | null {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(new Uint8Array(variationSelectorBytes(run)));
  } catch {
    return null;
  }
}

/**
 * Characters that are not whitespace to Unicode but print as a blank cell: a run of them hides the
 * text after it below the fold as well as spaces do, so runs are collapsed and counted alike.
 * U+2800 is the braille pattern with no dots.
 */
export const BLANK_LOOKING = String.raw`\u2800`;

// Code points that are invisible, reorder or control the display, or are not characters at all.
// Default_Ignorable_Code_Point adds the Hangul fillers, U+034F and the like, which render as nothing.
// For a `u` character class; shell-word.ts quotes a word that holds one, as sanitize escapes it.
export const INVISIBLE_CLASS = String.raw`\p{Cc}\p{Cf}\p{Co}\p{Cn}\p{Cs}\p{Zl}\p{Zp}\p{Default_Ignorable_Code_Point}`;

/** The marker brackets ⟨ ⟩, for a `u` character class: escaped whenever a server sends them. */
export const MARKER_BRACKETS = String.raw`\u{27E8}\u{27E9}`;

// Built on first use: Unicode property classes take milliseconds to compile, and most runs of
// `mcpm run` (started by hosts at every session) never escape anything.
let patterns: { invisible: RegExp; text: RegExp; identifier: RegExp } | undefined;
function compiled(): NonNullable<typeof patterns> {
  patterns ??= {
    invisible: new RegExp(`(?![\\n\\t])[${INVISIBLE_CLASS}]`, 'gu'),
    text: buildTextPattern(),
    identifier: buildIdentifierPattern(),
  };
  return patterns;
}

function buildTextPattern(): RegExp {
  // ⟨ and ⟩ as escapes: String.raw keeps what is written, and the bundles mcpm run and verify
  // --offline load are kept ASCII (rolldown.config.mjs).
  return new RegExp(
    [
      String.raw`(?<tags>[\u{E0000}-\u{E007F}]+)`,
      String.raw`(?<vs>[\u{FE00}-\u{FE0F}\u{E0100}-\u{E01EF}]+)`,
      // (start or newline) then 3+ lines holding nothing but horizontal whitespace
      String.raw`(?<blank>(?:^|(?<blankAfterLine>\n))(?:[\t\p{Zs}${BLANK_LOOKING}]*\n){${BLANK_LINE_LIMIT + 1},})`,
      String.raw`(?<ws>[\t\p{Zs}${BLANK_LOOKING}]{${WHITESPACE_RUN_LIMIT + 1},})`,
      // combining marks with no visible base before them, or too many stacked on one
      String.raw`(?<marks>(?<=^|[\s\p{C}\p{Z}\p{Default_Ignorable_Code_Point}${MARKER_BRACKETS}])\p{M}+|\p{M}{${COMBINING_RUN_LIMIT + 1},})`,
      String.raw`(?<one>(?!\n)[${INVISIBLE_CLASS}${MARKER_BRACKETS}])`,
    ]
      .join('|')
      // A cheap first-character test so ordinary letters are skipped at once (about 3× faster on long text).
      .replace(/^/, String.raw`(?=[\s\p{M}${INVISIBLE_CLASS}${BLANK_LOOKING}${MARKER_BRACKETS}])(?:`)
      .concat(')'),
    'gu',
  );
}

function buildIdentifierPattern(): RegExp {
  return new RegExp(
    [
      String.raw`(?<tags>[\u{E0000}-\u{E007F}]+)`,
      String.raw`(?<vs>[\u{FE00}-\u{FE0F}\u{E0100}-\u{E01EF}]{2,})`,
      String.raw`(?<ws>[\s${BLANK_LOOKING}]{${WHITESPACE_RUN_LIMIT + 1},})`,
      String.raw`(?<one>[^\x21-\x5B\x5D-\x7E])`,
    ].join('|'),
    'gu',
  );
}

function marker(body: string): string {
  return `${OPEN}${body}${CLOSE}`;
}

/** Quotes text that is already escaped in identifier form (backslashes doubled). */
function quoteEscaped(text: string): string {
  return `"${text.replace(/"/g, '\\"')}"`;
}

/**
 * A name, key or identifier in identifier form and double quotes: identifier form has doubled its
 * backslashes, so `\"` is unambiguous, and two names that differ by one look-alike letter never print alike.
 */
export function quotedIdentifier(text: string): SafeText {
  return trusted(quoteEscaped(sanitize(text, { identifier: true })));
}

function escapeOne(cp: number): string {
  if (cp === OPEN.codePointAt(0) || cp === CLOSE.codePointAt(0)) return marker(codePointLabel(cp));
  const name = C0_NAMES[cp];
  return marker(name ?? codePointLabel(cp));
}

function describeTagRun(run: string): string {
  const body = spellTags(run, (ascii) => (ascii === '\\' || ascii === '"' ? `\\${ascii}` : ascii));
  return marker(`hidden tags: "${body}"`);
}

function describeVariationSelectorRun(run: string): string {
  const count = [...run].length;
  const decoded = decodeVariationSelectors(run);
  if (decoded !== null) {
    // The hidden text is server text too: shown in identifier form, so it stays on one line.
    return marker(`${count} variation selectors: ${quoteEscaped(sanitize(decoded, { identifier: true }))}`);
  }
  const hex = variationSelectorBytes(run).map((b) => b.toString(16).padStart(2, '0'));
  return marker(`${count} variation selectors: bytes ${hex.join(' ')}`);
}

const WHITESPACE_NAMES: Readonly<Record<string, [string, string]>> = {
  ' ': ['space', 'spaces'],
  '\t': ['tab', 'tabs'],
  '\n': ['newline', 'newlines'],
};

function countLabel(ch: string, n: number): string {
  const names = WHITESPACE_NAMES[ch];
  if (names) return `${n} ${n === 1 ? names[0] : names[1]}`;
  return `${n} × ${codePointLabel(ch.codePointAt(0)!)}`;
}

function describeWhitespaceRun(run: string): string {
  const counts = new Map<string, number>();
  for (const ch of run) counts.set(ch, (counts.get(ch) ?? 0) + 1);
  const total = [...run].length;
  if (counts.size === 1) return marker(countLabel([...counts.keys()][0]!, total));
  const parts = [...counts].map(([ch, n]) => countLabel(ch, n));
  return marker(`${total} whitespace: ${parts.join(', ')}`);
}

function describeBlankLines(match: string, afterLine: boolean): string {
  const body = afterLine ? match.slice(1) : match;
  const lines = body.split('\n').length - 1;
  const withWhitespace = /[^\n]/u.test(body);
  const text = marker(`${lines} blank lines${withWhitespace ? ' with whitespace' : ''}`);
  return `${afterLine ? '\n' : ''}${text}\n`;
}

function escapeEach(run: string, one: (cp: number) => string): string {
  let out = '';
  for (const ch of run) out += one(ch.codePointAt(0)!);
  return out;
}

function escapeIdentifierOne(ch: string): string {
  if (ch === '\\') return '\\\\';
  if (ch === '\n') return '⏎';
  return `\\u{${ch.codePointAt(0)!.toString(16).toUpperCase()}}`;
}

/**
 * The one escaper for server-provided text. Nothing is dropped: C0/C1 controls, DEL, bidi controls,
 * zero-width and other format characters, variation selectors and tag characters become visible
 * markers such as `⟨U+200B⟩` (runs of tag characters are decoded: `⟨hidden tags: "Read ~/.ssh"⟩`);
 * whitespace runs longer than a few characters are collapsed with a count (`⟨412 spaces⟩`);
 * newlines are kept in multi-line text and shown as `⏎` in identifiers. The full table of markers
 * is in the comment above.
 */
export function sanitize(text: string, options?: SanitizeOptions): SafeText {
  if (options?.identifier) {
    return text.replace(compiled().identifier, (match: string, ...rest: unknown[]) => {
      const groups = rest[rest.length - 1] as Record<string, string | undefined>;
      if (groups.tags !== undefined) return describeTagRun(match);
      if (groups.vs !== undefined) return describeVariationSelectorRun(match);
      if (groups.ws !== undefined) return describeWhitespaceRun(match);
      return escapeIdentifierOne(match);
    }) as SafeText;
  }
  return text.replace(compiled().text, (match: string, ...rest: unknown[]) => {
    const groups = rest[rest.length - 1] as Record<string, string | undefined>;
    if (groups.tags !== undefined) return describeTagRun(match);
    if (groups.vs !== undefined) {
      return [...match].length === 1 ? escapeOne(match.codePointAt(0)!) : describeVariationSelectorRun(match);
    }
    if (groups.blank !== undefined) return describeBlankLines(match, groups.blankAfterLine !== undefined);
    if (groups.ws !== undefined) return describeWhitespaceRun(match);
    if (groups.marks !== undefined) return escapeEach(match, escapeOne);
    return escapeOne(match.codePointAt(0)!);
  }) as SafeText;
}

/**
 * sanitize() for text printed as one line (an error, a warning, a hint): a newline it holds, from a
 * path or a name it quotes, is shown as `⏎`, as in identifiers, so what follows cannot print as a
 * line of its own that reads as mcpm's (`mcpm: all servers verified`).
 */
export function sanitizeLine(text: string): SafeText {
  return oneLine(sanitize(text));
}

/** Text sanitize has made (a note, a finding), on one line: each newline shown as `⏎`. */
export function oneLine(safe: SafeText): SafeText {
  return (safe.includes('\n') ? safe.replaceAll('\n', '⏎') : safe) as SafeText;
}

/** sanitize(), then split into lines (multi-line text only; identifiers have no newlines left). */
export function sanitizeLines(text: string): SafeText[] {
  return sanitize(text).split('\n') as SafeText[];
}

/** For mcpm's own fixed strings that contain no server text. */
export function trusted(text: string): SafeText {
  return text as SafeText;
}

export interface TextLengths {
  /** UTF-8 bytes (a lone surrogate counts 3, like the U+FFFD an encoder writes for it). */
  bytes: number;
  codePoints: number;
  /** Code points a terminal would not show: controls other than \n and \t, Cf, Co, Cn, Cs, separators, default-ignorables. */
  invisible: number;
}

const PLAIN_TEXT = /^[\t\n\x20-\x7e]*$/;

/** Per-field sizes for the diff: padding and invisible characters show as numbers even where the text looks short. */
export function textLengths(text: string): TextLengths {
  // Most descriptions: one byte and one code point per code unit, and nothing a terminal hides.
  if (PLAIN_TEXT.test(text)) return { bytes: text.length, codePoints: text.length, invisible: 0 };
  let bytes = 0;
  let codePoints = 0;
  for (const ch of text) {
    const cp = ch.codePointAt(0)!;
    codePoints += 1;
    bytes += cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
  }
  const invisible = text.match(compiled().invisible)?.length ?? 0;
  return { bytes, codePoints, invisible };
}
