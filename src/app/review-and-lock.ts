/**
 * The review half of `mcpm approve` and `mcpm update`, after the servers were started: the caller
 * hands over the snapshots it took, a person decides in the TUI (or `--yes` decides), and exactly
 * the snapshots that were shown are written into the lock as it is on disk now, with the config
 * edits that go with them. Nothing here starts a server, so a server is never started twice for one
 * review, and what was reviewed is what gets locked, never a fresh listing.
 */
import type { ArgEdit } from '../adapters/pins/config-edit.js';
import type { Integrity } from '../core/canonical.js';
import { changesBetween, emptySnapshot } from '../core/changes.js';
import { findingsFor } from '../core/findings/index.js';
import { launchEquals, type LaunchSpec } from '../core/launch/identity.js';
import { entryIntegrity, serverCopyOf, type LockEntry, type PackagePin, type Tombstones } from '../core/lockfile.js';
import { judgeEntry } from '../core/judge.js';
import { assertAcceptable } from '../core/accept-rules.js';
import { packageSpecOf } from '../core/package-spec.js';
import { ITEM_KINDS } from '../core/snapshot.js';
import {
  approvalOf,
  approveAll,
  buildReviewServer,
  type Approval,
  type Decision,
  type ReviewModel,
  type ReviewSource,
  type ReviewStatus,
} from '../core/review.js';
import { snapshotIntegrity, type Era, type Snapshot } from '../core/snapshot.js';
import type { Deps } from '../deps.js';
import { paletteFor } from '../render/style.js';
import { writeConfigAndLock, type EntryRewrite } from './config-and-lock.js';
import type { Project } from './project.js';

/** One server to review: what it served when the caller started it. */
export interface Reviewed {
  source: ReviewSource;
  era: Era;
  protocolVersion: string;
  /**
   * `mcpm update`: source.launch is a new version the config does not name yet. Taking it writes
   * this package pin and these config edits; and since its definitions were served by that launch
   * alone, approving them without the launch writes nothing.
   */
  newLaunch?: { package: PackagePin; edits: ArgEdit[] };
  /**
   * `mcpm approve` of a new server or of a launch whose package changed: the package its launch
   * resolves to, looked up before the review, written with the launch. A launch whose package is
   * the locked one (an env value, a flag) keeps the locked pin.
   */
  pin?: PackagePin;
}

export interface ReviewOutcome {
  reviewed: Reviewed;
  /** `held`: `--yes` without `--accept-high` for a server with high findings; nothing written for it. */
  result: 'approved' | 'partial' | 'rejected' | 'not-reviewed' | 'conflict' | 'held';
  /** Approved or partial: the integrity written and the indices of the approved items. */
  integrity?: Integrity;
  items?: number[];
}

export interface LockedReview {
  /** One per server reviewed, in the order given. */
  outcomes: ReviewOutcome[];
  lockWritten: boolean;
  /** The config files written, as shown in messages. */
  configs: string[];
}

/**
 * What a review shows about a server's live snapshot: the changes against its locked one (against
 * nothing when it is new) and the findings. `others` are the other servers of the project, for
 * shadowing and cross-server findings.
 */
export function reviewSourceOf(
  server: { name: string; status: ReviewStatus; launch: LaunchSpec; locked: LockEntry | undefined },
  live: Snapshot,
  others: ReadonlyMap<string, Snapshot>,
): ReviewSource {
  if (!server.locked) {
    const changes = changesBetween(emptySnapshot(), live);
    return { ...server, live, changes, findings: findingsFor({ server: server.name, live, changes: null, others }) };
  }
  // An optional item that is absent is not offered for approval: approving its removal would
  // drop the definition it is held to when it comes back.
  const judged = judgeEntry(server.locked, live).changes.filter((j) => j.disposition !== 'optional-absent');
  const changes = judged.map((j) => j.change);
  const findings = findingsFor({ server: server.name, live, changes, others });
  return { ...server, live, changes, findings, judged };
}

/**
 * Decides (the TUI, or `--yes`) and writes what was approved; null when the reviewer interrupted.
 * `--yes` alone never approves a server with high findings: on a terminal the reviewer has to type
 * part of the hash for it, so without one it takes `acceptHigh`, said for that purpose.
 */
export async function reviewAndLock(
  project: Pick<Project, 'dir' | 'configFiles' | 'lockFile' | 'lockLabel'>,
  reviewed: readonly Reviewed[],
  /** `acceptFields`: accept rules to add to every server approved (`approve --accept-field`), already checked. */
  options: { yes: boolean; acceptHigh?: boolean; color?: boolean; acceptFields?: readonly string[] },
  deps: Deps,
): Promise<LockedReview | null> {
  const outcomes: ReviewOutcome[] = reviewed.map((r) => ({ reviewed: r, result: 'not-reviewed' }));
  if (reviewed.length === 0) return { outcomes, lockWritten: false, configs: [] };
  const model: ReviewModel = { phase: 'review', servers: reviewed.map((r) => buildReviewServer(r.source, snapshotIntegrity)) };
  const decisions = options.yes ? approveAll(model) : await runReviewScreen(model, deps, options.color ?? true);
  if (decisions === null) return null;

  const rewrites: EntryRewrite[] = [];
  for (const d of decisions) {
    const r = reviewed[d.server];
    const outcome = outcomes[d.server];
    if (!r || !outcome) throw new Error('Assertion failed: a decision for a server that was not shown');
    if (d.verdict === 'rejected') {
      outcome.result = 'rejected';
      continue;
    }
    if (options.yes && !options.acceptHigh && hasHighFindings(r.source)) {
      outcome.result = 'held';
      continue;
    }
    const approval = approvalOf(r.source, d.items);
    // What is approved is what was shown: the integrity on screen is the one written.
    if (snapshotIntegrity(approval.snapshot) !== d.integrity) {
      throw new Error(`Assertion failed: the snapshot to write for ${JSON.stringify(r.source.name)} is not the one shown`);
    }
    const takesLaunch = launchEquals(approval.launch, r.source.launch);
    // The definitions shown were served by the launch shown (a new version for update, a changed
    // command or env for approve): without it, they would be locked beside a launch that never
    // served them, so nothing is written for the server.
    if (!takesLaunch) {
      outcome.result = 'rejected';
      continue;
    }
    const acceptFields = [...(options.acceptFields ?? []), ...(d.acceptFields ?? [])];
    // The screen offers only acceptable fields; a refused one must still never reach the lock.
    for (const pattern of acceptFields) assertAcceptable(pattern);
    rewrites.push({ name: r.source.name, read: r.source.locked, next: entryFor(r, approval, acceptFields), edits: takesLaunch ? (r.newLaunch?.edits ?? []) : [] });
    outcome.result = approval.complete ? 'approved' : 'partial';
    outcome.integrity = d.integrity;
    outcome.items = d.items;
  }
  if (rewrites.length === 0) return { outcomes, lockWritten: false, configs: [] };

  const written = await writeConfigAndLock(project, rewrites);
  for (const o of outcomes) {
    if (!written.conflicts.has(o.reviewed.source.name)) continue;
    o.result = 'conflict';
    delete o.integrity;
  }
  return { outcomes, lockWritten: written.lockWritten, configs: written.configs };
}

export function hasHighFindings(source: ReviewSource): boolean {
  return source.findings.some((f) => f.severity === 'high');
}

function entryFor(r: Reviewed, approval: Approval, acceptFields: readonly string[]): LockEntry {
  const locked = r.source.locked;
  const entry: LockEntry = {
    integrity: '' as Integrity,
    launch: approval.launch,
    protocol: { era: r.era, version: r.protocolVersion },
    server: serverCopyOf(approval.snapshot.serverInfo),
    snapshot: approval.snapshot,
  };
  // The package pin belongs to the package the launch names: resolved for it, or the locked one when
  // the launch names the same package (an env value or a flag changed, not the code that runs).
  if (r.newLaunch && launchEquals(approval.launch, r.source.launch)) entry.package = r.newLaunch.package;
  else if (r.pin && launchEquals(approval.launch, r.source.launch)) entry.package = r.pin;
  else if (locked?.package && samePackage(locked.launch, approval.launch)) entry.package = locked.package;
  const rules = locked?.accept;
  if (rules || acceptFields.length > 0) {
    entry.accept = { additive: rules?.additive ?? 'drift', serverVersion: rules?.serverVersion ?? 'accept', fields: [...new Set([...(rules?.fields ?? []), ...acceptFields])].sort() };
  }
  if (locked) {
    const optional = keptOptional(locked, approval.snapshot);
    if (optional) entry.optional = optional;
    const tombstones = nextTombstones(locked, approval.snapshot);
    if (tombstones) entry.tombstones = tombstones;
  }
  entry.integrity = entryIntegrity(entry);
  return entry;
}

/** Whether two launches start the same package (manager, launcher, name, version as written, digest): a pin of one is a pin of the other. */
export function samePackage(a: LaunchSpec, b: LaunchSpec): boolean {
  if (launchEquals(a, b)) return true;
  const x = packageSpecOf(a);
  const y = packageSpecOf(b);
  return x !== null && y !== null && x.manager !== 'local' && x.manager === y.manager && x.launcher === y.launcher && x.name === y.name && x.spec === y.spec && x.digest === y.digest;
}

/** Optional marks of the items the approved snapshot still has. */
function keptOptional(locked: LockEntry, snapshot: Snapshot): LockEntry['optional'] {
  const marks: NonNullable<LockEntry['optional']> = {};
  for (const kind of ITEM_KINDS) {
    const keys = (locked.optional?.[kind] ?? []).filter((k) => snapshot[kind].has(k));
    if (keys.length > 0) marks[kind] = keys;
  }
  return Object.keys(marks).length > 0 ? marks : undefined;
}

/**
 * The tombstones after an approval: every locked item the approved snapshot no longer has keeps
 * its last approved definition, and an item approved back loses its tombstone.
 */
function nextTombstones(locked: LockEntry, snapshot: Snapshot): Tombstones | undefined {
  const next: Tombstones = {};
  for (const kind of ITEM_KINDS) {
    const items = new Map(locked.tombstones?.[kind] ?? []);
    for (const [key, item] of locked.snapshot[kind]) if (!snapshot[kind].has(key)) items.set(key, item);
    for (const key of snapshot[kind].keys()) items.delete(key);
    if (items.size > 0) next[kind] = new Map([...items].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  }
  return Object.keys(next).length > 0 ? next : undefined;
}

/**
 * The review screen: the decisions, or null when the reviewer interrupted (Ctrl-C). `colorOption`
 * is --color/--no-color; NO_COLOR and FORCE_COLOR apply as to all of mcpm's output (Ink's own
 * colour library reads FORCE_COLOR and --no-color, but not NO_COLOR).
 */
export async function runReviewScreen(model: ReviewModel, deps: Deps, colorOption: boolean): Promise<Decision[] | null> {
  const { runApprove, ApproveInterrupted } = await importInkWithoutCi();
  try {
    return await runApprove(model, { color: paletteFor(deps.stdout.isTTY, deps.env, colorOption).color });
  } catch (error) {
    if (error instanceof ApproveInterrupted || deps.signal.aborted) return null;
    throw error;
  }
}

/**
 * Ink draws nothing until it exits when it believes it runs in CI: `is-in-ci` reads CI and
 * CONTINUOUS_INTEGRATION once, when Ink is first imported. The review only gets here with a
 * terminal on stdin and stdout, where a person must see every frame (a `CI=true` left in a shell
 * would otherwise show a blank screen and take keys blind), so those two are hidden for that import.
 */
async function importInkWithoutCi(): Promise<typeof import('../tui/index.js')> {
  const env = process.env;
  const saved = { CI: env.CI, CONTINUOUS_INTEGRATION: env.CONTINUOUS_INTEGRATION };
  delete env.CI;
  delete env.CONTINUOUS_INTEGRATION;
  try {
    return await import('../tui/index.js');
  } finally {
    for (const [key, value] of Object.entries(saved)) if (value !== undefined) env[key] = value;
  }
}

/** The review was interrupted before anything was written. */
export function interrupted(deps: Deps): 130 {
  deps.stderr.write('mcpm: interrupted; no file was changed\n');
  return 130;
}
