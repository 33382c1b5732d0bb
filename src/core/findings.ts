import { CHANGE_SUBJECTS, compareCodeUnits, escapePointerToken, pointerOf, pointerTokens, valueAt, type ChangeSubject, type ItemChange } from './changes.js';
import { isJsonObject, type JsonValue } from './json-strict.js';
import { decodeTags, decodeVariationSelectors, codePointLabel, variationSelectorBytes } from './sanitize.js';
import { ITEM_KINDS, type ItemKind, type Snapshot } from './snapshot.js';

export type Severity = 'high' | 'medium' | 'low';

/** Advice for the reviewer; never a gate by itself. Rule ids are stable and never reused. */
export interface Finding {
  rule: string;
  severity: Severity;
  subject: ChangeSubject;
  /** The item's key; '' for server-level subjects. */
  key: string;
  /** JSON pointer inside the item's definition. */
  pointer: string;
  /** Rule-specific values (decoded hidden text, the URL found, …); not yet sanitised. */
  args: Record<string, string | number>;
}

export interface FindingContext {
  server: string;
  live: Snapshot;
  /** null on a first lock: every item is looked at. Otherwise only what changed. */
  changes: ItemChange[] | null;
  /** The other configured servers' snapshots, for shadowing and cross-server mentions. */
  others: ReadonlyMap<string, Snapshot>;
}

/**
 * The rules. Ids are kebab-case, stable, and never reused for a different meaning (scripts and
 * allowlists match on them). `summary` is mcpm's own text for renderers. Severities depend on
 * where a hit is (a name or schema key is worse than prose); the table in docs/json-output.md
 * lists them.
 */
export const RULES = {
  'hidden-unicode-tags': { summary: 'hidden text in Unicode tag characters (invisible to people, read by models)' },
  'variation-selector': { summary: 'variation selectors outside an emoji or ideograph (can smuggle bytes)' },
  'zero-width': { summary: 'zero-width character' },
  'bidi-control': { summary: 'bidirectional control character (can reorder what is displayed)' },
  'format-character': { summary: 'invisible format or default-ignorable character' },
  'private-use-or-unassigned': { summary: 'private-use, unassigned or noncharacter code point' },
  'terminal-control': { summary: 'terminal control character (escape sequences, carriage return, backspace…)' },
  'long-whitespace-run': { summary: 'long run of whitespace (can push text off screen)' },
  'instruction-like-text': { summary: 'text that reads like instructions to the model' },
  'secret-path-request': { summary: 'mentions a secret file or key' },
  'url-added': { summary: 'URL in server text' },
  'email-added': { summary: 'e-mail address in server text' },
  'mixed-script-name': { summary: 'name mixes Latin with look-alike letters from another script' },
  'confusable-name': { summary: 'name looks like another name (case or look-alike letters)' },
  'name-shadows-other-server': { summary: 'name is also used by another server' },
  'mentions-other-server-tool': { summary: "mentions another server's tool" },
  'non-spec-tool-name': { summary: 'tool name outside the spec charset [A-Za-z0-9_.-]{1,128}' },
  'reserved-js-name': { summary: 'name is __proto__, constructor or prototype (breaks plain-object maps in hosts)' },
  'new-parameter': { summary: 'new input parameter' },
  'new-free-text-parameter': { summary: 'new free-text input parameter (can carry data out)' },
  'annotation-widened': { summary: 'tool annotations now claim more effects (less read-only, more destructive or open-world)' },
  'annotation-narrowed': { summary: 'tool annotations now claim fewer effects (hosts may auto-approve it)' },
} as const satisfies Record<string, { summary: string }>;

export type RuleId = keyof typeof RULES;

const SEVERITY_ORDER: Record<Severity, number> = { high: 0, medium: 1, low: 2 };

/** Negative when `a` is more severe than `b` (high, medium, low): sorts high first. */
export function compareSeverity(a: Severity, b: Severity): number {
  return SEVERITY_ORDER[a] - SEVERITY_ORDER[b];
}

/** Where a string sits: prose, an identifier value (`name`, `uri`), or an object key. */
type Role = 'text' | 'name' | 'key';

interface Hit {
  rule: RuleId;
  severity: Severity;
  /** What makes this hit the same as one in the locked text (so unchanged text is not re-flagged). */
  identity: string;
  args: Record<string, string | number>;
}

interface Site {
  subject: ChangeSubject;
  key: string;
  pointer: string;
  text: string;
  role: Role;
  /** Strings at `$schema`, `$id`, `$ref` and the item's own key field are addresses, not prose. */
  isAddress: boolean;
}

// ---------------------------------------------------------------------------------------------
// Character rules

const TAG_RUN = /[\u{E0000}-\u{E007F}]+/gu;
// An emoji tag sequence (🏴 + lower-case letters/digits + CANCEL TAG) is a flag, not hidden text.
const FLAG_TAGS = /^[\u{E0030}-\u{E0039}\u{E0061}-\u{E007A}]{2,6}\u{E007F}$/u;
const VS_RUN = /[\u{FE00}-\u{FE0F}\u{E0100}-\u{E01EF}]+/gu;
const EMOJI_OR_SYMBOL = /[\p{Emoji}\p{Extended_Pictographic}\p{S}\p{Script=Han}]/u;
const ZERO_WIDTH = /\u200B|\u200C|\u200D|[\u2060-\u2064]|\uFEFF|\u180E/gu;
const JOINER_CONTEXT_LETTER = /[\p{L}\p{M}]/u;
const EMOJI_JOIN_BEFORE = /[\p{Extended_Pictographic}\p{Emoji_Modifier}\uFE0F]/u;
const BIDI_STRONG = /[\u202A-\u202E\u2066-\u2069]/gu;
const BIDI_MARK = /[\u200E\u200F\u061C]/gu;
const RTL_LETTER = /[\p{Script=Hebrew}\p{Script=Arabic}\p{Script=Syriac}\p{Script=Thaana}\p{Script=Nko}\p{Script=Adlam}]/u;
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
const FORMAT_LIKE = /[\p{Cf}\p{Default_Ignorable_Code_Point}\p{Zl}\p{Zp}]/gu;
const PRIVATE_OR_UNASSIGNED = /[\p{Co}\p{Cn}]/gu;
const DEFAULT_IGNORABLE = /\p{Default_Ignorable_Code_Point}/u;
// C0 and C1 controls and DEL, except a newline, a tab, and a CR that ends a CRLF line.
const TERMINAL_CONTROL = /(?![\n\t])(?!\r\n)\p{Cc}/gu;
const HORIZONTAL_RUN = /[\t\p{Zs}]{32,}/gu;
const BLANK_LINES = /\n(?:[\t\p{Zs}]*\n){8,}/gu;

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
  // Invisible characters in names or schema keys make two names look alike: an extra confirmation.
  return role === 'text' ? inText : 'high';
}

function characterHits(text: string, role: Role): Hit[] {
  const hits: Hit[] = [];

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
      if (before !== '' && EMOJI_OR_SYMBOL.test(before)) continue;
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
    if (m[0] === '\u200D' && EMOJI_JOIN_BEFORE.test(before) && /\p{Extended_Pictographic}/u.test(after)) continue; // emoji ZWJ sequence
    if ((m[0] === '\u200C' || m[0] === '\u200D') && role === 'text' && JOINER_CONTEXT_LETTER.test(before) && JOINER_CONTEXT_LETTER.test(after) && !/\p{ASCII}/u.test(before + after)) {
      continue; // ZWNJ/ZWJ between letters of scripts that use them (Persian, Indic)
    }
    zeroWidth.push(m[0]);
  }
  characterRuleHits(hits, 'zero-width', identifierSeverity(role, 'medium'), zeroWidth);

  const strong = [...text.matchAll(BIDI_STRONG)].map((m) => m[0]);
  characterRuleHits(hits, 'bidi-control', 'high', strong);
  // LRM/RLM/ALM are ordinary in right-to-left prose; elsewhere they only change how text is shown.
  if (role !== 'text' || !RTL_LETTER.test(text)) {
    const marks = [...text.matchAll(BIDI_MARK)].map((m) => m[0]);
    characterRuleHits(hits, 'bidi-control', identifierSeverity(role, 'medium'), marks);
  }

  const format = [...text.matchAll(FORMAT_LIKE)].map((m) => m[0]).filter((c) => !isHandledElsewhere(c));
  characterRuleHits(hits, 'format-character', identifierSeverity(role, 'medium'), format);

  // Unassigned default-ignorables (most of U+E0000–E0FFF) render as nothing: format-character above.
  const odd = [...text.matchAll(PRIVATE_OR_UNASSIGNED)].map((m) => m[0]).filter((c) => !isHandledElsewhere(c) && !DEFAULT_IGNORABLE.test(c));
  characterRuleHits(hits, 'private-use-or-unassigned', role === 'text' ? 'low' : 'medium', odd);

  const controls = [...text.matchAll(TERMINAL_CONTROL)].map((m) => m[0]);
  characterRuleHits(hits, 'terminal-control', 'high', controls);

  for (const m of text.matchAll(HORIZONTAL_RUN)) {
    const length = [...m[0]].length;
    hits.push({ rule: 'long-whitespace-run', severity: 'medium', identity: `h${length}`, args: { length, kind: 'whitespace' } });
  }
  for (const m of text.matchAll(BLANK_LINES)) {
    const length = m[0].split('\n').length - 2;
    hits.push({ rule: 'long-whitespace-run', severity: 'medium', identity: `v${length}`, args: { length, kind: 'blank lines' } });
  }
  return hits;
}

// ---------------------------------------------------------------------------------------------
// Text rules

/** Identifiers read as words: `content_from_reading_ssh_id_rsa` → "content from reading ssh id rsa". */
export function identifierWords(name: string): string {
  return name
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/[_.\-/]+/g, ' ')
    .toLowerCase();
}

// Phrases from published poisoning payloads: hiding things from the user,
// overriding earlier instructions, pseudo-tags that frame text as system-level, pipe-to-shell.
const INSTRUCTION_PATTERNS: { pattern: RegExp; severity: Severity }[] = [
  { pattern: /<\s*\/?\s*(important|system|system[-_ ]prompt|secret|hidden|admin|override)\s*>/giu, severity: 'high' },
  { pattern: /\b(ignore|disregard|forget|override)\s+(all\s+|any\s+|the\s+|your\s+)?(previous|prior|above|earlier|preceding|other|system)\s+(instructions|prompts?|messages|rules|directions|guidelines)\b/giu, severity: 'high' },
  { pattern: /\b(do\s+not|don'?t|never)\s+(mention|tell|inform|reveal|disclose|notify|alert)\b/giu, severity: 'high' },
  { pattern: /\bwithout\s+(telling|informing|notifying|asking|alerting)\s+(the\s+)?user\b/giu, severity: 'high' },
  { pattern: /\b(the\s+)?user\s+(must|should|will|does|need|needs)\s*(not|n't)\s+(know|see|notice|be\s+(told|informed|aware))\b/giu, severity: 'high' },
  { pattern: /\b(curl|wget)\b[^\n|]{0,200}\|\s*(ba|z)?sh\b|\brm\s+-rf\s+[~/]|\bchmod\s+-R\s+0?[0-7]{3}\s+~/giu, severity: 'high' },
  { pattern: /<\s*\/?\s*instructions?\s*>/giu, severity: 'medium' },
  { pattern: /\bbefore\s+(using|calling|invoking|running|executing)\s+(this|the|any)\s+tool\b/giu, severity: 'medium' },
  { pattern: /\b(you|the\s+(model|assistant|ai|agent|llm))\s+must\s+(first\s+|always\s+|also\s+)?(read|call|pass|send|include|append|fetch|upload|forward|provide|attach)\b/giu, severity: 'medium' },
  { pattern: /\botherwise\s+(the|this)\s+tool\s+(will\s+not|won'?t|does\s+not|doesn'?t|cannot|can'?t)\s+work\b/giu, severity: 'medium' },
  { pattern: /<!--/gu, severity: 'medium' },
  { pattern: /\bmust\s+(send|forward|copy|bcc|cc|redirect|route)\s+(all|every|any|each)\b/giu, severity: 'medium' },
  { pattern: /\bwhen\s+this\s+tool\s+is\s+(available|present|loaded|installed)\b/giu, severity: 'medium' },
  { pattern: /\bsystem\s+prompt\b/giu, severity: 'medium' },
  { pattern: /\b(full|entire|whole)\s+(conversation|chat\s+history|message\s+history)\b|\bconversation\s+history\b/giu, severity: 'medium' },
];

// Files and keys a tool has no business asking the model to read (poisoned tools ask for them to send them on).
const SECRET_PATTERN =
  /~\/\.ssh\b|\.ssh\/|(?<![A-Za-z0-9])id_(rsa|dsa|ecdsa|ed25519)(?![A-Za-z0-9])|\.aws\/credentials|(?<![A-Za-z0-9])aws_secret_access_key(?![A-Za-z0-9])|(?<![\w.])\.netrc\b|(?<![\w.])\.npmrc\b|(?<![\w.])\.pypirc\b|\.git-credentials\b|\.docker\/config\.json|\.kube\/config\b|\/etc\/(shadow|passwd|sudoers)\b|\.gnupg\b|(?<![\w.-])\.env\b(?!\.example)|\bmcp\.json\b|\bclaude_desktop_config\.json\b|\b(private|ssh)[\s_-]+keys?\b|\bseed\s+phrase\b/giu;

const URL_PATTERN = /\b(?:https?|ftp|wss?|file):\/\/[^\s<>"'`]+/giu;
const EMAIL_PATTERN = /(?<![\w.%+-])[\w.%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}\b/gu;

function trimUrl(url: string): string {
  let out = url.replace(/[.,;:!?]+$/u, '');
  // Drop an unbalanced closing bracket that belongs to the surrounding prose: "(see https://x.y)".
  for (const [open, close] of [['(', ')'], ['[', ']'], ['{', '}']] as const) {
    while (out.endsWith(close) && out.split(open).length < out.split(close).length) out = out.slice(0, -1);
  }
  return out;
}

function textHits(site: Site, firstLock: boolean, otherTools: OtherTool[], ownNames: ReadonlySet<string>): Hit[] {
  const hits: Hit[] = [];
  const { text, role } = site;
  const prose = role === 'text' ? text : identifierWords(text);

  for (const { pattern, severity } of INSTRUCTION_PATTERNS) {
    for (const m of prose.matchAll(pattern)) {
      const match = m[0].replace(/\s+/g, ' ');
      hits.push({ rule: 'instruction-like-text', severity, identity: match.toLowerCase(), args: { match } });
    }
  }

  const secrets = new Set<string>();
  for (const source of role === 'text' ? [text] : [text, prose]) {
    for (const m of source.matchAll(SECRET_PATTERN)) secrets.add(m[0]);
  }
  for (const match of secrets) {
    // A parameter *named* after a secret asks the model to fill it in (CyberArk's `content_from_reading_ssh_id_rsa`).
    hits.push({ rule: 'secret-path-request', severity: role === 'text' ? 'medium' : 'high', identity: match.toLowerCase(), args: { match } });
  }

  if (!site.isAddress) {
    // On a first lock a URL is worth knowing about; on drift, a URL that was not there before is
    // the classic exfiltration addition ("Also send results to https://x.example").
    const severity: Severity = firstLock ? 'low' : 'medium';
    for (const m of text.matchAll(URL_PATTERN)) {
      const url = trimUrl(m[0]);
      hits.push({ rule: 'url-added', severity, identity: url, args: { url } });
    }
    for (const m of text.matchAll(EMAIL_PATTERN)) {
      hits.push({ rule: 'email-added', severity, identity: m[0].toLowerCase(), args: { email: m[0] } });
    }
  }

  if (role === 'text') {
    for (const other of otherTools) {
      if (ownNames.has(other.name)) continue;
      if (other.pattern.test(text)) {
        hits.push({ rule: 'mentions-other-server-tool', severity: 'medium', identity: `${other.server}\u0000${other.name}`, args: { server: other.server, tool: other.name } });
      }
    }
  }
  return hits;
}

// ---------------------------------------------------------------------------------------------
// Names

// A small subset of Unicode's confusables (UTS #39) covering the letters that pass for Latin in
// common fonts. Enough for the published attacks (`send_emaіl` with U+0456); not a full skeleton.
const CONFUSABLES: Readonly<Record<string, string>> = {
  а: 'a', в: 'b', е: 'e', о: 'o', р: 'p', с: 'c', у: 'y', х: 'x', і: 'i', ј: 'j', ѕ: 's', ԁ: 'd', ԛ: 'q', ԝ: 'w', ӏ: 'l', һ: 'h', ө: 'o', ү: 'y', к: 'k', м: 'm', н: 'h', т: 't', ь: 'b',
  А: 'A', В: 'B', Е: 'E', К: 'K', М: 'M', Н: 'H', О: 'O', Р: 'P', С: 'C', Т: 'T', Х: 'X', Ѕ: 'S', І: 'I', Ј: 'J', Ү: 'Y', Ԛ: 'Q', Ԝ: 'W',
  ο: 'o', α: 'a', ν: 'v', ι: 'i', κ: 'k', ρ: 'p', τ: 't', υ: 'u', χ: 'x', γ: 'y', ϲ: 'c', ϳ: 'j',
  Α: 'A', Β: 'B', Ε: 'E', Ζ: 'Z', Η: 'H', Ι: 'I', Κ: 'K', Μ: 'M', Ν: 'N', Ο: 'O', Ρ: 'P', Τ: 'T', Υ: 'Y', Χ: 'X',
  ı: 'i', ɩ: 'i', ℓ: 'l', ɡ: 'g', ɑ: 'a', ʏ: 'y', ꭰ: 'D', Ꭺ: 'A', Ꭼ: 'E', Ꮋ: 'H', Ꮯ: 'C', Ꮪ: 'S', Ꭲ: 'T', Ꮃ: 'W', Ꮤ: 'W',
  ꓐ: 'B', ꓑ: 'P', ꓒ: 'd', ꓓ: 'D', ꓔ: 'T', ꓖ: 'G', ꓗ: 'K', ꓚ: 'C', ꓜ: 'Z', ꓝ: 'F', ꓞ: 'F', ꓟ: 'M', ꓠ: 'N', ꓡ: 'L', ꓢ: 'S', ꓣ: 'R', ꓤ: 'R', ꓦ: 'V', ꓧ: 'H', ꓪ: 'W', ꓫ: 'X', ꓬ: 'Y', ꓮ: 'A', ꓰ: 'E', ꓲ: 'I', ꓳ: 'O', ꓴ: 'U',
};

/**
 * A look-alike key for names: NFKC (fullwidth and compatibility forms), invisible characters
 * dropped, look-alike letters mapped to Latin, I/1 → l, 0 → o, rn → m, lower case. Two names with
 * the same skeleton look the same to a reviewer.
 */
export function skeletonOf(name: string): string {
  let s = name.normalize('NFKC').replace(/[\p{Default_Ignorable_Code_Point}\p{Cf}]/gu, '');
  s = [...s].map((c) => CONFUSABLES[c] ?? c).join('');
  return s.replace(/[I1|]/g, 'l').toLowerCase().replace(/0/g, 'o').replace(/rn/g, 'm');
}

const LOOKALIKE_SCRIPTS = ['Cyrillic', 'Greek', 'Armenian', 'Cherokee', 'Coptic', 'Lisu', 'Canadian_Aboriginal'] as const;
const SCRIPT_TESTS = LOOKALIKE_SCRIPTS.map((script) => [script, new RegExp(`\\p{Script=${script}}`, 'u')] as const);
const LATIN_LETTER = /\p{Script=Latin}/u;

/** The look-alike scripts mixed with Latin letters in a name, or [] when it is single-script. */
export function mixedScripts(name: string): string[] {
  if (!LATIN_LETTER.test(name)) return [];
  return SCRIPT_TESTS.filter(([, re]) => re.test(name)).map(([script]) => script);
}

const SPEC_TOOL_NAME = /^[A-Za-z0-9_.-]{1,128}$/;
const RESERVED_JS_NAMES = new Set(['__proto__', 'constructor', 'prototype']);
const NAMED_KINDS: readonly ItemKind[] = ['tools', 'prompts'];

interface OtherTool {
  server: string;
  name: string;
  pattern: RegExp;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Names distinctive enough that a mention is not an ordinary word ("search", "echo" are not). */
function isDistinctiveName(name: string): boolean {
  return name.length >= 4 && (/[_.-]/.test(name) || /[a-z][A-Z]/.test(name));
}

function otherServerTools(context: FindingContext): OtherTool[] {
  const out: OtherTool[] = [];
  for (const [server, snapshot] of context.others) {
    if (server === context.server) continue;
    for (const name of snapshot.tools.keys()) {
      if (!isDistinctiveName(name)) continue;
      out.push({ server, name, pattern: new RegExp(`(?<![A-Za-z0-9])${escapeRegExp(name)}(?![A-Za-z0-9])`, 'u') });
    }
  }
  return out.sort((a, b) => compareCodeUnits(a.server, b.server) || compareCodeUnits(a.name, b.name));
}

/**
 * What nameFindings compares names with, prepared once per findingsFor call: a first lock looks at
 * every name, and sorting the sibling and other-server keys or computing their skeletons per name
 * made that quadratic in sorts and skeletons.
 */
interface NameIndex {
  /** The live keys of each named kind, in code-unit order. */
  own: ReadonlyMap<ItemKind, readonly string[]>;
  /** The other configured servers (this one left out) in code-unit order, with their keys likewise. */
  others: readonly { server: string; keys: ReadonlyMap<ItemKind, readonly { name: string; lower: string }[]> }[];
  /** skeletonOf, memoised by name. */
  skeleton: (name: string) => string;
}

function nameIndex(context: FindingContext): NameIndex {
  const sortedKeys = (snapshot: Snapshot, kind: ItemKind): string[] => [...snapshot[kind].keys()].sort(compareCodeUnits);
  const skeletons = new Map<string, string>();
  return {
    own: new Map(NAMED_KINDS.map((kind) => [kind, sortedKeys(context.live, kind)])),
    others: [...context.others]
      .filter(([server]) => server !== context.server)
      .sort(([a], [b]) => compareCodeUnits(a, b))
      .map(([server, snapshot]) => ({ server, keys: new Map(NAMED_KINDS.map((kind) => [kind, sortedKeys(snapshot, kind).map((name) => ({ name, lower: name.toLowerCase() }))])) })),
    skeleton: (name) => {
      let skeleton = skeletons.get(name);
      if (skeleton === undefined) {
        skeleton = skeletonOf(name);
        skeletons.set(name, skeleton);
      }
      return skeleton;
    },
  };
}

/** `names` builds the NameIndex on first use and returns the same one after. */
function nameFindings(names: () => NameIndex, subject: ItemKind, name: string): Finding[] {
  const out: Finding[] = [];
  const at = (rule: RuleId, severity: Severity, args: Record<string, string | number>): Finding => ({ rule, severity, subject, key: name, pointer: subject === 'tools' || subject === 'prompts' ? '/name' : '', args });

  if (subject === 'tools' && !SPEC_TOOL_NAME.test(name)) out.push(at('non-spec-tool-name', 'medium', { name }));
  if (RESERVED_JS_NAMES.has(name)) out.push(at('reserved-js-name', 'medium', { name }));
  // mixed-script-name comes from the `/name` string itself (see schemaKeyFindings).
  if (!NAMED_KINDS.includes(subject)) return out;

  const index = names();
  const skeleton = index.skeleton(name);
  for (const other of index.own.get(subject)!) {
    if (other !== name && index.skeleton(other) === skeleton) out.push(at('confusable-name', 'high', { name, other }));
  }
  const lower = name.toLowerCase();
  for (const { server, keys } of index.others) {
    for (const other of keys.get(subject)!) {
      if (other.name === name) out.push(at('name-shadows-other-server', 'medium', { name, server }));
      else if (other.lower === lower) out.push(at('name-shadows-other-server', 'high', { name, server, other: other.name }));
      else if (index.skeleton(other.name) === skeleton) out.push(at('confusable-name', 'high', { name, server, other: other.name }));
    }
  }
  return out;
}

/** Rules for identifiers inside a definition: the item's `name`, prompt argument names, object keys. */
function schemaKeyFindings(site: Site): Hit[] {
  const hits: Hit[] = [];
  const scripts = mixedScripts(site.text);
  if (scripts.length > 0) hits.push({ rule: 'mixed-script-name', severity: site.role === 'key' ? 'medium' : 'high', identity: site.text, args: { name: site.text, scripts: ['Latin', ...scripts].join(', ') } });
  if (site.role === 'key' && RESERVED_JS_NAMES.has(site.text)) hits.push({ rule: 'reserved-js-name', severity: 'medium', identity: site.text, args: { name: site.text } });
  return hits;
}

// ---------------------------------------------------------------------------------------------
// Walking definitions

const ADDRESS_KEYS = new Set(['$schema', '$id', '$ref']);

function roleOfValue(subject: ChangeSubject, tokens: readonly string[]): Role {
  const last = tokens[tokens.length - 1];
  if (tokens.length === 1 && (last === 'name' || last === 'uri' || last === 'uriTemplate')) return 'name';
  // prompt arguments: /arguments/<i>/name
  if (subject === 'prompts' && tokens.length === 3 && tokens[0] === 'arguments' && last === 'name') return 'name';
  return 'text';
}

function isAddressValue(subject: ChangeSubject, tokens: readonly string[]): boolean {
  const last = tokens[tokens.length - 1];
  if (last !== undefined && ADDRESS_KEYS.has(last)) return true;
  return tokens.length === 1 && ((subject === 'resources' && last === 'uri') || (subject === 'resourceTemplates' && last === 'uriTemplate'));
}

/** Every string in a value, object keys included, with the pointer of the member or element. */
function collectSites(subject: ChangeSubject, key: string, pointer: string, value: JsonValue, out: Site[], includeOwnKey: boolean): void {
  const tokens = pointerTokens(pointer);
  if (includeOwnKey && tokens.length > 0) {
    const own = tokens[tokens.length - 1]!;
    const parent = tokens[tokens.length - 2];
    // A new array element has an index, not a key.
    if (!/^(0|[1-9][0-9]*)$/.test(own) || parent === 'properties') out.push({ subject, key, pointer, text: own, role: 'key', isAddress: false });
  }
  walk(value, tokens);

  function walk(v: JsonValue, path: string[]): void {
    const at = pointerOf(path);
    if (typeof v === 'string') {
      out.push({ subject, key, pointer: at, text: v, role: roleOfValue(subject, path), isAddress: isAddressValue(subject, path) });
    } else if (Array.isArray(v)) {
      v.forEach((item, i) => walk(item, [...path, String(i)]));
    } else if (isJsonObject(v)) {
      for (const k of Object.keys(v).sort(compareCodeUnits)) {
        out.push({ subject, key, pointer: `${at}/${escapePointerToken(k)}`, text: k, role: 'key', isAddress: false });
        walk(v[k]!, [...path, k]);
      }
    }
  }
}

interface Target {
  subject: ChangeSubject;
  key: string;
  pointer: string;
  value: JsonValue;
  /** The locked value at the same place: hits found there too are not reported again. */
  before?: JsonValue;
  /** The member itself is new, so its key is new text too. */
  newKey: boolean;
}

function siteHits(site: Site, firstLock: boolean, otherTools: OtherTool[], ownNames: ReadonlySet<string>): Hit[] {
  return [...characterHits(site.text, site.role), ...textHits(site, firstLock, otherTools, ownNames), ...(site.role === 'text' ? [] : schemaKeyFindings(site))];
}

function hitKey(site: Site, hit: Hit): string {
  return `${hit.rule}\u0000${site.role === 'key' ? 'key' : 'value'}\u0000${hit.identity}`;
}

function scanTarget(target: Target, firstLock: boolean, otherTools: OtherTool[], ownNames: ReadonlySet<string>, out: Finding[]): void {
  // What the locked text already had, as a multiset, so only new occurrences are reported.
  const seen = new Map<string, number>();
  if (target.before !== undefined) {
    const sites: Site[] = [];
    collectSites(target.subject, target.key, target.pointer, target.before, sites, false);
    for (const site of sites) {
      for (const hit of siteHits(site, firstLock, otherTools, ownNames)) seen.set(hitKey(site, hit), (seen.get(hitKey(site, hit)) ?? 0) + 1);
    }
  }
  const sites: Site[] = [];
  collectSites(target.subject, target.key, target.pointer, target.value, sites, target.newKey);
  for (const site of sites) {
    for (const hit of siteHits(site, firstLock, otherTools, ownNames)) {
      const k = hitKey(site, hit);
      const left = seen.get(k) ?? 0;
      if (left > 0) {
        seen.set(k, left - 1);
        continue;
      }
      const args = site.role === 'key' ? { ...hit.args, in: 'key' } : hit.args;
      out.push({ rule: hit.rule, severity: hit.severity, subject: site.subject, key: site.key, pointer: site.pointer, args });
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Drift-only rules

/** Pointers of every property in a JSON Schema (`properties`, nested objects and items, `$defs`). */
function schemaProperties(schema: JsonValue | undefined, base: string, out: Map<string, JsonValue>): void {
  if (Array.isArray(schema)) {
    schema.forEach((s, i) => schemaProperties(s, `${base}/${i}`, out));
    return;
  }
  if (!isJsonObject(schema)) return;
  for (const k of Object.keys(schema)) {
    const at = `${base}/${escapePointerToken(k)}`;
    const v = schema[k]!;
    if (k === 'properties' && isJsonObject(v)) {
      for (const name of Object.keys(v)) {
        out.set(`${at}/${escapePointerToken(name)}`, v[name]!);
        schemaProperties(v[name], `${at}/${escapePointerToken(name)}`, out);
      }
    } else if (k !== 'enum' && k !== 'const' && k !== 'default' && k !== 'examples') {
      schemaProperties(v, at, out);
    }
  }
}

function isFreeText(schema: JsonValue): boolean {
  if (!isJsonObject(schema)) return schema === true;
  const type = schema.type;
  const allowsString = type === undefined || type === 'string' || (Array.isArray(type) && type.includes('string'));
  if (!allowsString) return false;
  return !['enum', 'const', 'pattern', 'format', '$ref', 'oneOf', 'anyOf', 'allOf'].some((k) => Object.prototype.hasOwnProperty.call(schema, k));
}

function requiredNames(definition: JsonValue | undefined, parentPointer: string): ReadonlySet<string> {
  // The pointer comes from schemaProperties over the same definition: own keys and canonical indices only.
  const node = valueAt(definition, parentPointer);
  const required = isJsonObject(node) ? node.required : undefined;
  return new Set(Array.isArray(required) ? required.filter((r): r is string => typeof r === 'string') : []);
}

function parameterFindings(change: ItemChange): Finding[] {
  const before = new Map<string, JsonValue>();
  const after = new Map<string, JsonValue>();
  schemaProperties(isJsonObject(change.before) ? change.before.inputSchema : undefined, '/inputSchema', before);
  schemaProperties(isJsonObject(change.after) ? change.after.inputSchema : undefined, '/inputSchema', after);
  const out: Finding[] = [];
  for (const [pointer, schema] of [...after].sort(([a], [b]) => compareCodeUnits(a, b))) {
    if (before.has(pointer)) continue;
    const tokens = pointerTokens(pointer);
    const name = tokens[tokens.length - 1]!;
    // The schema object that holds `properties`, whose `required` lists this parameter.
    const holder = pointerOf(tokens.slice(0, -2));
    const required = requiredNames(change.after, holder).has(name);
    const args = { name, required: required ? 'yes' : 'no' };
    if (isFreeText(schema)) {
      // Invariant's `sidenote`: a new required free-text field is where read secrets are sent.
      out.push({ rule: 'new-free-text-parameter', severity: required ? 'high' : 'medium', subject: change.subject, key: change.key, pointer, args });
    } else {
      out.push({ rule: 'new-parameter', severity: 'low', subject: change.subject, key: change.key, pointer, args });
    }
  }
  return out;
}

/** Spec defaults (schema.ts ToolAnnotations): readOnly false, destructive true, idempotent false, openWorld true. */
const ANNOTATION_DEFAULTS = { readOnlyHint: false, destructiveHint: true, idempotentHint: false, openWorldHint: true } as const;
/** The value each hint has when the tool claims to do *more* (touch more, destroy more, reach further). */
const WIDER = { readOnlyHint: false, destructiveHint: true, idempotentHint: false, openWorldHint: true } as const;

function annotationOf(definition: JsonValue | undefined, hint: keyof typeof ANNOTATION_DEFAULTS): { value: boolean; explicit: boolean } {
  const annotations = isJsonObject(definition) ? definition.annotations : undefined;
  const value = isJsonObject(annotations) ? annotations[hint] : undefined;
  return typeof value === 'boolean' ? { value, explicit: true } : { value: ANNOTATION_DEFAULTS[hint], explicit: false };
}

function describeHint(h: { value: boolean; explicit: boolean }): string {
  return h.explicit ? String(h.value) : `${h.value} (default)`;
}

function annotationFindings(change: ItemChange): Finding[] {
  const out: Finding[] = [];
  for (const hint of Object.keys(ANNOTATION_DEFAULTS) as (keyof typeof ANNOTATION_DEFAULTS)[]) {
    const before = annotationOf(change.before, hint);
    const after = annotationOf(change.after, hint);
    if (before.value === after.value) continue;
    const args = { annotation: hint, before: describeHint(before), after: describeHint(after) };
    const pointer = `/annotations/${hint}`;
    if (after.value === WIDER[hint]) {
      // idempotentHint true → false is a weaker promise, not a wider effect: leave it to the diff.
      if (hint !== 'idempotentHint') out.push({ rule: 'annotation-widened', severity: 'high', subject: change.subject, key: change.key, pointer, args });
    } else {
      // A host that auto-approves read-only tools is talked into it by a flipped flag.
      out.push({ rule: 'annotation-narrowed', severity: hint === 'idempotentHint' ? 'low' : 'medium', subject: change.subject, key: change.key, pointer, args });
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------

function targetsForFirstLock(live: Snapshot): Target[] {
  const targets: Target[] = [
    { subject: 'serverInfo', key: '', pointer: '', value: live.serverInfo, newKey: false },
    { subject: 'capabilities', key: '', pointer: '', value: live.capabilities, newKey: false },
  ];
  if (live.instructions !== undefined) targets.push({ subject: 'instructions', key: '', pointer: '', value: live.instructions, newKey: false });
  for (const subject of ITEM_KINDS) {
    for (const [key, item] of live[subject]) targets.push({ subject, key, pointer: '', value: item.definition, newKey: false });
  }
  return targets;
}

function targetsForChanges(changes: readonly ItemChange[]): Target[] {
  const targets: Target[] = [];
  for (const change of changes) {
    if (change.change === 'removed' || change.after === undefined) continue;
    if (change.change === 'added') {
      targets.push({ subject: change.subject, key: change.key, pointer: '', value: change.after, newKey: false });
      continue;
    }
    for (const field of change.fields) {
      if (field.after === undefined) continue;
      targets.push({ subject: change.subject, key: change.key, pointer: field.pointer, value: field.after, before: field.before, newKey: field.change === 'added' });
    }
  }
  return targets;
}

function compareFindings(a: Finding, b: Finding): number {
  return (
    compareSeverity(a.severity, b.severity) ||
    CHANGE_SUBJECTS.indexOf(a.subject) - CHANGE_SUBJECTS.indexOf(b.subject) ||
    compareCodeUnits(a.key, b.key) ||
    compareCodeUnits(a.pointer, b.pointer) ||
    compareCodeUnits(a.rule, b.rule) ||
    compareCodeUnits(JSON.stringify(a.args), JSON.stringify(b.args))
  );
}

/** One finding per rule and place: repeated hits in one string are counted, the worst severity kept. */
function mergeFindings(findings: Finding[]): Finding[] {
  const merged = new Map<string, Finding>();
  for (const f of findings) {
    const where = f.args.in === 'key' ? 'key' : 'value';
    const distinct = f.rule === 'mentions-other-server-tool' ? `${f.args.server}\u0000${f.args.tool}` : ['confusable-name', 'name-shadows-other-server'].includes(f.rule) ? `${f.args.server ?? ''}\u0000${f.args.other ?? ''}` : f.rule === 'url-added' ? String(f.args.url) : f.rule === 'email-added' ? String(f.args.email) : '';
    const k = [f.rule, f.subject, f.key, f.pointer, where, distinct].join('\u0000');
    const existing = merged.get(k);
    if (!existing) {
      merged.set(k, { ...f, args: { ...f.args } });
      continue;
    }
    if (compareSeverity(f.severity, existing.severity) < 0) existing.severity = f.severity;
    existing.args.hits = (typeof existing.args.hits === 'number' ? existing.args.hits : 1) + 1;
    // Keep every distinct decoded text or match, so nothing hidden is summarised away.
    for (const field of ['decoded', 'match'] as const) {
      const a = existing.args[field];
      const b = f.args[field];
      if (typeof a === 'string' && typeof b === 'string' && !a.split('\n').includes(b)) existing.args[field] = `${a}\n${b}`;
    }
  }
  return [...merged.values()];
}

/**
 * Findings for one server. On a first lock (`changes === null`) every string of every item and the
 * server-level fields are examined: a server can be poisoned from day one. On drift only added
 * items and changed fields are, and a hit already present in the locked text is not reported
 * again (approval fatigue: a reviewer shown the same hit at every change stops reading); `new-parameter`, `new-free-text-parameter` and the
 * annotation rules apply to drift only. Pure and deterministic: sorted by severity, subject, key,
 * pointer, rule.
 */
export function findingsFor(context: FindingContext): Finding[] {
  const firstLock = context.changes === null;
  const otherTools = otherServerTools(context);
  const ownNames = new Set(context.live.tools.keys());
  const out: Finding[] = [];

  const targets = firstLock ? targetsForFirstLock(context.live) : targetsForChanges(context.changes!);
  for (const target of targets) scanTarget(target, firstLock, otherTools, ownNames, out);

  let index: NameIndex | undefined;
  const names = (): NameIndex => (index ??= nameIndex(context));
  if (firstLock) {
    for (const subject of ITEM_KINDS) {
      for (const key of context.live[subject].keys()) out.push(...nameFindings(names, subject, key));
    }
  } else {
    for (const change of context.changes!) {
      if (change.subject === 'instructions' || change.subject === 'serverInfo' || change.subject === 'capabilities') continue;
      if (change.change === 'added') out.push(...nameFindings(names, change.subject, change.key));
      if (change.change === 'modified' && change.subject === 'tools') out.push(...parameterFindings(change), ...annotationFindings(change));
    }
  }
  return mergeFindings(out).sort(compareFindings);
}
