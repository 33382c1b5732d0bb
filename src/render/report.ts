/**
 * What install, verify and ls print about statuses: a short summary of each drift (what changed,
 * the top findings), item counts, and the JSON form of the contract. The changes and findings
 * themselves are computed in app/report.ts.
 */
import type { ItemChange } from '../core/changes.js';
import type { Finding } from '../core/findings/rules.js';
import { sanitize, type SafeText } from '../core/sanitize.js';
import type { ServerStatus } from '../core/status.js';
import { ITEM_KINDS, snapshotIntegrity, type Snapshot } from '../core/snapshot.js';
import type { StatusLine } from './status-text.js';

export interface DescribedStatus extends StatusLine {
  changes?: ItemChange[];
  findings?: Finding[];
}

export function countItems(snapshot: Snapshot): string {
  const parts: string[] = [];
  for (const kind of ITEM_KINDS) {
    const n = snapshot[kind].size;
    if (n > 0) parts.push(`${n} ${kind === 'resourceTemplates' ? 'templates' : kind}`.replace(/^1 (\w+)s$/, '1 $1'));
  }
  return parts.length > 0 ? parts.join(', ') : 'nothing listed';
}

export function describeFinding(f: Finding): SafeText {
  const where = f.key ? `${subjectLabel(f.subject)} ${JSON.stringify(f.key)}` : subjectLabel(f.subject);
  const ptr = f.pointer ? ` at ${f.pointer}` : '';
  const decoded = typeof f.args.decoded === 'string' ? ` (hidden text: ${JSON.stringify(f.args.decoded)})` : '';
  return sanitize(`${f.severity.padEnd(6)} ${f.rule}: ${where}${ptr}${decoded}`);
}

const SEVERITY_MEANING = {
  high: 'high = worded like an attack',
  medium: 'medium = read the text it points at',
  low: 'low = worth a look, not an alarm',
} as const;

/**
 * One line that says what the severities printed above mean, so that a first `install` of a
 * well-known server with a `low` finding (a URL in a description) is not read as an alarm.
 * Undefined when there are no findings.
 */
export function findingsLegend(findings: readonly Finding[]): string | undefined {
  const present = (['high', 'medium', 'low'] as const).filter((s) => findings.some((f) => f.severity === s));
  if (present.length === 0) return undefined;
  return `findings: ${present.map((s) => SEVERITY_MEANING[s]).join('; ')} (install --strict refuses high ones)`;
}

function subjectLabel(subject: string): string {
  switch (subject) {
    case 'tools':
      return 'tool';
    case 'prompts':
      return 'prompt';
    case 'resources':
      return 'resource';
    case 'resourceTemplates':
      return 'template';
    default:
      return subject;
  }
}

export function describeChange(c: ItemChange): SafeText {
  const what = c.key ? `${subjectLabel(c.subject)} ${JSON.stringify(c.key)}` : subjectLabel(c.subject);
  if (c.change !== 'modified') return sanitize(`${c.change} ${what}`);
  const fields = c.fields.map((f) => f.pointer || '(whole value)');
  const shown = fields.slice(0, 4).join(', ');
  return sanitize(`modified ${what}: ${shown}${fields.length > 4 ? ` and ${fields.length - 4} more` : ''}`);
}

/** Up to 3 findings and 5 changes, with a count of the rest: the notes under a drifted server. */
export function summariseDrift(changes: ItemChange[], findings: Finding[]): SafeText[] {
  const notes: SafeText[] = [];
  for (const f of findings.slice(0, 3)) notes.push(describeFinding(f));
  if (findings.length > 3) notes.push(sanitize(`… and ${findings.length - 3} more findings`));
  for (const c of changes.slice(0, 5)) notes.push(describeChange(c));
  if (changes.length > 5) notes.push(sanitize(`… and ${changes.length - 5} more changes`));
  return notes;
}

export function statusesToJson(statuses: readonly ServerStatus[], lines: readonly DescribedStatus[]) {
  return {
    servers: statuses.map((s, i) => {
      const line = lines[i];
      return {
        name: s.name,
        status: s.status,
        ...(line?.action ? { action: line.action } : {}),
        ...(s.locked ? { lockedIntegrity: s.locked.integrity } : {}),
        ...(s.live ? { liveIntegrity: snapshotIntegrity(s.live) } : {}),
        ...(s.error ? { error: s.error } : {}),
        ...(s.denial ? { denial: s.denial } : {}),
        ...(line?.changes
          ? {
              changes: line.changes.map((c) => ({
                subject: c.subject,
                key: c.key,
                change: c.change,
                fields: c.fields.map((f) => f.pointer),
              })),
            }
          : {}),
        ...(line?.findings ? { findings: line.findings } : {}),
      };
    }),
  };
}
