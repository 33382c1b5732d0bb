/**
 * `mcpm approve`: the only way a drifted, new or re-configured server's definitions get into the
 * lock after review. Load the config and the lock, ask before starting a server whose launch
 * changed, contact the servers, then hand their snapshots to the review (app/review-and-lock.ts):
 * a person decides in the TUI (or `--yes` is the decision), and exactly the snapshots that were
 * shown are written. A server that changed again since is caught by the next verify: what was
 * reviewed is what gets locked, never a fresh listing.
 */
import type { Integrity } from '../core/canonical.js';
import { McpmError, type ExitStatus } from '../core/errors.js';
import { contextWords, withContext } from '../core/hint-context.js';
import { buildReviewServer, planItems, type ReviewModel, type ReviewSource } from '../core/review.js';
import { oneLine, sanitize, sanitizeLine, trusted, type SafeText } from '../core/sanitize.js';
import { nameWord, shellWord } from '../core/shell-word.js';
import { snapshotIntegrity, type Era, type Snapshot } from '../core/snapshot.js';
import { statusOf, type ServerStatus } from '../core/status.js';
import type { Deps } from '../deps.js';
import { reachingCommand, showsProgress, type GlobalOptions } from '../app/options.js';
import { loadCheckedLock, loadProject, offlineStatuses } from '../app/project.js';
import { applyAllowlist, loadAllowlist } from '../app/allowlist.js';
import { interrupted, reviewAndLock, reviewSourceOf, runReviewScreen, samePackage, type ReviewOutcome, type Reviewed } from '../app/review-and-lock.js';
import { writeJson } from '../render/json.js';
import { changeAnnotationsJson, describeChange, describeFinding } from '../render/report.js';
import { assertAcceptable } from '../core/accept-rules.js';
import { serverErrorHint, type ServerError } from '../render/status-text.js';
import { paint, paletteFor, type Palette } from '../render/style.js';
import { importSnapshotAll } from '../app/live.js';

export interface ApproveOptions extends GlobalOptions {
  /** Approve the current drift without a terminal (the servers named, or `all`). */
  yes?: boolean;
  /** With `yes` and no names: every server. */
  all?: boolean;
  /** With `yes`: also servers with high findings. */
  acceptHigh?: boolean;
  /** Accept rules to add to every server approved: "accept this field from now on". */
  acceptField?: string[];
}

interface Outcome {
  name: string;
  status: ServerStatus['status'];
  /** What happened to it in this run. */
  result: ReviewOutcome['result'] | 'not-started' | 'error' | 'stale';
  integrity?: Integrity;
  source?: ReviewSource;
  /** Indices of the approved items. */
  items?: number[];
  error?: ServerError;
  /** Why the allow-list refuses it (status `denied`). */
  denial?: string;
}

export async function approve(names: string[], options: ApproveOptions, deps: Deps): Promise<ExitStatus> {
  const json = options.format === 'json' || Boolean(options.json);
  if (options.all && names.length > 0) {
    throw new McpmError('USAGE', 'approve --all approves every server; it takes no server names', 'name the servers, or use --all alone');
  }
  if (options.yes && !options.all && names.length === 0) {
    // Approving everything that drifted, unseen, must be said in so many words.
    throw new McpmError(
      'USAGE',
      'approve --yes needs the servers to approve: name them, or pass --all',
      'run "mcpm diff" to see the changes, then "mcpm approve --yes NAME..." (or "--yes --all")',
    );
  }
  if (!options.yes) {
    if (json) {
      throw new McpmError('USAGE', 'approve --json needs --yes: the interactive review has no machine output', 'run "mcpm approve --yes --json [NAME...]"');
    }
    if (!deps.stdinIsTTY || !deps.stdout.isTTY) {
      // Never approve from a pipe: whatever feeds stdin could answer for the reviewer.
      throw new McpmError(
        'NO_TTY',
        'approve needs a terminal to show what you approve, and stdin or stdout is not one',
        'run "mcpm diff" to see the changes, then "mcpm approve --yes NAME" to approve them without a terminal',
      );
    }
  }

  // A refused rule stops the run before any server is started.
  const acceptFields = options.acceptField ?? [];
  for (const pattern of acceptFields) assertAcceptable(pattern);

  // Load.
  const project = await loadProject(options, deps);
  const { lock } = await loadCheckedLock(project, { mayCreate: true });
  // The organisation's list first: a launch it refuses is neither started nor approved, as install
  // neither starts nor locks it.
  const judged = applyAllowlist(offlineStatuses(project, lock, names).statuses, await loadAllowlist(options, deps));
  const offline = judged.filter((s) => s.status !== 'denied');
  const outcomes = new Map<string, Outcome>();
  for (const s of judged) if (s.status === 'denied') outcomes.set(s.name, { name: s.name, status: 'denied', result: 'not-started', ...(s.denial ? { denial: s.denial } : {}) });

  // A changed launch command has not been reviewed, so it is not run until a person says so
  // (MCPoison); `--yes` is that say-so.
  let changedLaunch = offline.filter((s) => s.status === 'config-changed');
  if (!options.yes && changedLaunch.length > 0) {
    const model: ReviewModel = {
      phase: 'launch',
      servers: changedLaunch.map((s) => buildReviewServer(launchOnlySource(s), snapshotIntegrity)),
    };
    const decisions = await runReviewScreen(model, deps, options.color);
    if (decisions === null) return interrupted(deps);
    const start = new Set(decisions.filter((d) => d.verdict === 'approved').map((d) => d.server));
    changedLaunch.forEach((s, i) => {
      if (!start.has(i)) outcomes.set(s.name, { name: s.name, status: s.status, result: 'not-started' });
    });
    // q on this screen ends the whole review: nothing is started, nothing is written.
    if (decisions.length < changedLaunch.length) return finish([...outcomes.values()], { written: false, json, options, deps, lockLabel: project.lockLabel });
    changedLaunch = changedLaunch.filter((_, i) => start.has(i));
  }
  const toContact = offline.filter(
    (s) => (s.status === 'new' || s.status === 'ok' || changedLaunch.includes(s)) && s.config !== undefined,
  );

  // Compute: snapshot, then compare.
  if (!options.yes && toContact.length > 0) {
    deps.stderr.write(`contacting ${toContact.length} server${toContact.length === 1 ? '' : 's'}…\n`);
  }
  const lives = new Map<string, { snapshot: Snapshot; era: Era; protocolVersion: string }>();
  if (toContact.length > 0) {
    const { snapshotAll } = await importSnapshotAll();
    const eraHints = new Map<string, Era>();
    for (const s of toContact) if (s.locked) eraHints.set(s.name, s.locked.protocol.era);
    const results = await snapshotAll(
      toContact.map((s) => s.config!),
      { timeoutMs: options.timeout, concurrency: options.concurrency, projectDir: project.dir, eraHints, command: reachingCommand(options), progress: showsProgress(options) },
      deps,
    );
    for (const [name, result] of results) {
      if (result.ok) lives.set(name, result);
      else outcomes.set(name, { name, status: 'error', result: 'error', error: result.error });
    }
  }
  // Shadowing and cross-server findings look at every server of the project, not only those named.
  const others = new Map<string, Snapshot>();
  for (const [name, entry] of lock.servers) others.set(name, entry.snapshot);
  for (const [name, live] of lives) others.set(name, live.snapshot);
  const reviewed: Reviewed[] = [];
  for (const s of offline) {
    if (s.status === 'stale') outcomes.set(s.name, { name: s.name, status: 'stale', result: 'stale' });
    const live = lives.get(s.name);
    if (!live || !s.config) continue;
    const compared = statusOf(s.name, s.config, s.locked, live.snapshot);
    // New items under `additive: "quarantine"` are not drift, but they wait for this approval.
    const quarantined = compared.judgement?.changes.some((j) => j.disposition === 'quarantined') ?? false;
    const status = compared.status === 'ok' && quarantined ? 'drifted' : compared.status;
    if (status !== 'drifted' && status !== 'new' && status !== 'config-changed') continue;
    reviewed.push({
      source: reviewSourceOf(
        { name: s.name, status, launch: s.config.launch, locked: s.locked },
        live.snapshot,
        new Map([...others].filter(([n]) => n !== s.name)),
      ),
      era: live.era,
      protocolVersion: live.protocolVersion,
    });
  }

  // The package each new server, or each changed launch naming another package, starts: looked up
  // now, as install does, so that approving it does not leave the lock without its pin.
  const unpinned = reviewed.filter((r) => !(r.source.locked?.package && samePackage(r.source.locked.launch, r.source.launch)));
  if (unpinned.length > 0) {
    const { resolvePins } = await import('../adapters/pins/index.js');
    const configs = unpinned.map((r) => project.servers.get(r.source.name)).filter((c) => c !== undefined);
    const pins = await resolvePins(configs, { cwd: project.dir, env: deps.env, timeoutMs: options.timeout, concurrency: options.concurrency, signal: deps.signal });
    for (const r of unpinned) {
      const pin = pins.get(r.source.name)?.pin;
      if (pin) r.pin = pin;
    }
  }

  // Decide (a person in the TUI, or --yes), then act: write the approved snapshots.
  const review = await reviewAndLock(project, reviewed, { yes: Boolean(options.yes), acceptHigh: Boolean(options.acceptHigh), color: options.color, acceptFields }, deps);
  if (review === null) return interrupted(deps);
  for (const o of review.outcomes) {
    const { source } = o.reviewed;
    outcomes.set(source.name, { name: source.name, status: source.status, result: o.result, source, integrity: o.integrity, items: o.items });
  }

  // Render.
  const list = judged.map((s) => outcomes.get(s.name)).filter((o): o is Outcome => o !== undefined);
  return finish(list, { written: review.lockWritten, json, options, deps, lockLabel: project.lockLabel, nothingKnown: judged.length === 0 });
}

function finish(
  list: readonly Outcome[],
  context: { written: boolean; json: boolean; options: ApproveOptions; deps: Deps; lockLabel: string; nothingKnown?: boolean },
): ExitStatus {
  const { written, json, options, deps, lockLabel } = context;
  const exit = exitStatusOf(list);
  if (json) {
    writeJson(deps.stdout, { servers: list.map(outcomeToJson), lockfile: lockLabel, written, exitStatus: exit });
  }
  const human = json ? deps.stderr : deps.stdout;
  if (!options.quiet || exit !== 0) {
    const palette = paletteFor(human.isTTY, deps.env, options.color);
    human.write(renderOutcomes(list, palette, Boolean(options.yes), contextWords(options)));
    if (written) human.write(`wrote ${sanitizeLine(lockLabel)}\n`);
    // With nothing configured and nothing locked there may be no lock at all: it matches nothing.
    if (list.length === 0 && context.nothingKnown) human.write('nothing to approve: no server is configured or locked\n');
    else if (list.length === 0 || list.every((o) => o.result === 'stale')) human.write('nothing to approve: every server matches the lock\n');
  }
  return exit;
}

/** A config-changed server before it is started: only its launch definition can be shown. */
function launchOnlySource(s: ServerStatus): ReviewSource {
  return { name: s.name, status: 'config-changed', launch: s.config!.launch, locked: s.locked, live: s.locked!.snapshot, changes: [], findings: [] };
}

/** 1 while anything stays unapproved; else 3 if a server could not be reached; else 0. */
function exitStatusOf(list: readonly Outcome[]): ExitStatus {
  const pending = ['partial', 'rejected', 'not-reviewed', 'not-started', 'conflict', 'held'];
  if (list.some((o) => pending.includes(o.result))) return 1;
  if (list.some((o) => o.result === 'error')) return 3;
  return 0;
}

const LABEL: Record<Outcome['result'], string> = {
  approved: 'approved',
  partial: 'partly approved',
  rejected: 'rejected',
  'not-reviewed': 'not reviewed',
  'not-started': 'not started',
  conflict: 'not written',
  error: 'ERROR',
  stale: 'stale',
  // The word --json and the README use: nothing was written, and --accept-high would take it.
  held: 'held',
};

function renderOutcomes(list: readonly Outcome[], palette: Palette, yes: boolean, context: string): string {
  const width = Math.max(0, ...list.map((o) => LABEL[o.result].length));
  let out = '';
  for (const o of list) {
    const colour = o.result === 'approved' ? 'green' : o.result === 'stale' ? 'yellow' : 'red';
    const name = sanitize(o.name, { identifier: true });
    out += `${paint(palette, colour, LABEL[o.result].padEnd(width))}  ${name}`;
    if (o.source) out += paint(palette, 'dim', `  (${o.source.status})`);
    out += '\n';
    const notes: SafeText[] = [];
    const high = o.source?.findings.filter((f) => f.severity === 'high') ?? [];
    if (o.source && o.items && o.integrity) {
      const plan = planItems(o.source);
      const chosen = new Set(o.items);
      // The integrity shown on the review screen: that of the definitions approved (a launch-only approval keeps it).
      notes.push(sanitize(`${o.items.length} of ${plan.length} changes approved; definitions' integrity ${o.integrity}`));
      plan.forEach((p, i) => {
        if (!yes && o.result === 'approved') return;
        const what = 'change' in p ? describeChange(p.change) : trusted('modified launch definition');
        // `what` is escaped already; only mcpm's own words are added around it.
        notes.push(trusted(`${chosen.has(i) ? '+' : ' '} ${what}${chosen.has(i) ? '' : ' (not approved)'}`));
      });
      if (yes) notes.push(...high.map(describeFinding));
    }
    if (o.result === 'held') notes.push(...high.map(describeFinding));
    if (o.error) notes.push(sanitize(o.error.message));
    if (o.denial) notes.push(sanitize(`denied by the allow-list: ${o.denial}`));
    const hint = hintFor(o);
    // One line each, here for every note: a finding's or a change's pointer is built from the server's own keys, an error may quote a name or a path.
    for (const n of notes) out += `    ${oneLine(n)}\n`;
    // The hint quotes the server name (config text) for a shell; it is escaped like every name.
    if (hint) out += `    ${paint(palette, 'dim', `hint: ${sanitizeLine(withContext(hint, context))}`)}\n`;
  }
  return out;
}

function hintFor(o: Outcome): string | undefined {
  const name = nameWord(o.name);
  switch (o.result) {
    case 'partial':
      return `the items not approved stay drifted; run "mcpm approve ${name}" to review them`;
    case 'rejected':
    case 'not-reviewed':
      return `its lock entry is unchanged and it stays blocked; "mcpm approve ${name}" reviews it again`;
    case 'not-started':
      return `its launch definition changed and was not started; "mcpm approve ${name}" asks again`;
    case 'conflict':
      return `${shellWord(o.name)}'s lock entry changed while you reviewed it; run "mcpm approve ${name}" again`;
    case 'held':
      return `it has high findings: review it in a terminal with "mcpm approve ${name}", or approve it unseen with "mcpm approve --yes --accept-high ${name}"`;
    case 'stale':
      return `not configured any more; "mcpm install" prunes it`;
    case 'error':
      return o.error ? serverErrorHint(o.error) : undefined;
    default:
      return undefined;
  }
}

function outcomeToJson(o: Outcome) {
  const plan = o.source ? planItems(o.source) : [];
  const chosen = new Set(o.items ?? []);
  return {
    name: o.name,
    status: o.status,
    approved: o.result === 'approved' || o.result === 'partial',
    result: o.result,
    ...(o.integrity ? { integrity: o.integrity } : {}),
    ...(o.source
      ? {
          changes: plan.map((p, i) => ({
            subject: p.subject,
            key: 'change' in p ? p.change.key : '',
            change: 'change' in p ? p.change.change : 'modified',
            fields: 'change' in p ? p.change.fields.map((f) => f.pointer) : [],
            ...('change' in p ? changeAnnotationsJson(p.change, o.source?.judged) : {}),
            approved: chosen.has(i),
          })),
          // As verify and diff give them: with `args`.
          findings: o.source.findings.map((f) => ({ rule: f.rule, severity: f.severity, subject: f.subject, key: f.key, pointer: f.pointer, args: f.args })),
        }
      : {}),
    ...(o.error ? { error: o.error } : {}),
    ...(o.denial ? { denial: o.denial } : {}),
  };
}

