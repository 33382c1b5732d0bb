// STUB: types are final; implementation pending (helper "diff-findings").
import type { ChangeSubject, ItemChange } from './changes.js';
import type { Snapshot } from './snapshot.js';

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

export function findingsFor(_context: FindingContext): Finding[] {
  throw new Error('not implemented');
}
