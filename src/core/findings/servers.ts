/**
 * The configured servers a finding context sees, this one included, and what the name and mention
 * rules build from all of them: the same for the findings of every server of a run, so built once.
 */
import { compareCodeUnits } from '../changes.js';
import type { Snapshot } from '../snapshot.js';
import type { FindingContext } from './rules.js';

export type Members = readonly (readonly [server: string, snapshot: Snapshot])[];

/** What was built from which servers, kept by the first one's snapshot. */
export type PerRun<T> = WeakMap<Snapshot, { members: Members; built: T }>;

/**
 * `build(members)` for the context's servers (the context's own and its others, in code-unit
 * order of their names), or what an earlier call built from the very same servers and snapshots.
 */
export function perRun<T>(cache: PerRun<T>, context: FindingContext, build: (members: Members) => T): T {
  const members: (readonly [string, Snapshot])[] = [[context.server, context.live]];
  for (const [server, snapshot] of context.others) if (server !== context.server) members.push([server, snapshot]);
  members.sort(([a], [b]) => compareCodeUnits(a, b));
  const known = cache.get(members[0]![1]);
  if (known && known.members.length === members.length && known.members.every(([server, snapshot], i) => server === members[i]![0] && snapshot === members[i]![1])) {
    return known.built;
  }
  const built = build(members);
  cache.set(members[0]![1], { members, built });
  return built;
}
