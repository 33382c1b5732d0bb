/**
 * A server's accept rules, kept in its lock entry: which changes need no re-review. They live in the
 * lock (not in a user setting) so that they are reviewed in the pull request that sets them and
 * covered by the entry's integrity like the definitions they relax.
 *
 * Pattern syntax: an RFC 6901 JSON pointer into the server's surface, whose first segment is the
 * subject (`serverInfo` — `server` is read as the same —, `capabilities`, `instructions`, `tools`,
 * `prompts`, `resources`, `resourceTemplates`), the second the item's key for the item lists, then
 * the path inside the definition. A segment that is exactly `*` matches any one segment; a segment
 * that is exactly `**` matches any number of segments, none included. Every other segment is
 * literal after `~1` → `/` and `~0` → `~`. A pattern also covers everything below what it matches
 * (`/tools/*\/icons` covers `/tools/x/icons/0/src`).
 *
 * What no pattern may cover (FORBIDDEN_FIELDS): the text and schemas the model reads and the hints
 * hosts auto-approve on. A rule that could match any of them is refused when the lock is read, and
 * a change to them is never accepted even if a rule matched it anyway (defence in depth). A change
 * to a member named `description` anywhere, or to a value holding one, is never accepted either.
 */
import { pointerTokens } from './changes.js';
import { McpmError } from './errors.js';
import { jsonQuote, type JsonValue } from './json-strict.js';

export interface AcceptRules {
  /** Patterns of fields whose changes are accepted, as written (sorted, unique). */
  fields: string[];
  /** 'quarantine': a new item is not drift; the guard withholds it until it is approved. */
  additive: 'drift' | 'quarantine';
  /** 'accept' (the default): a change of serverInfo.version alone needs no review. */
  serverVersion: 'accept' | 'review';
}

export const DEFAULT_ACCEPT_RULES: Readonly<AcceptRules> = Object.freeze({ fields: [], additive: 'drift', serverVersion: 'accept' });

/** The subjects a pattern may start with, `server` being read as `serverInfo`. */
const SUBJECTS = new Set(['serverInfo', 'server', 'capabilities', 'instructions', 'tools', 'prompts', 'resources', 'resourceTemplates']);

/**
 * Where no accept rule may reach: what widens what the model reads (descriptions, instructions,
 * input and output schemas, prompt arguments) and the annotation hints hosts act on (a flipped
 * readOnlyHint gets a tool auto-approved).
 */
export const FORBIDDEN_FIELDS: readonly string[] = [
  '/instructions',
  '/serverInfo/description',
  '/serverInfo/instructions',
  '/tools/*/description',
  '/tools/*/inputSchema',
  '/tools/*/outputSchema',
  '/tools/*/annotations/readOnlyHint',
  '/tools/*/annotations/destructiveHint',
  '/tools/*/annotations/idempotentHint',
  '/tools/*/annotations/openWorldHint',
  '/prompts/*/description',
  '/prompts/*/arguments',
  '/resources/*/description',
  '/resourceTemplates/*/description',
];

const FORBIDDEN_TOKENS = FORBIDDEN_FIELDS.map((f) => pointerTokens(f));

/** The pattern's segments, `server` read as `serverInfo`; null when it is not a pointer at all. */
function patternTokens(pattern: string): string[] | null {
  if (!pattern.startsWith('/')) return null;
  const tokens = pointerTokens(pattern);
  if (tokens[0] === 'server') tokens[0] = 'serverInfo';
  return tokens;
}

/** Why `pattern` cannot be an accept rule, or undefined when it can. */
export function refusalOf(pattern: string): string | undefined {
  const tokens = patternTokens(pattern);
  if (tokens === null) return 'a pattern is a JSON pointer and starts with "/"';
  if (/~[^01]|~$/.test(pattern)) return 'a "~" must be written "~0" or "~1" (RFC 6901)';
  const subject = tokens[0];
  if (subject === undefined || !SUBJECTS.has(subject)) {
    return `the first segment must be one of ${[...SUBJECTS].join(', ')}`;
  }
  const isList = subject === 'tools' || subject === 'prompts' || subject === 'resources' || subject === 'resourceTemplates';
  // `/tools/*` alone would accept whole definitions; it is refused below as covering descriptions.
  if (isList && tokens.length < 2) return `"/${subject}" alone would accept every change to every item`;
  const covered = FORBIDDEN_FIELDS.find((_, i) => overlaps([...tokens, '**'], [...FORBIDDEN_TOKENS[i]!, '**']));
  if (covered !== undefined) return `it could accept changes to ${covered}, which no rule may cover`;
  return undefined;
}

/** Throws USAGE for a pattern `mcpm accept` or `approve --accept-field` was given that cannot be a rule. */
export function assertAcceptable(pattern: string): void {
  const why = refusalOf(pattern);
  if (why !== undefined) {
    throw new McpmError('ACCEPT_RULE_REFUSED', `accept rule ${jsonQuote(pattern)} is refused: ${why}`, 'see "Accept rules" in docs/lockfile.md for what a rule may cover');
  }
}

/**
 * Whether two segment patterns (`*` one segment, `**` any number) can match one same pointer.
 * Memoised over positions, so a pair of `**` cannot loop.
 */
function overlaps(a: readonly string[], b: readonly string[]): boolean {
  const memo = new Map<number, boolean>();
  const visit = (i: number, j: number): boolean => {
    const key = i * (b.length + 1) + j;
    const known = memo.get(key);
    if (known !== undefined) return known;
    memo.set(key, false);
    let result = false;
    if (i === a.length && j === b.length) result = true;
    else if (i < a.length && a[i] === '**' && visit(i + 1, j)) result = true;
    else if (j < b.length && b[j] === '**' && visit(i, j + 1)) result = true;
    else if (i < a.length && j < b.length && segmentsMeet(a[i]!, b[j]!)) {
      result = visit(a[i] === '**' ? i : i + 1, b[j] === '**' ? j : j + 1);
    }
    memo.set(key, result);
    return result;
  };
  return visit(0, 0);
}

function segmentsMeet(a: string, b: string): boolean {
  return a === '*' || a === '**' || b === '*' || b === '**' || a === b;
}

/** Whether `pattern` (with everything below it) matches the pointer `tokens`. */
function matches(pattern: readonly string[], tokens: readonly string[]): boolean {
  const memo = new Map<number, boolean>();
  const visit = (i: number, j: number): boolean => {
    if (i === pattern.length) return true;
    const key = i * (tokens.length + 1) + j;
    const known = memo.get(key);
    if (known !== undefined) return known;
    const p = pattern[i]!;
    let result: boolean;
    if (p === '**') result = visit(i + 1, j) || (j < tokens.length && visit(i, j + 1));
    else result = j < tokens.length && (p === '*' || p === tokens[j]) && visit(i + 1, j + 1);
    memo.set(key, result);
    return result;
  };
  return visit(0, 0);
}

/** The full pointer of a field: subject, the item's key for item lists, then the path inside. */
export function surfacePointerTokens(subject: string, key: string, pointer: string): string[] {
  const inside = pointerTokens(pointer);
  if (subject === 'serverInfo' || subject === 'capabilities' || subject === 'instructions') return [subject, ...inside];
  return [subject, key, ...inside];
}

/** Whether a value has a member named `description` at any depth. Iterative: values come from servers. */
function holdsDescription(value: JsonValue | undefined): boolean {
  const stack: (JsonValue | undefined)[] = [value];
  while (stack.length > 0) {
    const v = stack.pop();
    if (v === null || typeof v !== 'object') continue;
    if (Array.isArray(v)) stack.push(...v);
    else {
      if (Object.prototype.hasOwnProperty.call(v, 'description')) return true;
      stack.push(...Object.values(v));
    }
  }
  return false;
}

/** Whether a change at this pointer may ever be accepted by a rule. */
export function isForbiddenField(tokens: readonly string[]): boolean {
  if (tokens.slice(2).includes('description') || (tokens[0] === 'serverInfo' && tokens.includes('description'))) return true;
  return FORBIDDEN_TOKENS.some((f) => matches(f, tokens));
}

/**
 * What the default serverVersion rule takes as a new version: numbers and dots (an optional `v`),
 * then at most a short pre-release and build tag, as semver and calendar versions are written.
 * Anything else (words strung with underscores, prose, markup, control characters) is text a host
 * may show, so it is reviewed: a version is a channel to the reader like any other string.
 */
const VERSION_LIKE = /^v?[0-9]{1,10}(\.[0-9]{1,10}){0,3}(-[0-9A-Za-z.]{1,16})?(\+[0-9A-Za-z.]{1,16})?$/;

/**
 * The rule that accepts a change at `tokens` (from surfacePointerTokens) to the value `after`
 * (undefined when removed), or undefined.
 */
export function acceptingRule(rules: Pick<AcceptRules, 'fields' | 'serverVersion'>, tokens: readonly string[], after?: JsonValue): string | undefined {
  // A description can also arrive inside an accepted subtree (`_meta` added whole, an icon object).
  if (isForbiddenField(tokens) || holdsDescription(after)) return undefined;
  const isVersion = tokens.length === 2 && tokens[0] === 'serverInfo' && tokens[1] === 'version';
  if (isVersion && rules.serverVersion === 'accept' && typeof after === 'string' && VERSION_LIKE.test(after)) return 'serverVersion';
  return rules.fields.find((pattern) => {
    const p = patternTokens(pattern);
    return p !== null && matches(p, tokens);
  });
}
