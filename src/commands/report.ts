/**
 * Turns statuses into what install, verify and ls print: a status line per server, a short
 * summary of each drift (what changed, the top findings) and the JSON form of the contract.
 */
import type { ItemChange } from '../core/changes.js';
import type { Finding } from '../core/findings/rules.js';
import { sanitize, type SafeText } from '../core/sanitize.js';
import type { ServerStatus } from '../core/status.js';
import { ITEM_KINDS, snapshotIntegrity, type Snapshot } from '../core/snapshot.js';
import type { StatusLine } from '../render/status-text.js';

export interface DescribedStatus extends StatusLine {
  changes?: ItemChange[];
  findings?: Finding[];
}

const SEVERITY_ORDER = { high: 0, medium: 1, low: 2 } as const;

export function countItems(snapshot: Snapshot): string {
  const parts: string[] = [];
  for (const kind of ITEM_KINDS) {
    const n = snapshot[kind].size;
    if (n > 0) parts.push(`${n} ${kind === 'resourceTemplates' ? 'templates' : kind}`.replace(/^1 (\w+)s$/, '1 $1'));
  }
  return parts.length > 0 ? parts.join(', ') : 'nothing listed';
}

/** Findings of servers whose snapshot is new to the lock (a server can be poisoned from day one). */
export async function firstLockFindings(name: string, live: Snapshot, others: ReadonlyMap<string, Snapshot>): Promise<Finding[]> {
  const { findingsFor } = await import('../core/findings/index.js');
  return sortFindings(findingsFor({ server: name, live, changes: null, others }));
}

export function sortFindings(findings: Finding[]): Finding[] {
  return [...findings].sort((a, b) => SEVERITY_ORDER[a.severity] - SEVERITY_ORDER[b.severity]);
}

export function describeFinding(f: Finding): SafeText {
  const where = f.key ? `${subjectLabel(f.subject)} ${JSON.stringify(f.key)}` : subjectLabel(f.subject);
  const ptr = f.pointer ? ` at ${f.pointer}` : '';
  const decoded = typeof f.args.decoded === 'string' ? ` (hidden text: ${JSON.stringify(f.args.decoded)})` : '';
  return sanitize(`${f.severity.padEnd(6)} ${f.rule}: ${where}${ptr}${decoded}`);
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

/** Builds the printed lines; drift gets up to 5 changes and 3 findings, with a count of the rest. */
export async function describeStatuses(statuses: readonly ServerStatus[]): Promise<DescribedStatus[]> {
  // The change model and the finding rules are loaded only when something drifted.
  const drift = statuses.some((s) => s.status === 'drifted')
    ? { ...(await import('../core/changes.js')), ...(await import('../core/findings/index.js')) }
    : undefined;
  const lives = new Map<string, Snapshot>();
  for (const s of statuses) {
    const snap = s.live ?? s.locked?.snapshot;
    if (snap) lives.set(s.name, snap);
  }
  return statuses.map((s) => {
    const line: DescribedStatus = { name: s.name, status: s.status };
    const snap = s.live ?? s.locked?.snapshot;
    if (snap && s.status !== 'error') line.summary = countItems(snap);
    if (s.error) line.error = s.error;
    if (drift && s.status === 'drifted' && s.locked && s.live) {
      const changes = drift.changesBetween(s.locked.snapshot, s.live);
      const others = new Map([...lives].filter(([n]) => n !== s.name));
      const findings = sortFindings(drift.findingsFor({ server: s.name, live: s.live, changes, others }));
      line.changes = changes;
      line.findings = findings;
      line.notes = summariseDrift(changes, findings);
    }
    return line;
  });
}

function summariseDrift(changes: ItemChange[], findings: Finding[]): SafeText[] {
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
