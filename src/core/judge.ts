/**
 * What each change between a lock entry and a live snapshot means for review, given what the
 * entry says about legitimate change: its accept rules, its optional items and its tombstones.
 * verify, install (also --frozen), diff, approve and the guard all decide with this one function,
 * so they cannot disagree about what needs a person.
 *
 * - review: drift, as before any rule existed.
 * - accepted: every changed field is covered by an accept rule (or is serverInfo.version alone,
 *   unless the rules say `serverVersion: "review"`): ok, and `install` refreshes the lock's copy.
 * - quarantined: a new item under `additive: "quarantine"`: not drift, but the guard withholds it
 *   until it is approved.
 * - optional-absent: an item marked optional that the server does not list now.
 *
 * It also names renames (a removed and an added item with the same body, or nearly), items that
 * come back after their removal was approved (diffed against their tombstone), and names that now
 * carry another locked item's body.
 */
import { acceptingRule, DEFAULT_ACCEPT_RULES, surfacePointerTokens, type AcceptRules } from './accept-rules.js';
import { canonicalize } from './canonical.js';
import { changesBetween, diffJson, type FieldChange, type ItemChange } from './changes.js';
import { jsonEqual } from './json-equal.js';
import type { JsonObject, JsonValue } from './json-strict.js';
import type { LockEntry } from './lockfile.js';
import { ITEM_KEY, ITEM_KINDS, snapshotIntegrity, type ItemKind, type Snapshot } from './snapshot.js';

export type Disposition = 'review' | 'accepted' | 'quarantined' | 'optional-absent';

export interface JudgedChange {
  change: ItemChange;
  disposition: Disposition;
  /** For 'accepted': the rule that accepted each field, in field order ('serverVersion' for the default). */
  rules?: string[];
}

export interface Judgement {
  /** Every change, in changesBetween's order. */
  changes: JudgedChange[];
}

/** No change needs a person. */
export function isSettled(judgement: Judgement): boolean {
  return judgement.changes.every((c) => c.disposition !== 'review');
}

export function changesWith(judgement: Judgement, disposition: Disposition): ItemChange[] {
  return judgement.changes.filter((c) => c.disposition === disposition).map((c) => c.change);
}

export function rulesOf(entry: Pick<LockEntry, 'accept'>): AcceptRules {
  return entry.accept ?? DEFAULT_ACCEPT_RULES;
}

export function isOptional(entry: Pick<LockEntry, 'optional'>, kind: ItemKind, key: string): boolean {
  return entry.optional?.[kind]?.includes(key) ?? false;
}

/** findings/index.ts's holdsHighHit, once registered (useStringRules). */
let holdsHighHit: ((subject: ItemChange['subject'], pointer: string, value: JsonValue, newKey: boolean) => boolean) | undefined;

/**
 * Gives acceptedBy the string rules, which an accept rule must pass (holdsHighHit). Registered by
 * the modules that judge live definitions: the one that snapshots servers, and the guard's wire
 * check. They are not imported here, because this module is in the start-up of `verify --offline`,
 * which never judges a live snapshot and must not load them.
 */
export function useStringRules(check: NonNullable<typeof holdsHighHit>): void {
  holdsHighHit = check;
}

/** Whether a field's new value says what a poisoned description says; the string rules must be registered. */
function poisoned(subject: ItemChange['subject'], field: FieldChange): boolean {
  if (holdsHighHit === undefined) throw new Error('Assertion failed: an accept rule judged before the string rules were registered (useStringRules)');
  return field.after !== undefined && holdsHighHit(subject, field.pointer, field.after, field.change === 'added');
}

/**
 * The accept rule that takes each of `fields` (the changed fields of item `key` of `subject`), or
 * undefined when a field is taken by none, or says what a poisoned description says: the one rule
 * verify (judgeEntry) and the guard (wire-check.ts) accept drift by.
 */
export function acceptedBy(rules: AcceptRules, subject: ItemChange['subject'], key: string, fields: readonly FieldChange[]): string[] | undefined {
  const accepting = fields.map((f) => acceptingRule(rules, surfacePointerTokens(subject, key, f.pointer), f.after));
  // A rule never takes a value that says what a poisoned description says: that one is reviewed.
  if (accepting.length === 0 || accepting.some((r) => r === undefined) || fields.some((f) => poisoned(subject, f))) return undefined;
  return accepting as string[];
}

/** The changes from the entry to `live`, annotated (renames, tombstones, moved names) and judged. Pure. */
export function judgeEntry(entry: Pick<LockEntry, 'snapshot' | 'accept' | 'optional' | 'tombstones'>, live: Snapshot): Judgement {
  if (snapshotIntegrity(entry.snapshot) === snapshotIntegrity(live)) return { changes: [] };
  const changes = annotatedChanges(entry, live);
  const rules = rulesOf(entry);
  return {
    changes: changes.map((change): JudgedChange => {
      if (change.change === 'added') {
        return { change, disposition: rules.additive === 'quarantine' && change.subject !== 'instructions' && change.subject !== 'serverInfo' && change.subject !== 'capabilities' ? 'quarantined' : 'review' };
      }
      if (change.change === 'removed') {
        const kind = change.subject;
        const optional = kind !== 'instructions' && kind !== 'serverInfo' && kind !== 'capabilities' && isOptional(entry, kind, change.key);
        return { change, disposition: optional ? 'optional-absent' : 'review' };
      }
      if (change.takesBodyOf !== undefined) return { change, disposition: 'review' };
      const accepting = acceptedBy(rules, change.subject, change.key, change.fields);
      return accepting === undefined ? { change, disposition: 'review' } : { change, disposition: 'accepted', rules: accepting };
    }),
  };
}

/** changesBetween, with renames paired, returning items diffed against their tombstone, and moved names marked. */
export function annotatedChanges(entry: Pick<LockEntry, 'snapshot' | 'tombstones'>, live: Snapshot): ItemChange[] {
  const changes = changesBetween(entry.snapshot, live);
  for (const kind of ITEM_KINDS) {
    const ofKind = changes.filter((c) => c.subject === kind);
    pairRenames(kind, ofKind);
    const modified = ofKind.filter((c) => c.change === 'modified').length;
    const lockedBody = modified === 0 ? undefined : bodyFinder(kind, [...entry.snapshot[kind]].map(([key, item]) => [key, item.definition] as const), modified);
    for (const c of ofKind) {
      if (c.change === 'added' && c.renamedFrom === undefined) {
        const tombstone = entry.tombstones?.[kind]?.get(c.key);
        if (tombstone) {
          c.tombstone = tombstone.definition;
          c.fields = diffJson(tombstone.definition, c.after!);
        }
      }
      if (c.change === 'modified') {
        const key = lockedBody!(bodyOf(kind, c.after), (candidate) => candidate !== c.key);
        if (key !== undefined) c.takesBodyOf = key;
      }
    }
  }
  return changes;
}

/** Most fields a near rename may differ in besides the key (a title, icons, _meta). */
const NEAR_RENAME_FIELDS = 2;

/** Fields a near rename may not differ in. */
const IDENTITY_FIELDS = ['/description', '/inputSchema', '/outputSchema', '/arguments'];

/**
 * Pairs each added item with a removed one of the same body: identical bodies first, then the
 * nearest within NEAR_RENAME_FIELDS changed fields outside IDENTITY_FIELDS, each in key order so the pairing is
 * deterministic. A paired added item gets the diff from the removed one as its fields.
 */
function pairRenames(kind: ItemKind, changes: ItemChange[]): void {
  const removed = changes.filter((c) => c.change === 'removed');
  const added = changes.filter((c) => c.change === 'added');
  if (removed.length === 0 || added.length === 0) return;
  const pair = (from: ItemChange, to: ItemChange): void => {
    from.renamedTo = to.key;
    to.renamedFrom = from.key;
    to.fields = diffJson(from.before!, to.after!);
  };
  const removedBody = bodyFinder(kind, removed.map((r) => [r, r.before] as const), added.length);
  for (const to of added) {
    const from = removedBody(bodyOf(kind, to.after), (r) => r.renamedTo === undefined);
    if (from) pair(from, to);
  }
  for (const to of added) {
    if (to.renamedFrom !== undefined) continue;
    let best: { from: ItemChange; distance: number } | undefined;
    for (const from of removed) {
      if (from.renamedTo !== undefined) continue;
      const fields = diffJson(bodyOf(kind, from.before), bodyOf(kind, to.after));
      // What the model reads of an item is what it is: a new description or schema is another item.
      if (fields.some((f) => IDENTITY_FIELDS.some((p) => f.pointer === p || f.pointer.startsWith(`${p}/`)))) continue;
      const distance = fields.length;
      if (distance <= NEAR_RENAME_FIELDS && (best === undefined || distance < best.distance)) best = { from, distance };
    }
    if (best) pair(best.from, to);
  }
}

/** Past this many body comparisons, bodies are looked up by their canonical text instead. */
const PAIRWISE_BODY_COMPARISONS = 50_000;

/**
 * A lookup of the first of `items` (in their order) that `accept`s and whose body equals a given
 * one, to be asked about `queries` bodies. A few questions compare pairwise, which costs nothing up
 * front; many (every tool of a big server changed, or renamed) go through an index of canonical
 * texts, so the cost stays linear: equal bodies are exactly those with equal canonical text.
 */
function bodyFinder<T>(kind: ItemKind, items: readonly (readonly [T, JsonValue | undefined])[], queries: number): (body: JsonObject, accept: (item: T) => boolean) => T | undefined {
  if (queries * items.length <= PAIRWISE_BODY_COMPARISONS) {
    const bodies = items.map(([item, definition]) => [item, bodyOf(kind, definition)] as const);
    return (body, accept) => bodies.find(([item, other]) => accept(item) && jsonEqual(other, body))?.[0];
  }
  const byText = new Map<string, T[]>();
  for (const [item, definition] of items) {
    const text = canonicalize(bodyOf(kind, definition));
    const list = byText.get(text);
    if (list) list.push(item);
    else byText.set(text, [item]);
  }
  return (body, accept) => byText.get(canonicalize(body))?.find(accept);
}

/** The definition without its key field: what stays the same across a rename. */
function bodyOf(kind: ItemKind, definition: JsonValue | undefined): JsonObject {
  const body = Object.create(null) as JsonObject;
  if (definition === null || typeof definition !== 'object' || Array.isArray(definition)) return body;
  const keyField = ITEM_KEY[kind];
  for (const k of Object.keys(definition)) if (k !== keyField) body[k] = definition[k]!;
  return body;
}
