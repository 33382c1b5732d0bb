/**
 * Character rules: hidden and invisible code points (Unicode tags, variation selectors, zero-width,
 * bidi controls, format and private-use characters), terminal controls and long whitespace runs.
 */
import { BLANK_LOOKING, codePointLabel, decodeTags, decodeVariationSelectors, variationSelectorBytes } from '../sanitize.js';
import { madeOnce } from '../made-once.js';
import type { Hit, RuleId, Severity } from './rules.js';
import type { Role } from './sites.js';

const TAG_RUN = /[\u{E0000}-\u{E007F}]+/gu;
// An emoji tag sequence (🏴 + lower-case letters/digits + CANCEL TAG) is a flag, not hidden text.
const FLAG_TAGS = /^[\u{E0030}-\u{E0039}\u{E0061}-\u{E007A}]{2,6}\u{E007F}$/u;
const VS_RUN = /[\u{FE00}-\u{FE0F}\u{E0100}-\u{E01EF}]+/gu;
// Those with classes of Unicode properties are made at their first use (made-once.ts).
const EMOJI_OR_SYMBOL = madeOnce(() => /[\p{Emoji}\p{Extended_Pictographic}\p{S}\p{Script=Han}]/u);
const ZERO_WIDTH = /\u200B|\u200C|\u200D|[\u2060-\u2064]|\uFEFF|\u180E/gu;
const JOINER_CONTEXT_LETTER = madeOnce(() => /[\p{L}\p{M}]/u);
const EMOJI_JOIN_BEFORE = madeOnce(() => /[\p{Extended_Pictographic}\p{Emoji_Modifier}\uFE0F]/u);
const BIDI_STRONG = /[\u202A-\u202E\u2066-\u2069]/gu;
const BIDI_MARK = /[\u200E\u200F\u061C]/gu;
const RTL_LETTER = madeOnce(() => /[\p{Script=Hebrew}\p{Script=Arabic}\p{Script=Syriac}\p{Script=Thaana}\p{Script=Nko}\p{Script=Adlam}]/u);
/** Code points the tag, variation-selector, zero-width and bidi rules report; the generic rules skip them. */
function isHandledElsewhere(ch: string): boolean {
  const cp = ch.codePointAt(0)!;
  return (
    (cp >= 0xe0000 && cp <= 0xe007f) ||
    (cp >= 0xfe00 && cp <= 0xfe0f) ||
    (cp >= 0xe0100 && cp <= 0xe01ef) ||
    (cp >= 0x200b && cp <= 0x200f) ||
    (cp >= 0x2060 && cp <= 0x2064) ||
    (cp >= 0x202a && cp <= 0x202e) ||
    (cp >= 0x2066 && cp <= 0x2069) ||
    cp === 0xfeff ||
    cp === 0x180e ||
    cp === 0x061c
  );
}
const FORMAT_LIKE = madeOnce(() => /[\p{Cf}\p{Default_Ignorable_Code_Point}\p{Zl}\p{Zp}]/gu);
const PRIVATE_OR_UNASSIGNED = madeOnce(() => /[\p{Co}\p{Cn}]/gu);
const DEFAULT_IGNORABLE = madeOnce(() => /\p{Default_Ignorable_Code_Point}/u);
// C0 and C1 controls and DEL, except a newline, a tab, and a CR that ends a CRLF line.
const TERMINAL_CONTROL = madeOnce(() => /(?![\n\t])(?!\r\n)\p{Cc}/gu);
const HORIZONTAL_RUN = madeOnce(() => new RegExp(String.raw`[\t\p{Zs}${BLANK_LOOKING}]{32,}`, 'gu'));
const BLANK_LINES = madeOnce(() => new RegExp(String.raw`\n(?:[\t\p{Zs}${BLANK_LOOKING}]*\n){8,}`, 'gu'));

function codePointAt(text: string, index: number): number {
  return text.codePointAt(index)!;
}

function charBefore(text: string, index: number): string {
  if (index === 0) return '';
  const low = text.charCodeAt(index - 1);
  if (low >= 0xdc00 && low <= 0xdfff && index >= 2) {
    const high = text.charCodeAt(index - 2);
    if (high >= 0xd800 && high <= 0xdbff) return text.slice(index - 2, index);
  }
  return text.slice(index - 1, index);
}

function charAfter(text: string, index: number): string {
  const cp = text.codePointAt(index);
  return cp === undefined ? '' : String.fromCodePoint(cp);
}

function labels(chars: Iterable<string>): string {
  return [...new Set([...chars].map((c) => codePointLabel(c.codePointAt(0)!)))].join(' ');
}

/** One hit per occurrence (so the locked text's occurrences can be subtracted), sharing one args object. */
function characterRuleHits(out: Hit[], rule: RuleId, severity: Severity, chars: readonly string[]): void {
  if (chars.length === 0) return;
  const args = { codepoints: labels(chars), count: chars.length };
  for (const c of chars) out.push({ rule, severity, identity: codePointLabel(c.codePointAt(0)!), args });
}

function identifierSeverity(role: Role, inText: Severity): Severity {
  // Invisible characters in names or schema keys deserve an extra confirmation.
  return role === 'text' ? inText : 'high';
}

/**
 * Printable ASCII and newlines: none of the hidden, format, private-use or control rules can match
 * such a text, only the whitespace-run rules. Most server text is this, and testing it is one
 * native scan instead of a dozen Unicode-property ones.
 */
const PLAIN_ASCII = /^[\x20-\x7e\n]*$/;

export function characterHits(text: string, role: Role): Hit[] {
  const hits: Hit[] = [];
  if (PLAIN_ASCII.test(text)) {
    whitespaceRunHits(text, hits);
    return hits;
  }

  for (const m of text.matchAll(TAG_RUN)) {
    if (charBefore(text, m.index) === '\u{1F3F4}' && FLAG_TAGS.test(m[0])) continue;
    const decoded = decodeTags(m[0]);
    hits.push({ rule: 'hidden-unicode-tags', severity: 'high', identity: decoded, args: { decoded, count: [...m[0]].length } });
  }

  for (const m of text.matchAll(VS_RUN)) {
    const count = [...m[0]].length;
    if (count === 1) {
      const before = charBefore(text, m.index);
      const cp = codePointAt(m[0], 0);
      // U+FE0E/FE0F pick text or emoji style, U+E0100+ pick an ideograph variant: legitimate
      // after an emoji, a symbol or a Han character.
      if (before !== '' && EMOJI_OR_SYMBOL().test(before)) continue;
      hits.push({ rule: 'variation-selector', severity: identifierSeverity(role, 'medium'), identity: codePointLabel(cp), args: { codepoints: codePointLabel(cp), count } });
      continue;
    }
    const decoded = decodeVariationSelectors(m[0]);
    const bytes = variationSelectorBytes(m[0]).map((b) => b.toString(16).padStart(2, '0')).join(' ');
    const args: Record<string, string | number> = { count, bytes };
    if (decoded !== null) args.decoded = decoded;
    hits.push({ rule: 'variation-selector', severity: 'high', identity: bytes, args });
  }

  const zeroWidth: string[] = [];
  for (const m of text.matchAll(ZERO_WIDTH)) {
    const before = charBefore(text, m.index);
    const after = charAfter(text, m.index + m[0].length);
    if (m[0] === '\u200D' && EMOJI_JOIN_BEFORE().test(before) && /\p{Extended_Pictographic}/u.test(after)) continue; // emoji ZWJ sequence
    if ((m[0] === '\u200C' || m[0] === '\u200D') && role === 'text' && JOINER_CONTEXT_LETTER().test(before) && JOINER_CONTEXT_LETTER().test(after) && !/\p{ASCII}/u.test(before + after)) {
      continue; // ZWNJ/ZWJ between letters of scripts that use them (Persian, Indic)
    }
    zeroWidth.push(m[0]);
  }
  characterRuleHits(hits, 'zero-width', identifierSeverity(role, 'medium'), zeroWidth);

  const strong = [...text.matchAll(BIDI_STRONG)].map((m) => m[0]);
  characterRuleHits(hits, 'bidi-control', 'high', strong);
  // LRM/RLM/ALM are ordinary in right-to-left prose; elsewhere they only change how text is shown.
  if (role !== 'text' || !RTL_LETTER().test(text)) {
    const marks = [...text.matchAll(BIDI_MARK)].map((m) => m[0]);
    characterRuleHits(hits, 'bidi-control', identifierSeverity(role, 'medium'), marks);
  }

  const format = [...text.matchAll(FORMAT_LIKE())].map((m) => m[0]).filter((c) => !isHandledElsewhere(c));
  characterRuleHits(hits, 'format-character', identifierSeverity(role, 'medium'), format);

  // Unassigned default-ignorables (most of U+E0000–E0FFF) render as nothing: format-character above.
  const odd = [...text.matchAll(PRIVATE_OR_UNASSIGNED())].map((m) => m[0]).filter((c) => !isHandledElsewhere(c) && !DEFAULT_IGNORABLE().test(c));
  characterRuleHits(hits, 'private-use-or-unassigned', role === 'text' ? 'low' : 'medium', odd);

  const controls = [...text.matchAll(TERMINAL_CONTROL())].map((m) => m[0]);
  characterRuleHits(hits, 'terminal-control', 'high', controls);

  whitespaceRunHits(text, hits);
  return hits;
}

/**
 * JSON text in which every string appears as it is: printable ASCII without a backslash, so no
 * string in it holds an escape (a control, a tab, a newline, a quote, a lone surrogate) or any
 * character outside ASCII. What each rule family finds in such strings it can rule out on the
 * whole text at once (quietCharacters, quietText, quietKeys): a first lock of a big server is
 * mostly definitions like that.
 */
export const VERBATIM_JSON = /^[\x20-\x5b\x5d-\x7e]*$/;

const LONG_SPACE_RUN = ' '.repeat(32);

/**
 * For VERBATIM_JSON text: no string in it can hold a character rule's hit. Its strings are
 * PLAIN_ASCII without a tab or newline, so only a run of 32 spaces is left to find, and it would
 * show in the text as it is (JSON.stringify writes no spaces of its own).
 */
export function quietCharacters(json: string): boolean {
  return !json.includes(LONG_SPACE_RUN);
}

function whitespaceRunHits(text: string, hits: Hit[]): void {
  // A run needs 32 code points (so at least 32 code units), blank lines a newline: most strings
  // are ruled out without a scan.
  if (text.length >= 32) for (const m of text.matchAll(HORIZONTAL_RUN())) {
    const length = [...m[0]].length;
    hits.push({ rule: 'long-whitespace-run', severity: 'medium', identity: `h${length}`, args: { length, kind: 'whitespace' } });
  }
  if (text.includes('\n')) for (const m of text.matchAll(BLANK_LINES())) {
    const length = m[0].split('\n').length - 2;
    hits.push({ rule: 'long-whitespace-run', severity: 'medium', identity: `v${length}`, args: { length, kind: 'blank lines' } });
  }
}
