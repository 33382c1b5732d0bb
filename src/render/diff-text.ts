// Human output of `mcpm diff`: per server, the findings first, then every changed item with every
// changed field's JSON pointer. Pure: values in, a string out. Server text is escaped here, once,
// with sanitize() (the boundary); mcpm's ANSI colours are added after that, so no server byte ever
// reaches the terminal unescaped, and nothing is truncated: long lines wrap, and only unchanged text
// is shortened, with a count of what was left out.
import type { ChangeSubject, FieldChange, ItemChange } from '../core/changes.js';
import type { JudgedChange } from '../core/judge.js';
import { compareCodeUnits, SUBJECT_NOUN } from '../core/changes.js';
import { RULES, type Finding, type Severity } from '../core/findings/rules.js';
import { isJsonObject, type JsonValue } from '../core/json-strict.js';
import { quotedIdentifier, sanitize, textLengths, trusted, type SafeText } from '../core/sanitize.js';
import { boundedWordDiff, looksAlike, SHOWN_WORD_CHANGES } from '../core/word-diff.js';

export interface TextRenderOptions {
  /** ANSI colours (red/green, bold for high severity); the caller decides (TTY, --no-color, NO_COLOR). */
  color: boolean;
  /** Terminal columns to wrap at; 80 when not given. Lines are wrapped, never cut. */
  width?: number;
}

const DEFAULT_WIDTH = 80;
/** Unchanged text longer than this is shortened to its two ends around the change. */
const CONTEXT_LIMIT = 80;
const CONTEXT_KEEP = 40;
const INDENT = 2;
const HANGING = 2;

export type Style = 'plain' | 'removed' | 'added' | 'high' | 'medium' | 'low' | 'heading' | 'note';

const ANSI: Record<Exclude<Style, 'plain'>, string> = {
  removed: '\u001b[31m',
  added: '\u001b[32m',
  high: '\u001b[1;31m',
  medium: '\u001b[33m',
  low: '\u001b[36m',
  heading: '\u001b[1m',
  note: '\u001b[2m',
};
const RESET = '\u001b[0m';

export interface Span {
  text: SafeText;
  style: Style;
}

export interface Line {
  depth: number;
  spans: Span[];
  /** Columns that wrapped rows hang in by (past the line's own prefix); HANGING when not given. */
  hang?: number;
}

/** push(...items) without the argument-count limit: a 50 MB description makes many lines. */
function append<T>(target: T[], items: readonly T[]): void {
  for (const item of items) target.push(item);
}

const span = (text: SafeText, style: Style = 'plain'): Span => ({ text, style });
const own = (text: string, style: Style = 'plain'): Span => span(trusted(text), style);

const IDENTIFIER_ARGS = new Set(['name', 'other', 'tool', 'server', 'annotation', 'url', 'email', 'from']);

function ident(text: string): SafeText {
  return sanitize(text, { identifier: true });
}

function place(subject: ChangeSubject, key: string): Span[] {
  return key === '' ? [own(SUBJECT_NOUN[subject], 'heading')] : [own(`${SUBJECT_NOUN[subject]} `, 'heading'), span(ident(key), 'heading')];
}

function pointerLabel(pointer: string): SafeText {
  return pointer === '' ? trusted('(whole value)') : ident(pointer);
}

// -----------------------------------------------------------------------------------------------
// JSON values, printed with sorted keys (the lock's order). Keys and identifier values (`name`,
// `uri`, `uriTemplate`) are escaped as identifiers, so a look-alike letter shows as \u{…}; other
// strings are JSON-quoted (which escapes controls and newlines) and then sanitised (bidi,
// zero-width, tags, whitespace runs). mcpm's own indentation is kept apart from the content so deep
// nesting is not mistaken for a whitespace run.

const IDENTIFIER_KEYS = new Set(['name', 'uri', 'uriTemplate']);

function scalarText(value: JsonValue, key: string | undefined): SafeText {
  if (typeof value === 'string') return key !== undefined && IDENTIFIER_KEYS.has(key) ? quotedIdentifier(value) : sanitize(JSON.stringify(value));
  return trusted(JSON.stringify(value));
}

function compactJson(value: JsonValue, key?: string): SafeText {
  if (Array.isArray(value)) return trusted(`[${value.map((v) => compactJson(v)).join(', ')}]`);
  if (isJsonObject(value)) {
    const members = Object.keys(value)
      .sort(compareCodeUnits)
      .map((k) => `${quotedIdentifier(k)}: ${compactJson(value[k]!, k)}`);
    return trusted(`{${members.join(', ')}}`);
  }
  return scalarText(value, key);
}

interface JsonLine {
  depth: number;
  text: SafeText;
  /** A line of a multi-line string shown as a text block: no JSON comma after it. */
  block?: true;
}

function withComma(lines: JsonLine[]): void {
  const last = lines[lines.length - 1]!;
  if (!last.block) last.text = trusted(`${last.text},`);
}

function jsonLines(value: JsonValue, depth = 0, prefix = '', key?: string): JsonLine[] {
  const line = (d: number, text: string): JsonLine => ({ depth: d, text: trusted(text) });
  if (Array.isArray(value)) {
    if (value.length === 0) return [line(depth, `${prefix}[]`)];
    if (value.every((v) => v === null || typeof v !== 'object')) return [line(depth, `${prefix}${compactJson(value)}`)];
    const lines = [line(depth, `${prefix}[`)];
    value.forEach((item, i) => {
      const inner = jsonLines(item, depth + 1);
      if (i < value.length - 1) withComma(inner);
      append(lines, inner);
    });
    lines.push(line(depth, ']'));
    return lines;
  }
  if (isJsonObject(value)) {
    const keys = Object.keys(value).sort(compareCodeUnits);
    if (keys.length === 0) return [line(depth, `${prefix}{}`)];
    const lines = [line(depth, `${prefix}{`)];
    keys.forEach((k, i) => {
      const inner = jsonLines(value[k]!, depth + 1, `${quotedIdentifier(k)}: `, k);
      if (i < keys.length - 1) withComma(inner);
      append(lines, inner);
    });
    lines.push(line(depth, '}'));
    return lines;
  }
  if (typeof value === 'string' && value.includes('\n') && !(key !== undefined && IDENTIFIER_KEYS.has(key))) {
    // Multi-line prose (descriptions, instructions) reads as written, one line per line, under a
    // `|` like a YAML block, instead of one long JSON string full of \n (poisoned
    // instructions hide in long descriptions: show the whole text). The lock keeps the JSON; this is only the reviewer's view.
    return [line(depth, `${prefix}|`), ...sanitize(value).split('\n').map((l): JsonLine => ({ depth: depth + 1, text: l as SafeText, block: true }))];
  }
  return [line(depth, `${prefix}${scalarText(value, key)}`)];
}

function valueLines(value: JsonValue, depth: number, sign: '+' | '-'): Line[] {
  const style: Style = sign === '+' ? 'added' : 'removed';
  if (typeof value === 'string') return textBlock(value, depth, sign);
  return jsonLines(value).map((l) => {
    const prefix = `${sign} ${'  '.repeat(l.depth)}`;
    return { depth, hang: prefix.length, spans: [own(prefix, style), span(l.text, style)] };
  });
}

/** A string as lines of text, each prefixed with the sign, so multi-line text reads as written. */
function textBlock(text: string, depth: number, sign: '+' | '-'): Line[] {
  const style: Style = sign === '+' ? 'added' : 'removed';
  if (text === '') return [{ depth, spans: [own(`${sign} `, style), own('⟨empty string⟩', 'note')] }];
  return sanitize(text)
    .split('\n')
    .map((line) => ({ depth, hang: 2, spans: [own(`${sign} `, style), span(line as SafeText, style)] }));
}

// -----------------------------------------------------------------------------------------------
// Word diffs

const SURROGATE = /[\uD800-\uDFFF]/;

/** The text's code points, as the text itself when each is one code unit (no copy, no array). */
function codePoints(text: string): string | string[] {
  return SURROGATE.test(text) ? Array.from(text) : text;
}

function codePointSlice(chars: string | string[], from: number, to?: number): string {
  return typeof chars === 'string' ? chars.slice(from, to) : chars.slice(from, to).join('');
}

function collapsed(count: number): Span {
  return own(`⟨… ${count} unchanged character${count === 1 ? '' : 's'} …⟩`, 'note');
}

/** An unchanged stretch, shortened to the context next to the changes around it. */
function contextSpans(text: string, first: boolean, last: boolean): Span[] {
  const chars = codePoints(text);
  const keepStart = first ? 0 : CONTEXT_KEEP;
  const keepEnd = last ? 0 : CONTEXT_KEEP;
  if (chars.length <= CONTEXT_LIMIT || chars.length <= keepStart + keepEnd) return [span(sanitize(text))];
  const out: Span[] = [];
  if (keepStart > 0) out.push(span(sanitize(codePointSlice(chars, 0, keepStart))));
  out.push(collapsed(chars.length - keepStart - keepEnd));
  if (keepEnd > 0) out.push(span(sanitize(codePointSlice(chars, chars.length - keepEnd))));
  return out;
}

function changedSpan(text: string, sign: '+' | '-', asCodePoints: boolean): Span {
  const style: Style = sign === '+' ? 'added' : 'removed';
  const body = asCodePoints ? ident(text) : sanitize(text);
  return span(trusted(`⟨${sign}${body}${sign}⟩`), style);
}

function wordDiffSpans(before: string, after: string): Span[] {
  const diff = boundedWordDiff(before, after);
  // Past the changes a word diff shows, the whole texts, never a count alone: a change a reviewer
  // is not shown is one an attacker can hide among harmless ones.
  if (diff === null || diff.elided > 0) {
    const why = diff === null ? 'too many changes for a word diff' : `${SHOWN_WORD_CHANGES + diff.elided} changes, more than a word diff shows`;
    return [own(`(${why}; whole text before and after)`, 'note'), own('\n'), changedSpan(before, '-', false), own('\n'), changedSpan(after, '+', false)];
  }
  const { parts } = diff;
  const out: Span[] = [];
  for (let i = 0; i < parts.length; i += 1) {
    const part = parts[i]!;
    if (part.op === 'same') {
      append(out, contextSpans(part.text, i === 0, i === parts.length - 1));
      continue;
    }
    const next = parts[i + 1];
    if (part.op === 'removed' && next?.op === 'added') {
      const alike = looksAlike(part.text, next.text);
      out.push(changedSpan(part.text, '-', alike), changedSpan(next.text, '+', alike));
      i += 1;
      continue;
    }
    out.push(changedSpan(part.text, part.op === 'added' ? '+' : '-', false));
  }
  return out;
}

/** Splits spans at newlines into lines at one depth. */
function spansToLines(spans: Span[], depth: number): Line[] {
  const lines: Line[] = [{ depth, spans: [] }];
  for (const s of spans) {
    const pieces = s.text.split('\n');
    pieces.forEach((piece, i) => {
      if (i > 0) lines.push({ depth, spans: [] });
      if (piece !== '') lines[lines.length - 1]!.spans.push(span(piece as SafeText, s.style));
    });
  }
  return lines;
}

function lengthsNote(before: string | undefined, after: string | undefined): Span[] {
  const b = before === undefined ? undefined : textLengths(before);
  const a = after === undefined ? undefined : textLengths(after);
  const pair = (x: number | undefined, y: number | undefined): string => (x === undefined ? `${y}` : y === undefined ? `${x}` : `${x} → ${y}`);
  const parts = [`bytes ${pair(b?.bytes, a?.bytes)}`, `code points ${pair(b?.codePoints, a?.codePoints)}`];
  if ((b?.invisible ?? 0) > 0 || (a?.invisible ?? 0) > 0) parts.push(`invisible ${pair(b?.invisible, a?.invisible)}`);
  return [own(`  (${parts.join(', ')})`, 'note')];
}

function scalarArrayNote(before: JsonValue[], after: JsonValue[]): SafeText {
  const key = (v: JsonValue): string => compactJson(v);
  const beforeKeys = before.map(key);
  const afterKeys = after.map(key);
  const added = afterKeys.filter((k) => !beforeKeys.includes(k));
  const removed = beforeKeys.filter((k) => !afterKeys.includes(k));
  const notes: string[] = [];
  if (added.length > 0) notes.push(`added ${added.join(', ')}`);
  if (removed.length > 0) notes.push(`removed ${removed.join(', ')}`);
  if (notes.length === 0) notes.push(beforeKeys.length === afterKeys.length ? 'same elements, new order' : 'same elements, different counts');
  return trusted(notes.join('; '));
}

function isScalarArray(value: JsonValue | undefined): value is JsonValue[] {
  return Array.isArray(value) && value.every((v) => v === null || typeof v !== 'object');
}

function fieldLines(field: FieldChange, depth: number, findings: readonly Finding[]): Line[] {
  const header: Span[] = [];
  if (field.pointer !== '') header.push(span(pointerLabel(field.pointer)), own(': '));
  header.push(own(field.change, field.change === 'added' ? 'added' : field.change === 'removed' ? 'removed' : 'plain'));
  const bothText = typeof field.before === 'string' || typeof field.after === 'string';
  if (bothText) header.push(...lengthsNote(typeof field.before === 'string' ? field.before : undefined, typeof field.after === 'string' ? field.after : undefined));
  const lines: Line[] = [{ depth, spans: header }];
  for (const f of findings) lines.push({ depth: depth + 1, spans: [own('! ', severityStyle(f.severity)), own(`${f.severity} ${f.rule}`, severityStyle(f.severity))] });

  const body = depth + 1;
  if (field.change === 'modified' && typeof field.before === 'string' && typeof field.after === 'string') {
    append(lines, spansToLines(wordDiffSpans(field.before, field.after), body));
    return lines;
  }
  if (field.change === 'modified' && isScalarArray(field.before) && isScalarArray(field.after)) {
    append(lines, valueLines(field.before, body, '-'));
    append(lines, valueLines(field.after, body, '+'));
    lines.push({ depth: body, spans: [own('(', 'note'), span(scalarArrayNote(field.before, field.after), 'note'), own(')', 'note')] });
    return lines;
  }
  if (field.before !== undefined) append(lines, valueLines(field.before, body, '-'));
  if (field.after !== undefined) append(lines, valueLines(field.after, body, '+'));
  return lines;
}

function severityStyle(severity: Severity): Style {
  return severity;
}

function isUnder(pointer: string, field: string): boolean {
  return pointer === field || field === '' || pointer.startsWith(`${field}/`);
}

function itemLines(change: ItemChange, findings: readonly Finding[], judged?: JudgedChange): Line[] {
  const mine = findings.filter((f) => f.subject === change.subject && f.key === change.key);
  const counts: string[] = [];
  // A rename or a return is shown as the diff from the old body, not as a whole new item.
  const diffed = change.change === 'modified' || (change.change === 'added' && (change.renamedFrom !== undefined || change.tombstone !== undefined));
  if (diffed) counts.push(`${change.fields.length} field${change.fields.length === 1 ? '' : 's'}`);
  if (mine.length > 0) counts.push(`${mine.length} finding${mine.length === 1 ? '' : 's'}`);
  const word = change.renamedFrom !== undefined ? 'renamed' : change.tombstone !== undefined ? 'returned' : change.change;
  const header: Span[] = [...place(change.subject, change.key), own(': '), own(word, change.change === 'added' ? 'added' : change.change === 'removed' ? 'removed' : 'plain')];
  if (change.renamedFrom !== undefined) header.push(own(' from ', 'note'), span(ident(change.renamedFrom)));
  if (change.renamedTo !== undefined) header.push(own(' (renamed to ', 'note'), span(ident(change.renamedTo)), own(')', 'note'));
  if (change.tombstone !== undefined) header.push(own(' (removed with approval before; diffed against its last approved definition)', 'note'));
  if (change.takesBodyOf !== undefined) header.push(own(' (now the definition of ', 'note'), span(ident(change.takesBodyOf)), own(')', 'note'));
  if (counts.length > 0) header.push(own(` (${counts.join(', ')})`, 'note'));
  if (judged && judged.disposition !== 'review') {
    const why = judged.disposition === 'accepted' ? `accepted by ${[...new Set(judged.rules ?? [])].map(ident).join(', ')}` : judged.disposition === 'quarantined' ? 'quarantined until approved' : 'optional, absent: not drift';
    header.push(own(` [${why}]`, 'note'));
  }
  const lines: Line[] = [{ depth: 1, spans: header }];
  if (diffed && change.change === 'added') {
    for (const field of change.fields) append(lines, fieldLines(field, 2, []));
  } else if (change.change === 'added' && change.after !== undefined) {
    if (typeof change.after === 'string') lines.push({ depth: 2, spans: lengthsNote(undefined, change.after) });
    append(lines, valueLines(change.after, 2, '+'));
  } else if (change.change === 'removed' && change.subject !== 'tools' && change.subject !== 'prompts' && change.subject !== 'resources' && change.subject !== 'resourceTemplates' && change.before !== undefined) {
    // A removed server-level field is shown; a removed item needs only its name.
    append(lines, valueLines(change.before, 2, '-'));
  } else if (change.change === 'modified') {
    const claimed = new Set<Finding>();
    // Deepest field first claims a finding, so each finding is listed once.
    const byField = new Map<FieldChange, Finding[]>();
    for (const field of [...change.fields].sort((a, b) => b.pointer.length - a.pointer.length)) {
      const list = mine.filter((f) => !claimed.has(f) && isUnder(f.pointer, field.pointer));
      list.forEach((f) => claimed.add(f));
      byField.set(field, list);
    }
    for (const field of change.fields) append(lines, fieldLines(field, 2, byField.get(field) ?? []));
  }
  return lines;
}

// -----------------------------------------------------------------------------------------------
// Findings

function argLines(args: Finding['args'], depth: number): Line[] {
  const lines: Line[] = [];
  for (const k of Object.keys(args).sort(compareCodeUnits)) {
    const v = args[k]!;
    if (typeof v === 'number') {
      lines.push({ depth, spans: [own(`${k}: ${v}`, 'note')] });
      continue;
    }
    if (IDENTIFIER_ARGS.has(k)) {
      lines.push({ depth, spans: [own(`${k}: `, 'note'), span(ident(v))] });
      continue;
    }
    // decoded hidden text, matched phrases: prose, shown as text (merged values are one per line)
    const values = v.split('\n');
    for (const value of values) lines.push({ depth, spans: [own(`${k}: `, 'note'), own('"'), span(sanitize(value)), own('"')] });
  }
  return lines;
}

function findingLines(finding: Finding): Line[] {
  const style = severityStyle(finding.severity);
  const head: Span[] = [own(finding.severity.toUpperCase().padEnd(7), style), own(finding.rule, style), own('  '), ...place(finding.subject, finding.key)];
  if (finding.pointer !== '') head.push(own(' '), span(ident(finding.pointer)));
  const summary = (RULES as Record<string, { summary: string } | undefined>)[finding.rule]?.summary;
  const lines: Line[] = [{ depth: 1, spans: head }];
  if (summary !== undefined) lines.push({ depth: 5, spans: [own(summary, 'note')] });
  append(lines, argLines(finding.args, 5));
  return lines;
}

// -----------------------------------------------------------------------------------------------
// Layout: wrap by display columns, then colour.

const WIDE = /[\p{Emoji_Presentation}\u1100-\u115F\u2E80-\u303E\u3041-\u33FF\u3400-\u4DBF\u4E00-\u9FFF\uA000-\uA4CF\uAC00-\uD7A3\uF900-\uFAFF\uFE30-\uFE4F\uFF00-\uFF60\uFFE0-\uFFE6\u{20000}-\u{3FFFD}]/u;
const ZERO_WIDTH_MARK = /[\p{Mn}\p{Me}]/u;

/** Columns a code point takes in a terminal, for text that has been through sanitize(). */
export function columnsOf(ch: string): number {
  if (ZERO_WIDTH_MARK.test(ch)) return 0;
  return WIDE.test(ch) ? 2 : 1;
}

interface Cell {
  ch: string;
  style: Style;
}

/**
 * Any code unit that is not one cell of one column: a surrogate (an astral code point is two code
 * units in one cell), a combining mark, a wide character. A line without one, as nearly every line
 * of a diff is, is laid out by string index (narrowRows, paintNarrow) instead of a cell per code
 * point: the same rows and bytes, without an object per character.
 */
const NOT_NARROW = [SURROGATE, ZERO_WIDTH_MARK, WIDE];
/** Tab, printable ASCII, Latin-1 and the marks mcpm writes (… → ⏎ ⟨ ⟩): narrow, and one test for most lines. */
const COMMON_NARROW = /^[\t\x20-\x7e\u00a0-\u00ff\u2026\u2192\u23ce\u27e8\u27e9]*$/;

function isNarrow(text: string): boolean {
  return COMMON_NARROW.test(text) || !NOT_NARROW.some((re) => re.test(text));
}

function roomOf(line: Line, width: number): number {
  return Math.max(20, width - line.depth * INDENT - (line.hang ?? HANGING));
}

function wrapLine(line: Line, width: number): Cell[][] {
  const cells: Cell[] = [];
  for (const s of line.spans) for (const ch of s.text) cells.push({ ch, style: s.style });
  const room = roomOf(line, width);
  const rows: Cell[][] = [];
  let start = 0;
  while (start < cells.length) {
    let cols = 0;
    let end = start;
    let lastSpace = -1;
    while (end < cells.length) {
      const w = columnsOf(cells[end]!.ch);
      if (cols + w > room && end > start) break;
      cols += w;
      if (cells[end]!.ch === ' ') lastSpace = end;
      end += 1;
    }
    // Break after the last space when it leaves a reasonable line; otherwise break mid-word.
    if (end < cells.length && lastSpace > start + room / 3) end = lastSpace + 1;
    rows.push(cells.slice(start, end));
    start = end;
  }
  return rows.length === 0 ? [[]] : rows;
}

/** wrapLine for a narrow line (every code unit one cell of one column): each row as [start, end) of `text`. */
function narrowRows(text: string, room: number): [number, number][] {
  const rows: [number, number][] = [];
  for (let start = 0; start < text.length; ) {
    let end = Math.min(start + room, text.length);
    if (end < text.length) {
      const lastSpace = text.lastIndexOf(' ', end - 1);
      if (lastSpace > start + room / 3) end = lastSpace + 1;
    }
    rows.push([start, end]);
    start = end;
  }
  return rows.length === 0 ? [[0, 0]] : rows;
}

function paint(row: Cell[], color: boolean): string {
  if (!color) return row.map((c) => c.ch).join('');
  let out = '';
  let current: Style = 'plain';
  for (const cell of row) {
    if (cell.style !== current) {
      if (current !== 'plain') out += RESET;
      if (cell.style !== 'plain') out += ANSI[cell.style];
      current = cell.style;
    }
    out += cell.ch;
  }
  if (current !== 'plain') out += RESET;
  return out;
}

/** paint for text[start, end) of a narrow line, whose spans join to `text`: the same escapes, by span. */
function paintNarrow(spans: readonly Span[], text: string, start: number, end: number, color: boolean): string {
  if (!color) return text.slice(start, end);
  let out = '';
  let current: Style = 'plain';
  let at = 0;
  for (const s of spans) {
    const from = Math.max(at, start);
    at += s.text.length;
    const to = Math.min(at, end);
    if (from >= to) continue;
    if (s.style !== current) {
      if (current !== 'plain') out += RESET;
      if (s.style !== 'plain') out += ANSI[s.style];
      current = s.style;
    }
    out += text.slice(from, to);
  }
  if (current !== 'plain') out += RESET;
  return out;
}

/** Lines as terminal text: wrapped at the width by display columns, trailing spaces dropped, coloured if asked. */
export function layout(lines: readonly Line[], options: TextRenderOptions): string {
  return laidOut(lines, options, true);
}

/** layout with every line laid out a cell per code point: what the narrow lines' way must match (tests). */
export function layoutByCells(lines: readonly Line[], options: TextRenderOptions): string {
  return laidOut(lines, options, false);
}

function laidOut(lines: readonly Line[], options: TextRenderOptions, narrowByIndex: boolean): string {
  const width = options.width ?? DEFAULT_WIDTH;
  const out: string[] = [];
  // Wrapped rows hang two columns further in. Trailing spaces are dropped from each row (a change
  // in whitespace is still shown by its ⟨- -⟩/⟨+ +⟩ marker, and runs of more than 8 are counted);
  // this keeps golden files stable.
  const indentOf = (line: Line, row: number): string => ' '.repeat(line.depth * INDENT + (row > 0 ? (line.hang ?? HANGING) : 0));
  for (const line of lines) {
    const text = line.spans.length === 1 ? line.spans[0]!.text : line.spans.map((s) => s.text).join('');
    if (narrowByIndex && isNarrow(text)) {
      narrowRows(text, roomOf(line, width)).forEach(([start, stop], i) => {
        let end = stop;
        while (end > start && text.charCodeAt(end - 1) === 0x20) end -= 1;
        out.push(end === start ? '' : `${indentOf(line, i)}${paintNarrow(line.spans, text, start, end, options.color)}`);
      });
      continue;
    }
    wrapLine(line, width).forEach((row, i) => {
      let end = row.length;
      while (end > 0 && row[end - 1]!.ch === ' ') end -= 1;
      out.push(end === 0 ? '' : `${indentOf(line, i)}${paint(row.slice(0, end), options.color)}`);
    });
  }
  return `${out.join('\n')}\n`;
}

/**
 * One server's changes and findings as terminal text: a header, the findings (most severe first),
 * then each changed item and, for a modified one, every changed field by JSON pointer. Text fields
 * are word-diffed (`⟨-old-⟩⟨+new+⟩`) with their byte, code-point and invisible-character counts.
 */
export function renderChangesText(
  server: string,
  changes: readonly ItemChange[],
  findings: readonly Finding[],
  options: TextRenderOptions,
  /** What each change means for review (judge.ts); changes not in it are drift. */
  judged?: readonly JudgedChange[],
): string {
  const lines: Line[] = [];
  const summary = `${changes.length} change${changes.length === 1 ? '' : 's'}, ${findings.length} finding${findings.length === 1 ? '' : 's'}`;
  lines.push({ depth: 0, spans: [span(ident(server), 'heading'), own(`: ${summary}`)] });
  if (findings.length > 0) {
    lines.push({ depth: 0, spans: [own('findings', 'heading'), own(' (advice for the reviewer; approval is still yours)', 'note')] });
    for (const f of findings) append(lines, findingLines(f));
  }
  if (changes.length > 0) {
    lines.push({ depth: 0, spans: [own('changes', 'heading')] });
    // Looked up, not searched: a diff of thousands of changed items.
    const judgement = new Map<ItemChange, JudgedChange>();
    for (const j of judged ?? []) if (!judgement.has(j.change)) judgement.set(j.change, j);
    for (const change of changes) append(lines, itemLines(change, findings, judgement.get(change)));
  }
  return layout(lines, options);
}
