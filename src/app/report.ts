/**
 * The compare step behind what install, verify, diff and ls print: per status, what changed and
 * which findings the rules raise, sorted by severity. render/report.ts turns the result into lines
 * and JSON.
 */
import type { Finding } from '../core/findings/rules.js';
import type { ServerStatus } from '../core/status.js';
import { launchDifference, valuesUnrecorded } from '../core/launch/identity.js';
import { sanitize } from '../core/sanitize.js';
import { snapshotItemCounts, type Snapshot } from '../core/snapshot.js';
import { lockedItemCounts } from '../core/lockfile.js';
import { countItems, settledNotes, summariseDrift, type DescribedStatus } from '../render/report.js';
import { credentialsInUrlHint } from '../render/status-text.js';

const SEVERITY_ORDER = { high: 0, medium: 1, low: 2 } as const;

/** Findings of servers whose snapshot is new to the lock (a server can be poisoned from day one). */
export async function firstLockFindings(name: string, live: Snapshot, others: ReadonlyMap<string, Snapshot>): Promise<Finding[]> {
  const { findingsFor } = await import('../core/findings/index.js');
  return sortFindings(findingsFor({ server: name, live, changes: null, others }));
}

export function sortFindings(findings: Finding[]): Finding[] {
  // findingsFor's own order begins with severity: such a list (thousands, for a first lock of servers
  // that share their names) is copied, not sorted again.
  for (let i = 1; i < findings.length; i++) {
    if (SEVERITY_ORDER[findings[i - 1]!.severity] > SEVERITY_ORDER[findings[i]!.severity]) {
      return [...findings].sort((a, b) => SEVERITY_ORDER[a.severity] - SEVERITY_ORDER[b.severity]);
    }
  }
  return findings.slice();
}

/** Builds the printed lines; drift gets up to 5 changes and 3 findings, with a count of the rest. */
export async function describeStatuses(statuses: readonly ServerStatus[]): Promise<DescribedStatus[]> {
  // The change model and the finding rules are loaded only when something drifted.
  const drift = statuses.some((s) => s.status === 'drifted' || s.status === 'unreviewed')
    ? { ...(await import('../core/changes.js')), ...(await import('../core/findings/index.js')) }
    : undefined;
  // Every server's definitions, for the findings that compare names across servers: only when
  // something drifted (an outlined lock's definitions are read only if asked for).
  const lives = new Map<string, Snapshot>();
  if (drift) {
    for (const s of statuses) {
      const snap = s.live ?? s.locked?.snapshot;
      if (snap) lives.set(s.name, snap);
    }
  }
  return statuses.map((s) => {
    const line: DescribedStatus = { name: s.name, status: s.status };
    const counts = s.live ? snapshotItemCounts(s.live) : s.locked ? lockedItemCounts(s.locked) : undefined;
    if (counts && s.status !== 'error') line.summary = countItems(counts);
    if (s.error) line.error = s.error;
    if (s.denial) line.denial = s.denial;
    if (s.status === 'config-changed' && s.config && s.locked && valuesUnrecorded(s.config.launch, s.locked.launch)) {
      // An upgrade never trusts today's values silently: CI fails until someone records them.
      line.notes = [
        sanitize('the lock was written before mcpm bound env, header and URL values, so nobody has approved the values configured now'),
        sanitize('re-approve: run "mcpm install" in a terminal (it records them) or "mcpm approve", and commit the lock'),
      ];
    }
    const hint = credentialsInUrlHint(s.name, s.status, s.config?.launch);
    if (hint !== undefined) line.hint = hint;
    if (drift && s.status === 'drifted' && s.locked && s.live) {
      const changes = s.judgement ? s.judgement.changes.map((j) => j.change) : drift.changesBetween(s.locked.snapshot, s.live);
      const others = new Map([...lives].filter(([n]) => n !== s.name));
      const findings = sortFindings(drift.findingsFor({ server: s.name, live: s.live, changes, others }));
      const toReview = s.judgement ? s.judgement.changes.filter((j) => j.disposition === 'review').map((j) => j.change) : changes;
      line.changes = changes;
      line.findings = findings;
      line.notes = [...summariseDrift(toReview, findings), ...(s.judgement ? settledNotes(s.judgement, s.name) : [])];
    } else if (s.status === 'ok' && s.judgement && s.judgement.changes.length > 0) {
      // Changes that need no review are still said, one line each, and listed in the JSON.
      line.changes = s.judgement.changes.map((j) => j.change);
      line.notes = settledNotes(s.judgement, s.name);
    }
    if (drift && s.status === 'unreviewed' && s.locked) {
      // What the pull request brings, where reviewers look: its changes against the base's entry
      // (or the whole entry when the base has none) and their findings, hidden characters included.
      const changes = s.base ? drift.changesBetween(s.base.snapshot, s.locked.snapshot) : [];
      const others = new Map([...lives].filter(([n]) => n !== s.name));
      const findings = sortFindings(drift.findingsFor({ server: s.name, live: s.locked.snapshot, changes: s.base ? changes : null, others }));
      line.changes = changes;
      line.findings = findings;
      // A change to the launch alone has no item change to list: what differs is said.
      const launch = s.base ? launchDifference(s.base.launch, s.locked.launch) : undefined;
      const head = s.base ? `changed against the trusted base${launch === undefined ? '' : `: ${launch} differ`}` : 'added against the trusted base';
      line.notes = [sanitize(head), ...summariseDrift(changes, findings)];
    }
    return line;
  });
}
