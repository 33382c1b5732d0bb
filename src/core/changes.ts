import { integrityOf } from './canonical.js';
import { jsonEqual } from './json-equal.js';
import { isJsonObject, type JsonObject, type JsonValue } from './json-strict.js';
import { ITEM_KINDS, ITEM_NOUN, newSnapshot, type ItemKind, type Snapshot } from './snapshot.js';

/** The parts of a snapshot a change can be about: the four item lists and the server-level fields. */
export type ChangeSubject = ItemKind | 'instructions' | 'serverInfo' | 'capabilities';

/** The order changes (and findings) are listed in: who the server says it is, then what it offers. */
export const CHANGE_SUBJECTS: readonly ChangeSubject[] = ['serverInfo', 'capabilities', 'instructions', ...ITEM_KINDS];

/** What a change is about, in words, for messages: the field name, or the item noun ("resource template"). */
export const SUBJECT_NOUN: Record<ChangeSubject, string> = {
  serverInfo: 'serverInfo',
  capabilities: 'capabilities',
  instructions: 'instructions',
  ...ITEM_NOUN,
};

export interface FieldChange {
  /** RFC 6901 JSON pointer inside the item's definition ('' for the whole value). */
  pointer: string;
  change: 'added' | 'removed' | 'modified';
  before?: JsonValue;
  after?: JsonValue;
}

export interface ItemChange {
  subject: ChangeSubject;
  /** The item's key (tool name, uri, …); '' for server-level subjects. */
  key: string;
  change: 'added' | 'removed' | 'modified';
  /** The whole locked value (absent when added). */
  before?: JsonValue;
  /** The whole live value (absent when removed). */
  after?: JsonValue;
  /**
   * For 'modified': every changed leaf or subtree, in pointer order. For 'added': empty, or the
   * diff from the removed item it was renamed from (renamedFrom) or from its tombstone. Empty for
   * 'removed'.
   */
  fields: FieldChange[];
  /** 'added': the key of the removed item with the same (or nearly the same) body. */
  renamedFrom?: string;
  /** 'removed': the key of the added item it was renamed to. */
  renamedTo?: string;
  /** 'added': the item's last approved definition before its removal was approved. */
  tombstone?: JsonValue;
  /** 'modified': another locked item whose definition this item now has (a name moved onto another body). */
  takesBodyOf?: string;
}

/** RFC 6901: `~` is written `~0` and `/` is written `~1`, in that order. */
export function escapePointerToken(token: string): string {
  // Most keys have neither character: no regular expression runs for them.
  if (!token.includes('~') && !token.includes('/')) return token;
  return token.replace(/~/g, '~0').replace(/\//g, '~1');
}

export function pointerOf(tokens: readonly string[]): string {
  return tokens.map((t) => `/${escapePointerToken(t)}`).join('');
}

/** The tokens of an RFC 6901 pointer ('' → []). */
export function pointerTokens(pointer: string): string[] {
  if (pointer === '') return [];
  return pointer
    .slice(1)
    .split('/')
    .map((t) => t.replace(/~1/g, '/').replace(/~0/g, '~'));
}

/** The value at a pointer, or undefined when there is none. Own keys only (objects are null-prototype anyway). */
export function valueAt(value: JsonValue | undefined, pointer: string): JsonValue | undefined {
  let current = value;
  for (const token of pointerTokens(pointer)) {
    if (Array.isArray(current)) {
      if (!/^(0|[1-9][0-9]*)$/.test(token)) return undefined;
      current = current[Number(token)];
    } else if (isJsonObject(current) && Object.prototype.hasOwnProperty.call(current, token)) {
      current = current[token];
    } else {
      return undefined;
    }
  }
  return current;
}

/** UTF-16 code-unit order, the order JCS sorts keys in; never locale-dependent. */
export function compareCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function isScalar(value: JsonValue): boolean {
  return value === null || typeof value !== 'object';
}

/**
 * Every difference between two JSON values as pointer-addressed field changes, in pointer order
 * (object keys in code-unit order, array elements by index).
 *
 * Objects are compared key by key, so a renamed property reads as one removed and one added.
 * Arrays of objects are compared element by element by index: the model sees the order, so a
 * moved element is a change. Arrays of scalars only (`required`, `enum`, `type: [...]`) are one
 * field with the whole before and after: "b removed from /inputSchema/required" reads better as
 * `["a","b"]` → `["a"]` than as index shuffles.
 */
export function diffJson(before: JsonValue, after: JsonValue, pointer = ''): FieldChange[] {
  const out: FieldChange[] = [];
  walkDiff(before, after, pointer, out);
  return out;
}

function walkDiff(before: JsonValue, after: JsonValue, pointer: string, out: FieldChange[]): void {
  if (jsonEqual(before, after)) return;
  if (isJsonObject(before) && isJsonObject(after)) {
    const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort(compareCodeUnits);
    for (const key of keys) {
      const at = `${pointer}/${escapePointerToken(key)}`;
      const inBefore = Object.prototype.hasOwnProperty.call(before, key);
      const inAfter = Object.prototype.hasOwnProperty.call(after, key);
      if (inBefore && inAfter) walkDiff(before[key]!, after[key]!, at, out);
      else if (inBefore) out.push({ pointer: at, change: 'removed', before: before[key]! });
      else out.push({ pointer: at, change: 'added', after: after[key]! });
    }
    return;
  }
  if (Array.isArray(before) && Array.isArray(after) && !(before.every(isScalar) && after.every(isScalar))) {
    const length = Math.max(before.length, after.length);
    for (let i = 0; i < length; i += 1) {
      const at = `${pointer}/${i}`;
      if (i < before.length && i < after.length) walkDiff(before[i]!, after[i]!, at, out);
      else if (i < before.length) out.push({ pointer: at, change: 'removed', before: before[i]! });
      else out.push({ pointer: at, change: 'added', after: after[i]! });
    }
    return;
  }
  out.push({ pointer, change: 'modified', before, after });
}

function compareChanges(a: ItemChange, b: ItemChange): number {
  const bySubject = CHANGE_SUBJECTS.indexOf(a.subject) - CHANGE_SUBJECTS.indexOf(b.subject);
  return bySubject !== 0 ? bySubject : compareCodeUnits(a.key, b.key);
}

function serverLevel(subject: ChangeSubject, before: JsonValue | undefined, after: JsonValue | undefined): ItemChange | null {
  if (before === undefined) return after === undefined ? null : { subject, key: '', change: 'added', after, fields: [] };
  if (after === undefined) return { subject, key: '', change: 'removed', before, fields: [] };
  // diffJson is empty exactly when the two are equal: one walk decides and describes.
  const fields = diffJson(before, after);
  return fields.length === 0 ? null : { subject, key: '', change: 'modified', before, after, fields };
}

/**
 * Every difference between the locked and the live snapshot, sorted by subject (CHANGE_SUBJECTS)
 * then key in code-unit order. An empty serverInfo or capabilities object counts as absent, so a
 * first lock (compared with an empty snapshot) lists them as added. Pure.
 */
export function changesBetween(locked: Snapshot, live: Snapshot): ItemChange[] {
  const out: ItemChange[] = [];
  const objectOrAbsent = (o: JsonObject): JsonObject | undefined => (Object.keys(o).length === 0 ? undefined : o);
  for (const change of [
    serverLevel('serverInfo', objectOrAbsent(locked.serverInfo), objectOrAbsent(live.serverInfo)),
    serverLevel('capabilities', objectOrAbsent(locked.capabilities), objectOrAbsent(live.capabilities)),
    serverLevel('instructions', locked.instructions, live.instructions),
  ]) {
    if (change) out.push(change);
  }
  for (const subject of ITEM_KINDS) {
    const before = locked[subject];
    const after = live[subject];
    for (const [key, item] of before) {
      const next = after.get(key);
      if (next === undefined) {
        out.push({ subject, key, change: 'removed', before: item.definition, fields: [] });
      } else if (integrityOf(item.definition) !== integrityOf(next.definition)) {
        // Equal integrities are equal definitions, and both are hashed already (integrityOf caches
        // per definition): one cheap comparison instead of a walk of both trees before diffJson's own.
        const fields = diffJson(item.definition, next.definition);
        if (fields.length > 0) out.push({ subject, key, change: 'modified', before: item.definition, after: next.definition, fields });
      }
    }
    for (const [key, item] of after) {
      if (!before.has(key)) out.push({ subject, key, change: 'added', after: item.definition, fields: [] });
    }
  }
  return out.sort(compareChanges);
}

/** A snapshot with nothing in it: what a first lock is compared with. */
export function emptySnapshot(): Snapshot {
  return newSnapshot(Object.create(null) as JsonObject, Object.create(null) as JsonObject);
}
