// Shared by the findings unit tests: findingsFor on small snapshots, and short forms of its output.
import { changesBetween } from '../../../../src/core/changes.js';
import { findingsFor } from '../../../../src/core/findings/index.js';
import type { Finding } from '../../../../src/core/findings/rules.js';
import type { Snapshot } from '../../../../src/core/snapshot.js';
import { snapshotOf, tool, type SnapshotSpec } from '../../../fixtures/findings/snapshot-helper.js';

export const tags = (ascii: string): string => [...ascii].map((c) => String.fromCodePoint(0xe0000 + c.codePointAt(0)!)).join('');

export function firstLock(spec: SnapshotSpec, others: Record<string, Snapshot> = {}): Finding[] {
  return findingsFor({ server: 'srv', live: snapshotOf(spec), changes: null, others: new Map(Object.entries(others)) });
}

export function drift(locked: SnapshotSpec, live: SnapshotSpec, others: Record<string, Snapshot> = {}): Finding[] {
  const liveSnapshot = snapshotOf(live);
  return findingsFor({ server: 'srv', live: liveSnapshot, changes: changesBetween(snapshotOf(locked), liveSnapshot), others: new Map(Object.entries(others)) });
}

export const summary = (findings: Finding[]) => findings.map((f) => `${f.severity} ${f.rule} ${f.subject}:${f.key}${f.pointer}`);
export const rules = (findings: Finding[]) => [...new Set(findings.map((f) => `${f.severity} ${f.rule}`))].sort();

/** A first lock of one tool whose description is `text`. */
export const described = (text: string) => firstLock({ tools: [tool('t', text)] });

const otherServer = snapshotOf({ tools: [tool('send_email', 'Sends mail.'), tool('search', 'Search.'), tool('echo', 'Echo.')] });

/**
 * Findings for a tool described by `text` that should have none: a first lock, with a `$schema` in
 * its input schema and another server (tools send_email, search, echo) configured beside it.
 */
export function quietFirstLock(text: string): Finding[] {
  return firstLock({ tools: [{ ...(tool('t', text) as object), inputSchema: { $schema: 'http://json-schema.org/draft-07/schema#', type: 'object' } }] }, { mail: otherServer });
}
