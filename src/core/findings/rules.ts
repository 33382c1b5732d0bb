/**
 * The findings' shared vocabulary: the rule table (ids, summaries), Finding, severities and their
 * order, and the Hit a string rule returns before it is placed.
 */
import type { ChangeSubject, ItemChange } from '../changes.js';
import type { Snapshot } from '../snapshot.js';

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
  'returned-after-removal': { summary: 'item was removed with approval before and is back (compare it with its tombstone)' },
  'name-takes-other-body': { summary: "name now carries another locked item's definition (calls meant for it run the other)" },
} as const satisfies Record<string, { summary: string }>;

export type RuleId = keyof typeof RULES;

const SEVERITY_ORDER: Record<Severity, number> = { high: 0, medium: 1, low: 2 };

/** Negative when `a` is more severe than `b` (high, medium, low): sorts high first. */
export function compareSeverity(a: Severity, b: Severity): number {
  return SEVERITY_ORDER[a] - SEVERITY_ORDER[b];
}

/** 0 for high, 1 for medium, 2 for low: what compareSeverity compares. */
export function severityRank(severity: Severity): number {
  return SEVERITY_ORDER[severity];
}

/** What a string rule found in one string, before it is placed (subject, key, pointer). */
export interface Hit {
  rule: RuleId;
  severity: Severity;
  /** What makes this hit the same as one in the locked text (so unchanged text is not re-flagged). */
  identity: string;
  args: Record<string, string | number>;
}
