/**
 * `mcpm update NAME [--to VERSION]`: moves a locked server to another package version. It resolves
 * the version (npm: `--to` may be a version, range or dist-tag, default `latest`; PyPI: `--to` an
 * exact version, since mcpm asks no PyPI), starts the server once at that exact version, shows what
 * the model would see differently, and needs approval before anything is written: in a terminal,
 * the review screen of `mcpm approve`, showing the snapshot just taken (the server is not started
 * again for it); `--yes` approves without one. Without either: NO_TTY (exit 2), before anything is
 * started.
 *
 * Once approved, the config (the one args element, pinned exactly) and the lock entry (launch,
 * package, snapshot) are written together, the config while the lock's advisory lock is held, and
 * the config is put back if the lock cannot be written. Approving the definitions without the new
 * launch writes nothing: they were served by the new version.
 *
 * A new version whose definitions are identical still needs the approval: the code changed, and
 * that is what an update is (a compromised release can serve the same definitions).
 */
import { McpmError, type ExitStatus } from '../core/errors.js';
import { launchEquals, type LaunchSpec } from '../core/launch/identity.js';
import type { ServerConfig } from '../core/launch/parse.js';
import { describeLaunch } from '../core/launch-text.js';
import { samePin, type PackagePin } from '../core/lockfile.js';
import { describePin, isExactPypiVersion, packageSpecOf, pinnedArgs } from '../core/package-spec.js';
import { sanitize, sanitizeLine } from '../core/sanitize.js';
import { nameWord } from '../core/shell-word.js';
import { snapshotIntegrity, snapshotItemCounts, type Snapshot } from '../core/snapshot.js';
import { statusOf } from '../core/status.js';
import type { Deps } from '../deps.js';
import { reachingCommand, showsProgress, type GlobalOptions } from '../app/options.js';
import { loadAllowlist } from '../app/allowlist.js';
import { judgeLaunch } from '../core/allowlist.js';
import { loadCheckedLock, loadProject, selectNames } from '../app/project.js';
import { sortFindings } from '../app/report.js';
import { interrupted, reviewAndLock, reviewSourceOf } from '../app/review-and-lock.js';
import { renderChangesJson } from '../render/diff-json.js';
import { renderChangesText } from '../render/diff-text.js';
import { writeJson } from '../render/json.js';
import { countItems } from '../render/report.js';
import { paint, paletteFor } from '../render/style.js';
import { importSnapshotAll } from '../app/live.js';

export interface UpdateOptions extends GlobalOptions {
  /** npm: a version, range or dist-tag (default `latest`); PyPI: an exact version. */
  to?: string;
  yes?: boolean;
  /** With `yes`: also a new version with high findings. */
  acceptHigh?: boolean;
}

export async function update(name: string, options: UpdateOptions, deps: Deps): Promise<ExitStatus> {
  const json = options.format === 'json';
  if (!options.yes) {
    if (json) {
      throw new McpmError('USAGE', 'update --json needs --yes: the interactive review has no machine output', `run "mcpm update --yes --json ${nameWord(name)}"`);
    }
    if (!deps.stdinIsTTY || !deps.stdout.isTTY) {
      throw new McpmError(
        'NO_TTY',
        'update needs a terminal to review the new version, and stdin or stdout is not one',
        `run "mcpm update --yes ${nameWord(name)}" to take the new version without a terminal (the diff is printed)`,
      );
    }
  }
  if (options.host !== undefined) {
    throw new McpmError('USAGE', 'mcpm update edits project config files; --host configs are not supported', 'change the version in the host config by hand, then run "mcpm approve"');
  }

  // Load.
  const project = await loadProject(options, deps);
  const { lock } = await loadCheckedLock(project);
  selectNames([name], [...project.servers.keys(), ...lock.servers.keys()]);
  const config = project.servers.get(name);
  const entry = lock.servers.get(name);
  const quoted = nameWord(name);
  // Names are printed in identifier form: one line, whatever a config put in them.
  const shownName = sanitize(name, { identifier: true });
  if (!config) throw new McpmError('USAGE', `server ${JSON.stringify(name)} is locked but not configured`, 'run "mcpm install" to prune it');
  if (!entry) throw new McpmError('USAGE', `server ${JSON.stringify(name)} is not locked yet`, `run "mcpm install ${quoted}" to lock it first`);
  if (statusOf(name, config, entry).status === 'config-changed') {
    throw new McpmError('USAGE', `server ${JSON.stringify(name)}: the launch in the config differs from the lock`, `review it with "mcpm approve ${quoted}" first`);
  }
  const spec = packageSpecOf(config.launch);
  if (spec === null || (spec.manager !== 'npm' && spec.manager !== 'pypi') || spec.unresolvable !== undefined || config.launch.transport !== 'stdio') {
    const why = spec?.unresolvable ?? 'it is not launched from npm or PyPI (Docker images are updated by writing the new digest in the config, then "mcpm approve")';
    throw new McpmError('USAGE', `server ${JSON.stringify(name)} cannot be updated by mcpm: ${why}`, `change the config by hand, then run "mcpm approve ${quoted}"`);
  }

  // Compute: the target version, then what the server serves at it.
  let target: PackagePin;
  if (spec.manager === 'pypi') {
    if (options.to === undefined || !isExactPypiVersion(options.to)) {
      throw new McpmError('USAGE', `${spec.name} is a PyPI package: name the exact version with --to (mcpm does not ask PyPI)`, `run "mcpm update --to 1.2.3 ${quoted}"`);
    }
    target = { manager: 'pypi', name: spec.name, version: options.to };
  } else {
    const { resolveNpmVersion, PinResolveError } = await import('../adapters/pins/index.js');
    try {
      const resolved = await resolveNpmVersion(spec.name, options.to ?? 'latest', { cwd: project.dir, env: deps.env, serverEnv: config.env, timeoutMs: options.timeout, signal: deps.signal });
      target = { manager: 'npm', name: spec.name, version: resolved.version, ...(resolved.integrity === undefined ? {} : { integrity: resolved.integrity }) };
    } catch (error) {
      if (deps.signal.aborted) throw deps.signal.reason;
      if (!(error instanceof PinResolveError)) throw error;
      if (error.kind === 'not-found') {
        throw new McpmError('USAGE', error.message, `run "mcpm outdated ${quoted}" to see the versions there are`);
      }
      return unreachable(name, error.message, json, deps);
    }
  }
  const launch: LaunchSpec = { ...config.launch, args: pinnedArgs(config.launch.args, spec, target.version!) };
  const human = json ? deps.stderr : deps.stdout;
  if (launchEquals(launch, entry.launch) && samePin(entry.package, target)) {
    if (json) writeJson(deps.stdout, { name, result: 'up-to-date', package: target, written: false, exitStatus: 0 });
    if (!options.quiet) human.write(`${shownName} is already at ${sanitize(describePin(target))}; nothing to update\n`);
    return 0;
  }

  // The organisation's list judges the launch the update would write, before it is started.
  const allowlist = await loadAllowlist(options, deps);
  const judged = allowlist ? judgeLaunch(allowlist, launch) : { allowed: true as const };
  if (!judged.allowed) {
    if (json) writeJson(deps.stdout, { name, result: 'denied', denial: judged.reason, package: target, written: false, exitStatus: 1 });
    deps.stderr.write(`${sanitizeLine(`mcpm: ${name} at ${describePin(target)} is denied by the allow-list (${judged.reason}); nothing was started or written`)}\n`);
    return 1;
  }

  const { snapshotAll } = await importSnapshotAll();
  const updated: ServerConfig = { ...config, launch };
  const results = await snapshotAll(
    [updated],
    { timeoutMs: options.timeout, concurrency: 1, projectDir: project.dir, eraHints: new Map([[name, entry.protocol.era]]), command: reachingCommand(options), progress: showsProgress(options) },
    deps,
  );
  const live = results.get(name);
  if (!live) throw new Error('Assertion failed: no snapshot result for the updated server');
  if (!live.ok) return unreachable(name, `${live.error.message} (at ${target.version})`, json, deps, live.error.code);
  const others = new Map<string, Snapshot>();
  for (const [other, e] of lock.servers) if (other !== name) others.set(other, e.snapshot);
  // Only the package may have changed (the same version re-published): then the launch is the locked one.
  const status = launchEquals(launch, entry.launch) ? 'drifted' : 'config-changed';
  const source = reviewSourceOf({ name, status, launch, locked: entry }, live.snapshot, others);
  const { changes } = source;
  const findings = sortFindings(source.findings);

  // Render what would change, before anything is written.
  const palette = paletteFor(human.isTTY, deps.env, options.color);
  if (!json || !options.quiet) {
    human.write(`${paint(palette, 'bold', `update ${shownName}`)}: ${sanitizeLine(`${entry.package ? describePin(entry.package) : spec.name} → ${describePin(target)}`)}\n`);
    human.write(`  locked:  $ ${describeLaunch(entry.launch)}\n  updated: $ ${describeLaunch(launch)}\n`);
    if (changes.length === 0) {
      human.write(sanitize(`  the definitions are identical (${countItems(snapshotItemCounts(live.snapshot))}), but the code is not: review the package's changes before approving\n`));
    } else if (source.judged?.every((j) => j.disposition !== 'review')) {
      // A version bump alone (or changes the entry's accept rules take) changes nothing the model sees.
      human.write(sanitize(`  nothing the model sees changed (${countItems(snapshotItemCounts(live.snapshot))}; ${changes.length} change(s) that need no review), but the code did: review the package's changes before approving\n`));
    } else {
      human.write(renderChangesText(name, changes, findings, { color: palette.color, width: Number(deps.env.COLUMNS) || 80 }, source.judged));
    }
  }

  // Decide (the review screen, or --yes) and write the config and the lock entry together.
  const edit = { server: name, argIndex: spec.argIndex, from: config.launch.args[spec.argIndex]!, to: launch.args[spec.argIndex]! };
  const review = await reviewAndLock(
    project,
    [{ source, era: live.era, protocolVersion: live.protocolVersion, newLaunch: { package: target, edits: edit.from === edit.to ? [] : [edit] } }],
    { yes: Boolean(options.yes), acceptHigh: Boolean(options.acceptHigh), color: options.color },
    deps,
  );
  if (review === null) return interrupted(deps);
  const { result } = review.outcomes[0]!;
  const taken = result === 'approved' || result === 'partial';
  const exit: ExitStatus = result === 'approved' ? 0 : 1;
  if (json) {
    writeJson(deps.stdout, {
      ...renderChangesJson(name, 'updated', changes, findings),
      result: result === 'conflict' || result === 'held' ? result : 'updated',
      package: { locked: entry.package ?? null, updated: target },
      launch: { locked: entry.launch, updated: launch },
      integrity: snapshotIntegrity(live.snapshot),
      written: { configs: review.configs, lockfile: review.lockWritten },
      exitStatus: exit,
    });
  }
  if (result === 'conflict') {
    human.write(`not written: the lock entry of ${shownName} changed while mcpm was updating it; ${sanitize(`run "mcpm update ${quoted}" again`)}\n`);
  } else if (!taken) {
    human.write(`not updated: ${shownName} ${sanitizeLine(`stays at ${entry.package ? describePin(entry.package) : 'its locked version'}; nothing was written`)}\n`);
    if (result === 'held') {
      human.write(sanitize(`hint: the new version has high findings: review it in a terminal with "mcpm update ${quoted}", or take it unseen with "mcpm update --yes --accept-high ${quoted}"\n`));
    }
  } else {
    human.write(`updated ${shownName} ${sanitizeLine(`to ${describePin(target)}; wrote ${[...review.configs, ...(review.lockWritten ? [project.lockLabel] : [])].join(', ')}`)}\n`);
    if (result === 'partial') {
      human.write(sanitize(`the items not approved stay drifted; run "mcpm approve ${quoted}" to review them\n`));
    }
  }
  return exit;
}

function unreachable(name: string, message: string, json: boolean, deps: Deps, code = 'PACKAGE_RESOLVE_FAILED'): ExitStatus {
  if (json) writeJson(deps.stdout, { name, result: 'error', error: { code, message }, written: false, exitStatus: 3 });
  deps.stderr.write(`mcpm: ${sanitize(name, { identifier: true })}: ${sanitizeLine(message)}\nhint: nothing was changed; check the registry or the server's command, then run the update again\n`);
  return 3;
}

