// Machine output of `mcpm diff --json` for one server (docs/json-output.md). Values are the raw
// server values: JSON.stringify escapes every control character and lone surrogate, so the JSON
// text is safe to print, and consumers get the exact strings to compare or hash. Anything that
// shows these strings to a person must escape them itself.
import type { ChangeSubject, ItemChange } from '../core/changes.js';
import type { Finding, Severity } from '../core/findings/rules.js';
import type { JsonValue } from '../core/json-strict.js';
import type { JudgedChange } from '../core/judge.js';
import { changeAnnotationsJson } from './report.js';

export interface FieldChangeJson {
  pointer: string;
  change: 'added' | 'removed' | 'modified';
  before?: JsonValue;
  after?: JsonValue;
}

export interface ItemChangeJson {
  subject: ChangeSubject;
  key: string;
  change: 'added' | 'removed' | 'modified';
  /** The whole removed value; only when change is 'removed'. */
  before?: JsonValue;
  /** The whole added value; only when change is 'added'. */
  after?: JsonValue;
  /** For 'modified': every changed field in pointer order; [] otherwise. */
  fields: FieldChangeJson[];
}

export interface FindingJson {
  rule: string;
  severity: Severity;
  subject: ChangeSubject;
  key: string;
  pointer: string;
  args: Record<string, string | number>;
}

export interface ServerChangesJson {
  name: string;
  status: string;
  changes: ItemChangeJson[];
  findings: FindingJson[];
}

function fieldJson(field: ItemChange['fields'][number]): FieldChangeJson {
  const out: FieldChangeJson = { pointer: field.pointer, change: field.change };
  if (field.before !== undefined) out.before = field.before;
  if (field.after !== undefined) out.after = field.after;
  return out;
}

function changeJson(change: ItemChange): ItemChangeJson {
  const out: ItemChangeJson = { subject: change.subject, key: change.key, change: change.change, fields: [] };
  if (change.change === 'removed' && change.before !== undefined) out.before = change.before;
  if (change.change === 'added' && change.after !== undefined) out.after = change.after;
  out.fields = change.fields.map(fieldJson);
  return out;
}

function findingJson(finding: Finding): FindingJson {
  const args = Object.create(null) as Record<string, string | number>;
  for (const k of Object.keys(finding.args).sort()) args[k] = finding.args[k]!;
  return { rule: finding.rule, severity: finding.severity, subject: finding.subject, key: finding.key, pointer: finding.pointer, args };
}

/** One server's entry in `diff --json`: `{ name, status, changes, findings }`, raw values, JSON-able. */
export function renderChangesJson(
  server: string,
  status: string,
  changes: readonly ItemChange[],
  findings: readonly Finding[],
  judged?: readonly JudgedChange[],
): ServerChangesJson {
  return { name: server, status, changes: changes.map((c) => ({ ...changeJson(c), ...changeAnnotationsJson(c, judged) })), findings: findings.map(findingJson) };
}

