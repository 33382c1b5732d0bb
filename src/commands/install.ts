/**
 * `mcpm install`: locks servers not yet in the lock, verifies the locked ones, prunes entries no
 * longer configured. Drift is reported and never accepted: a drifted or re-configured server keeps
 * its old entry until a person approves it. `--frozen` builds the lock it would write and compares
 * bytes with the file (yarn's --immutable): one code path decides what "would change" means.
 */
import { structuredPatch } from 'diff';
import type { ExitStatus } from '../core/errors.js';
import { contextWords, withContext } from '../core/hint-context.js';
import type { LockEntry, Lock } from '../core/lockfile.js';
import { entryIntegrity, serializeLock, serverCopyOf } from '../core/lockfile.js';
import { changesWith } from '../core/judge.js';
import { approvedSnapshot } from '../core/review.js';
import { jsonQuote } from '../core/json-strict.js';
import { valuesUnrecorded } from '../core/launch/identity.js';
import { sanitize, sanitizeLine } from '../core/sanitize.js';
import { type Era, type Snapshot } from '../core/snapshot.js';
import { exitStatusFor, statusOf, type ServerStatus } from '../core/status.js';
import type { Deps } from '../deps.js';
import { writeJson } from '../render/json.js';
import { renderStatusLines } from '../render/status-text.js';
import { paint, paletteFor } from '../render/style.js';
import { reachingCommand, showsProgress, type GlobalOptions } from '../app/options.js';
import { assertUntampered, loadCheckedLock, loadProject, offlineStatuses } from '../app/project.js';
import { applyBase, baseRefOf } from '../app/base.js';
import { updateLock } from '../adapters/lock-store.js';
import { describeStatuses, firstLockFindings } from '../app/report.js';
import { applyAllowlist, loadAllowlist } from '../app/allowlist.js';
import { judgeLocked } from '../core/allowlist.js';
import { describeFinding, findingsLegend, statusesToJson, type DescribedStatus } from '../render/report.js';
import { importSnapshotAll } from '../app/live.js';

export interface InstallOptions extends GlobalOptions {
  /** The organisation's allow-list (else env MCPM_ALLOWLIST): a server it refuses is neither started nor locked. */
  allowlist?: string;
  frozen?: boolean;
  /** The trusted base (app/base.ts): entries added or changed against it are unreviewed, never started. */
  base?: string;
  strict?: boolean;
}

export async function install(names: string[], options: InstallOptions, deps: Deps): Promise<ExitStatus> {
  const project = await loadProject(options, deps, { otherHosts: true });
  const loaded = await loadCheckedLock(project, { mayCreate: true });
  const lock = loaded.lock;
  const allowlist = await loadAllowlist(options, deps);
  const { selected, statuses: local } = offlineStatuses(project, lock, names);
  const offline = applyAllowlist(await applyBase(project, lock, local, baseRefOf(options, deps.env)), allowlist);

  // New servers are snapshotted to be locked; locked ones to be verified. A config-changed server
  // is not started: its new command has not been reviewed.
  // --frozen (CI) never starts an unlocked server either: a pull request that adds one to the config
  // must not run it on the CI machine. It already means the lock would change.
  const toContact = offline.filter((s) => s.status === 'ok' || (s.status === 'new' && !options.frozen)).map((s) => s.config!);
  const live = new Map<string, { snapshot: Snapshot; era: Era; protocolVersion: string }>();
  let statuses: ServerStatus[] = offline;
  if (toContact.length > 0) {
    const { snapshotAll } = await importSnapshotAll();
    const firstLocks = new Set(offline.filter((s) => s.status === 'new').map((s) => s.name));
    const eraHints = new Map<string, Era>();
    for (const c of toContact) {
      const entry = lock.servers.get(c.name);
      if (entry) eraHints.set(c.name, entry.protocol.era);
    }
    const results = await snapshotAll(
      toContact,
      { timeoutMs: options.timeout, concurrency: options.concurrency, projectDir: project.dir, eraHints, command: reachingCommand(options), progress: showsProgress(options), firstLocks },
      deps,
    );
    statuses = offline.map((s) => {
      const result = results.get(s.name);
      if (!result) return s;
      if (!result.ok) return { ...s, status: 'error', error: result.error };
      live.set(s.name, result);
      return s.status === 'new' ? { ...s, live: result.snapshot } : statusOf(s.name, s.config, s.locked, result.snapshot);
    });
  }

  // What this run adds and removes; applied to the lock as it is on disk at write time, so that
  // concurrent installs each keep the other's entries.
  const additions = new Map<string, LockEntry>();
  const removals = new Set<string>();
  // Entries whose accepted changes (accept rules, a new serverInfo.version) are copied in; never
  // under --frozen, which must not change the lock for what needs no review.
  const refreshes = new Map<string, { read: LockEntry; next: LockEntry }>();
  const recorded = valuesToRecord(statuses, options, deps);
  statuses = statuses.map((s) => {
    const result = live.get(s.name);
    if (s.status === 'new' && result && s.config) {
      const entry = entryFor(s.config.launch, result);
      // A launch the allow-list pins is locked only with a pinned integrity.
      const judgement = allowlist ? judgeLocked(allowlist, s.config.launch, entry.integrity) : { allowed: true as const };
      if (!judgement.allowed) return { ...s, status: 'denied', denial: judgement.reason };
      additions.set(s.name, entry);
    } else if (s.status === 'stale' && !selected) {
      removals.add(s.name);
    } else if (s.status === 'ok' && s.locked && s.live && s.judgement && !options.frozen) {
      const accepted = changesWith(s.judgement, 'accepted');
      if (accepted.length > 0) refreshes.set(s.name, { read: s.locked, next: refreshedEntry(s.locked, s.live, accepted) });
    }
    return s;
  });
  // The package behind each new server (its code can change under identical definitions): npm resolves the exact version and its
  // integrity. A failed lookup is a warning on the line, not a failure: the definitions were
  // snapshotted, and `verify --offline --strict` still flags a launch that floats.
  const pinWarnings = new Map<string, string>();
  if (additions.size > 0) {
    const { resolvePins } = await import('../adapters/pins/index.js');
    const pins = await resolvePins([...additions.keys()].map((n) => project.servers.get(n)!), {
      cwd: project.dir,
      env: deps.env,
      timeoutMs: options.timeout,
      concurrency: options.concurrency,
      signal: deps.signal,
    });
    for (const [name, { pin, warning }] of pins) {
      if (pin) additions.get(name)!.package = pin;
      if (warning) pinWarnings.set(name, warning);
    }
  }
  const lines = await describeStatuses(statuses);
  const others = new Map<string, Snapshot>();
  for (const s of statuses) {
    const snap = s.live ?? s.locked?.snapshot;
    if (snap) others.set(s.name, snap);
  }
  let refusedByStrict = 0;
  for (const line of lines) {
    const added = additions.get(line.name);
    if (added) {
      line.findings = await firstLockFindings(line.name, added.snapshot, new Map([...others].filter(([n]) => n !== line.name)));
      line.notes = line.findings.slice(0, 5).map(describeFinding);
      if (line.findings.length > 5) {
        line.notes.push(sanitize(withContext(`… and ${line.findings.length - 5} more findings ("mcpm diff" shows them all)`, contextWords(options))));
      }
      const pinWarning = pinWarnings.get(line.name);
      if (pinWarning) line.notes.push(sanitize(`warning: ${pinWarning}`));
      if (options.strict && line.findings.some((f) => f.severity === 'high')) {
        // --strict: a server poisoned from day one is not locked at all.
        additions.delete(line.name);
        refusedByStrict++;
        line.notes.push(sanitize('not locked: --strict refuses high-severity findings'));
        continue;
      }
      line.action = 'added';
    } else if (removals.has(line.name)) {
      line.action = 'removed';
    } else if (recorded.has(line.name)) {
      line.action = 'updated';
      line.notes = [sanitizeLine(`recorded its ${valueKind(recorded.get(line.name)!)} values as configured today: ${project.lockLabel} was written before mcpm bound them; review that change to the lock`)];
    } else if (refreshes.has(line.name)) {
      line.action = 'updated';
    } else if (line.status === 'ok') {
      line.action = 'kept';
    }
  }

  const apply = (current: Lock): Lock | null => {
    if (additions.size === 0 && removals.size === 0 && refreshes.size === 0 && recorded.size === 0) return null;
    const servers = new Map(current.servers);
    for (const name of removals) servers.delete(name);
    for (const [name, entry] of additions) if (!servers.has(name)) servers.set(name, entry);
    // Only over the entry that was compared: one approved meanwhile is newer than this refresh.
    for (const [name, { read, next }] of refreshes) if (servers.get(name)?.integrity === read.integrity) servers.set(name, next);
    for (const [name, entry] of recorded) if (servers.get(name)?.integrity === entry.integrity) servers.set(name, entry);
    return { ...current, servers };
  };

  let written = false;
  if (options.frozen) {
    const next = apply(lock);
    const before = loaded.text ?? '';
    const after = next ? serializeLock(next) : before;
    const unlocked = statuses.filter((s) => s.status === 'new').map((s) => s.name);
    if (after !== before) writeFrozenDiff(project.lockLabel, before, after, deps);
    if (unlocked.length > 0) {
      deps.stderr.write(
        `${sanitizeLine(`mcpm: ${project.lockLabel} would gain ${unlocked.map((n) => jsonQuote(n)).join(', ')}, and --frozen forbids it (not started: --frozen never starts an unlocked server)`)}\n`,
      );
    }
    const mismatch = after !== before || unlocked.length > 0;
    return finish(options, deps, statuses, lines, { written: false, existed: loaded.text !== null, frozenMismatch: mismatch, refusedByStrict }, project.lockLabel);
  }

  if (additions.size > 0 || removals.size > 0 || refreshes.size > 0 || recorded.size > 0) {
    // Ctrl-C leaves every file as it was: once interrupted, nothing more is written.
    if (deps.signal.aborted) throw deps.signal.reason;
    const outcome = await updateLock(project.lockFile, (current) => {
      assertUntampered(current.lock, project.lockLabel);
      return apply(current.lock);
    }, { displayName: project.lockLabel });
    written = outcome.written;
  }
  return finish(options, deps, statuses, lines, { written, existed: loaded.text !== null, frozenMismatch: false, refusedByStrict }, project.lockLabel);
}

/**
 * Entries an older mcpm locked without their env or header values, whose launch is otherwise the
 * configured one. In a terminal, install records today's values and says so; in CI (--frozen, or
 * no terminal) nothing is recorded: the entry stays config-changed, so values nobody reviewed are
 * never trusted by an upgrade.
 */
function valuesToRecord(statuses: readonly ServerStatus[], options: InstallOptions, deps: Deps): Map<string, LockEntry> {
  const recorded = new Map<string, LockEntry>();
  if (options.frozen || !deps.stdinIsTTY) return recorded;
  for (const s of statuses) {
    if (s.status === 'config-changed' && s.config && s.locked && valuesUnrecorded(s.config.launch, s.locked.launch)) {
      recorded.set(s.name, { ...s.locked, launch: s.config.launch });
    }
  }
  return recorded;
}

function valueKind(entry: LockEntry): string {
  return entry.launch.transport === 'stdio' ? 'env' : 'header and URL';
}

function entryFor(launch: LockEntry['launch'], result: { snapshot: Snapshot; era: Era; protocolVersion: string }): LockEntry {
  const entry: LockEntry = {
    integrity: '' as LockEntry['integrity'],
    launch,
    protocol: { era: result.era, version: result.protocolVersion },
    server: serverCopyOf(result.snapshot.serverInfo),
    snapshot: result.snapshot,
  };
  return { ...entry, integrity: entryIntegrity(entry) };
}

/** The entry with its accepted changes taken from the live snapshot; everything else as locked. */
function refreshedEntry(locked: LockEntry, live: Snapshot, accepted: Parameters<typeof approvedSnapshot>[2]): LockEntry {
  const snapshot = approvedSnapshot(locked.snapshot, live, accepted);
  const entry: LockEntry = { ...locked, snapshot, server: serverCopyOf(snapshot.serverInfo) };
  return { ...entry, integrity: entryIntegrity(entry) };
}

/** What install did to a lock it did not write; a lock that does not exist is never "up to date". */
function lockOutcome(existed: boolean, exit: ExitStatus, servers: number): string {
  if (!existed) return servers === 0 ? 'was not created: no server is configured' : 'was not created: no server could be locked';
  return exit === 0 ? 'is up to date' : 'was left unchanged';
}

function writeFrozenDiff(label: string, before: string, after: string, deps: Deps): void {
  const patch = structuredPatch(label, label, before, after, 'on disk', 'would be written', { context: 2 });
  let text = `mcpm: ${sanitizeLine(label)} would change, and --frozen forbids it:\n`;
  for (const hunk of patch.hunks) {
    text += `@@ -${hunk.oldStart},${hunk.oldLines} +${hunk.newStart},${hunk.newLines} @@\n`;
    for (const l of hunk.lines) text += `${sanitize(l)}\n`;
  }
  deps.stderr.write(text);
}

function finish(
  options: InstallOptions,
  deps: Deps,
  statuses: ServerStatus[],
  lines: DescribedStatus[],
  /** `existed`: the lock file was there when install read it. */
  outcome: { written: boolean; existed: boolean; frozenMismatch: boolean; refusedByStrict: number },
  lockLabel: string,
): ExitStatus {
  // Entries install itself resolved (added, pruned) no longer count against the exit status.
  const remaining = statuses.map((s, i) => (lines[i]?.action === 'added' || lines[i]?.action === 'removed' || lines[i]?.action === 'updated' ? { ...s, status: 'ok' as const } : s));
  let exit = exitStatusFor(remaining);
  if (outcome.frozenMismatch || outcome.refusedByStrict > 0) exit = 1;

  if (options.format === 'json') {
    writeJson(deps.stdout, { ...statusesToJson(statuses, lines), lockfile: lockLabel, written: outcome.written, exitStatus: exit });
  }
  const human = options.format === 'json' ? deps.stderr : deps.stdout;
  const palette = paletteFor(human.isTTY, deps.env, options.color);
  if (!options.quiet || exit !== 0) {
    // --quiet: the problems only, those that decide the exit status; a server locked now is not one.
    human.write(renderStatusLines(options.quiet ? lines.filter((_, i) => remaining[i]?.status !== 'ok') : lines, 'install', palette, contextWords(options)));
  }
  const legend = options.quiet ? undefined : findingsLegend(lines.flatMap((l) => l.findings ?? []));
  if (legend) human.write(`${paint(palette, 'dim', legend)}\n`);
  if (outcome.written) human.write(`wrote ${sanitizeLine(lockLabel)}\n`);
  else if (!options.frozen && !options.quiet) human.write(`${sanitizeLine(lockLabel)} ${lockOutcome(outcome.existed, exit, statuses.length)}\n`);
  if (outcome.refusedByStrict > 0) {
    human.write(`--strict: ${outcome.refusedByStrict} new server(s) not locked because of high-severity findings\n`);
  }
  return exit;
}
