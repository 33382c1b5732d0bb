/**
 * What install, verify and ls print about statuses: a short summary of each drift (what changed,
 * the top findings), item counts, and the JSON form of the contract. The changes and findings
 * themselves are computed in app/report.ts.
 */
import type { ItemChange } from '../core/changes.js';
import type { JudgedChange, Judgement } from '../core/judge.js';
import type { Finding } from '../core/findings/rules.js';
import { quotedIdentifier, sanitize, type SafeText } from '../core/sanitize.js';
import { nameWord } from '../core/shell-word.js';
import type { ServerStatus } from '../core/status.js';
import { ITEM_KINDS, snapshotIntegrity, type ItemKind } from '../core/snapshot.js';
import { serverErrorHint, type ServerError, type StatusLine } from './status-text.js';

export interface DescribedStatus extends StatusLine {
  changes?: ItemChange[];
  findings?: Finding[];
}

/** "20 tools, 1 prompt", from lockedItemCounts or snapshotItemCounts. */
export function countItems(counts: Readonly<Record<ItemKind, number>>): string {
  const parts: string[] = [];
  for (const kind of ITEM_KINDS) {
    const n = counts[kind];
    if (n > 0) parts.push(`${n} ${kind === 'resourceTemplates' ? 'templates' : kind}`.replace(/^1 (\w+)s$/, '1 $1'));
  }
  return parts.length > 0 ? parts.join(', ') : 'nothing listed';
}

export function describeFinding(f: Finding): SafeText {
  const where = f.key ? `${subjectLabel(f.subject)} ${quotedIdentifier(f.key)}` : subjectLabel(f.subject);
  const ptr = f.pointer ? ` at ${f.pointer}` : '';
  const decoded = typeof f.args.decoded === 'string' ? ` (hidden text: ${JSON.stringify(f.args.decoded)})` : '';
  return sanitize(`${f.severity.padEnd(6)} ${f.rule}: ${where}${ptr}${decoded}${otherServer(f)}`);
}

/** Which other server or name a finding about names is about: without it, "also used by another server" does not say which. */
function otherServer(f: Finding): string {
  const text = (key: string) => {
    const value = f.args[key];
    return typeof value === 'string' ? quotedIdentifier(value) : undefined;
  };
  const [server, other, tool] = [text('server'), text('other'), text('tool')];
  const ofServer = server === undefined ? '' : ` of server ${server}`;
  switch (f.rule) {
    case 'confusable-name':
      return other === undefined ? '' : ` (looks like ${other}${ofServer})`;
    case 'name-shadows-other-server':
      return server === undefined ? '' : ` (server ${server} has ${other ?? 'it'} too)`;
    case 'mentions-other-server-tool':
      return tool === undefined ? '' : ` (tool ${tool}${ofServer})`;
    default:
      return '';
  }
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

function listFields(c: ItemChange): string {
  const fields = c.fields.map((f) => f.pointer || '(whole value)');
  return `${fields.slice(0, 4).join(', ')}${fields.length > 4 ? ` and ${fields.length - 4} more` : ''}`;
}

export function describeChange(c: ItemChange): SafeText {
  const what = c.key ? `${subjectLabel(c.subject)} ${JSON.stringify(c.key)}` : subjectLabel(c.subject);
  if (c.renamedFrom !== undefined) {
    const other = c.fields.filter((f) => f.pointer !== '/name' && f.pointer !== '/uri' && f.pointer !== '/uriTemplate');
    return sanitize(`renamed ${subjectLabel(c.subject)} ${JSON.stringify(c.renamedFrom)} → ${JSON.stringify(c.key)}${other.length > 0 ? `, also changed: ${other.map((f) => f.pointer).join(', ')}` : ' (same definition)'}`);
  }
  if (c.renamedTo !== undefined) return sanitize(`removed ${what} (renamed to ${JSON.stringify(c.renamedTo)})`);
  if (c.tombstone !== undefined) {
    return sanitize(`returned ${what}, removed with approval before: ${c.fields.length === 0 ? 'same as its last approved definition' : `differs from its last approved definition at ${listFields(c)}`}`);
  }
  if (c.change !== 'modified') return sanitize(`${c.change} ${what}`);
  if (c.takesBodyOf !== undefined) return sanitize(`modified ${what}: now has the definition ${subjectLabel(c.subject)} ${JSON.stringify(c.takesBodyOf)} had`);
  return sanitize(`modified ${what}: ${listFields(c)}`);
}

/** serverInfo.version before and after, when the only change is that version (accepted). */
export function versionOnly(judgement: Judgement): { before: string; after: string } | undefined {
  const [only, ...rest] = judgement.changes;
  if (!only || rest.length > 0 || only.disposition !== 'accepted' || only.change.subject !== 'serverInfo') return undefined;
  const [field, ...more] = only.change.fields;
  if (!field || more.length > 0 || field.pointer !== '/version') return undefined;
  return { before: String(field.before ?? ''), after: String(field.after ?? '') };
}

/** Notes for the changes that need no review: accepted, quarantined, optional and absent. */
export function settledNotes(judgement: Judgement, name: string): SafeText[] {
  const version = versionOnly(judgement);
  if (version) return [sanitize(`version ${version.before} → ${version.after}; nothing the model sees changed (no review needed)`)];
  const notes: SafeText[] = [];
  for (const j of judgement.changes) {
    const text = settledNote(j, name);
    if (text !== undefined) notes.push(text);
  }
  return notes;
}

function settledNote(j: JudgedChange, name: string): SafeText | undefined {
  const c = j.change;
  const what = c.key ? `${subjectLabel(c.subject)} ${JSON.stringify(c.key)}` : subjectLabel(c.subject);
  switch (j.disposition) {
    case 'accepted':
      return sanitize(`accepted: ${what} ${listFields(c)} (rule ${[...new Set(j.rules ?? [])].join(', ')})`);
    case 'quarantined':
      return sanitize(`quarantined: new ${what}; "mcpm run" withholds it until "mcpm approve ${nameWord(name)}"${c.tombstone !== undefined ? ' (removed with approval before)' : ''}`);
    case 'optional-absent':
      return sanitize(`optional ${what} is not listed now (not drift)`);
    case 'review':
      return undefined;
  }
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
        // Every server error carries a hint, as in the text: the server's own, else its code's.
        ...(s.error ? { error: withHint(s.error) } : {}),
        ...(s.denial ? { denial: s.denial } : {}),
        ...(line?.changes
          ? {
              changes: line.changes.map((c) => ({
                subject: c.subject,
                key: c.key,
                change: c.change,
                fields: c.fields.map((f) => f.pointer),
                ...changeAnnotationsJson(c, s.judgement?.changes),
              })),
            }
          : {}),
        ...(line?.findings ? { findings: line.findings } : {}),
      };
    }),
  };
}

/**
 * What the JSON forms add to a change: its disposition (review, accepted, quarantined,
 * optional-absent), the rules that accepted it, and rename, tombstone and moved-name marks.
 */
export function changeAnnotationsJson(c: ItemChange, judgedChanges: readonly JudgedChange[] | undefined): Record<string, unknown> {
  const judged = judgedChanges?.find((j) => j.change === c);
  return {
    ...(judged ? { disposition: judged.disposition } : {}),
    ...(judged?.rules ? { acceptedBy: judged.rules } : {}),
    ...(c.renamedFrom !== undefined ? { renamedFrom: c.renamedFrom } : {}),
    ...(c.renamedTo !== undefined ? { renamedTo: c.renamedTo } : {}),
    ...(c.tombstone !== undefined ? { returned: true } : {}),
    ...(c.takesBodyOf !== undefined ? { takesBodyOf: c.takesBodyOf } : {}),
  };
}

function withHint(error: ServerError): ServerError {
  const hint = serverErrorHint(error);
  return hint === undefined || error.hint !== undefined ? error : { ...error, hint };
}
