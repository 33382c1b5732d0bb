/**
 * The word diff of one changed text field, bounded: for `mcpm diff` and the approve review alike.
 * Whitespace counts (`diffWordsWithSpace` never hides a change in spacing). The diff's cost grows
 * with the square of the edits, so past WORD_EDIT_LIMIT edited tokens it gives up (null: show the
 * old and new text whole); and at most SHOWN_WORD_CHANGES changes are kept, the rest counted, so a
 * review of thousands of changed tools stays fast and readable.
 */
import { diffWordsWithSpace } from 'diff';
import { skeletonOf } from './findings/names.js';
import { sanitize } from './sanitize.js';

/** Edited tokens (words, spaces, punctuation) past which a word diff is no help. */
export const WORD_EDIT_LIMIT = 60;
/** Changes shown per field; a removed text replaced by an added one is one change. */
export const SHOWN_WORD_CHANGES = 25;

export interface WordPart {
  op: 'same' | 'added' | 'removed';
  text: string;
}

export interface BoundedWordDiff {
  /** The parts up to and including the last change shown. */
  parts: WordPart[];
  /** Changes after those, not shown. */
  elided: number;
}

const SPACE = /\s/;
const WORD = /[\p{L}\p{N}\p{M}_]/u;

/** Whether `text` may be cut at `at` without splitting a word, a run of white space or a surrogate pair. */
function cuttable(text: string, at: number): boolean {
  if (at === 0 || at === text.length) return true;
  const [a, b] = [text[at - 1]!, text[at]!];
  if ((WORD.test(a) && WORD.test(b)) || (SPACE.test(a) && SPACE.test(b))) return false;
  const high = text.charCodeAt(at - 1);
  const low = text.charCodeAt(at);
  return !(high >= 0xd800 && high <= 0xdbff && low >= 0xdc00 && low <= 0xdfff);
}

/**
 * The unchanged start and end of two texts, cut between tokens in both, so that text added or
 * removed in one piece, however long, is one edit and not one per word.
 */
function commonEnds(before: string, after: string): [prefix: number, suffix: number] {
  const shorter = Math.min(before.length, after.length);
  let prefix = 0;
  while (prefix < shorter && before[prefix] === after[prefix]) prefix += 1;
  while (prefix > 0 && !(cuttable(before, prefix) && cuttable(after, prefix))) prefix -= 1;
  let suffix = 0;
  while (suffix < shorter - prefix && before[before.length - 1 - suffix] === after[after.length - 1 - suffix]) suffix += 1;
  while (suffix > 0 && !(cuttable(before, before.length - suffix) && cuttable(after, after.length - suffix))) suffix -= 1;
  return [prefix, suffix];
}

interface RawPart {
  value: string;
  added?: boolean;
  removed?: boolean;
}

/**
 * The word diff's parts. Text added or removed in one piece (however long: an appended paragraph)
 * is found from the common ends without a diff, since the diff would count each of its tokens
 * as an edit.
 */
function rawParts(before: string, after: string): RawPart[] | undefined {
  const [prefix, suffix] = commonEnds(before, after);
  const removed = before.slice(prefix, before.length - suffix);
  const added = after.slice(prefix, after.length - suffix);
  if (removed !== '' && added !== '') return diffWordsWithSpace(before, after, { maxEditLength: WORD_EDIT_LIMIT });
  const parts: RawPart[] = [];
  if (prefix > 0) parts.push({ value: before.slice(0, prefix) });
  if (removed !== '') parts.push({ value: removed, removed: true });
  if (added !== '') parts.push({ value: added, added: true });
  if (suffix > 0) parts.push({ value: before.slice(before.length - suffix) });
  return parts;
}

export function boundedWordDiff(before: string, after: string): BoundedWordDiff | null {
  const raw = rawParts(before, after);
  if (raw === undefined) return null;
  const parts: WordPart[] = [];
  let changes = 0;
  let elided = 0;
  for (let i = 0; i < raw.length; i += 1) {
    const part = raw[i]!;
    const op = part.added ? 'added' : part.removed ? 'removed' : 'same';
    if (op === 'same') {
      if (changes < SHOWN_WORD_CHANGES) parts.push({ op, text: part.value });
      continue;
    }
    // A removal followed by an addition is one change (a replacement).
    const replaced = op === 'removed' && raw[i + 1]?.added === true;
    if (changes < SHOWN_WORD_CHANGES) {
      parts.push({ op, text: part.value });
      if (replaced) parts.push({ op: 'added', text: raw[i + 1]!.value });
      changes += 1;
    } else elided += 1;
    if (replaced) i += 1;
  }
  // Unchanged text after the last change shown would read as if nothing more changed.
  if (elided > 0) while (parts.length > 0 && parts[parts.length - 1]!.op === 'same') parts.pop();
  return { parts, elided };
}

/**
 * Whether a removed piece and the piece added in its place look alike once escaped (NFC vs NFD, a
 * Cyrillic letter for a Latin one, a change of case): both views of a diff then show the pair code
 * point by code point, so a "changed" text that looks unchanged explains itself.
 */
export function looksAlike(before: string, after: string): boolean {
  if (before === after) return false;
  return sanitize(before) === sanitize(after) || before.normalize('NFKC') === after.normalize('NFKC') || skeletonOf(before.trim()) === skeletonOf(after.trim());
}
