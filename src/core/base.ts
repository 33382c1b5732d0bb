/**
 * A trusted base: the lock as the target branch has it. A pull request can add or edit entries of
 * mcp.lock as easily as the config (the integrities are hashes anyone can recompute), so on CI an
 * entry counts as reviewed only when the base has it with the same reviewed fields.
 */
import { reviewedIntegrity, type Lock, type LockEntry } from './lockfile.js';
import type { ServerStatus } from './status.js';

/** Entries of `head` that `base` lacks or has otherwise, by name, with the base's entry when it has one. */
export function unreviewedEntries(head: Lock, base: Lock): Map<string, LockEntry | undefined> {
  const out = new Map<string, LockEntry | undefined>();
  for (const [name, entry] of head.servers) {
    const before = base.servers.get(name);
    if (before === undefined || reviewedIntegrity(before) !== reviewedIntegrity(entry)) out.set(name, before);
  }
  return out;
}

/**
 * Statuses with the base applied: a server whose config and lock agree ('ok' offline) but whose
 * entry the base does not have as it is becomes 'unreviewed', which fails the run and is never
 * started. The other statuses already fail and start nothing.
 */
export function withBase(statuses: readonly ServerStatus[], unreviewed: ReadonlyMap<string, LockEntry | undefined>): ServerStatus[] {
  return statuses.map((s) => {
    if (s.status !== 'ok' || !unreviewed.has(s.name)) return s;
    const base = unreviewed.get(s.name);
    return { ...s, status: 'unreviewed', ...(base ? { base } : {}) };
  });
}
