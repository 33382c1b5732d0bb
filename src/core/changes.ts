// STUB: types are final; implementation pending (helper "diff-findings").
import type { JsonValue } from './json-strict.js';
import type { ItemKind, Snapshot } from './snapshot.js';

/** The parts of a snapshot a change can be about: the four item lists and the server-level fields. */
export type ChangeSubject = ItemKind | 'instructions' | 'serverInfo' | 'capabilities';

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
  before?: JsonValue;
  after?: JsonValue;
  /** For 'modified': every changed leaf or subtree, in pointer order. */
  fields: FieldChange[];
}

/** Every difference between the locked and the live snapshot, sorted by subject then key. Pure. */
export function changesBetween(_locked: Snapshot, _live: Snapshot): ItemChange[] {
  throw new Error('not implemented');
}
