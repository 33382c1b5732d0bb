/**
 * `mcpm pin [NAME...]`: writes the locked package version into the config, so the launch line
 * names exactly the code that was locked (`npx -y pkg` → `npx -y pkg@1.2.3`). Only the one args
 * element changes in the file (adapters/pins/config-edit.ts keeps the rest byte for byte).
 *
 * The lock's `launch` is updated in the same step, because the launch is part of what the lock
 * pins: left alone, the next verify would report the server as config-changed and ask for a
 * review. Updating it without one is safe because the new launch adds no new code: it names the
 * version the lock already records in `package`, whose integrity was resolved when the snapshot
 * was taken; the snapshot and its integrity stay as they are. Only entries whose launch still
 * equals the config's are touched (a changed launch is `mcpm approve`'s to review), and an entry
 * that changed on disk meanwhile is left alone. The config files are written while the lock's
 * advisory lock is held, and put back if the lock cannot be written.
 */
import { McpmError, type ExitStatus } from '../core/errors.js';
import type { LockEntry, PackagePin } from '../core/lockfile.js';
import { packageSpecOf, pinnedArgs, type PackageSpec } from '../core/package-spec.js';
import { sanitize, sanitizeLine } from '../core/sanitize.js';
import { statusOf } from '../core/status.js';
import type { Deps } from '../deps.js';
import { writeJson } from '../render/json.js';
import { nameWord } from '../core/shell-word.js';
import { paint, paletteFor } from '../render/style.js';
import type { GlobalOptions } from '../app/options.js';
import { loadCheckedLock, loadProject, selectNames } from '../app/project.js';
import { byCodeUnit } from '../app/project.js';

export type PinResult = 'pinned' | 'already-pinned' | 'not-a-package' | 'not-pinnable' | 'not-locked' | 'config-changed' | 'no-version' | 'conflict';

export interface PinOutcome {
  name: string;
  result: PinResult;
  /** The args element before and after (for 'pinned'). */
  from?: string;
  to?: string;
  reason?: string;
}

interface Plan {
  name: string;
  spec: PackageSpec;
  entry: LockEntry;
  args: string[];
  outcome: PinOutcome;
}

/** Outcomes that leave a launch floating: the run exits 1, as `verify --strict` would. */
const UNPINNED: readonly PinResult[] = ['not-pinnable', 'not-locked', 'config-changed', 'no-version', 'conflict'];

export async function pin(names: string[], options: GlobalOptions, deps: Deps): Promise<ExitStatus> {
  if (options.host !== undefined) {
    throw new McpmError('USAGE', 'mcpm pin edits project config files; --host configs are not supported', 'pin the version in the host config by hand, then run "mcpm approve"');
  }
  const project = await loadProject(options, deps);
  const { lock } = await loadCheckedLock(project);
  const selected = selectNames(names, project.servers.keys());
  const wanted = [...project.servers.keys()].filter((n) => !selected || selected.has(n)).sort(byCodeUnit);

  const outcomes: PinOutcome[] = [];
  const plans: Plan[] = [];
  for (const name of wanted) {
    const config = project.servers.get(name)!;
    const spec = packageSpecOf(config.launch);
    const outcome = (result: PinResult, reason?: string): PinOutcome => {
      const o: PinOutcome = { name, result, ...(reason === undefined ? {} : { reason }) };
      outcomes.push(o);
      return o;
    };
    if (spec === null || spec.manager === 'local' || config.launch.transport !== 'stdio') {
      // Only worth a line when it was asked for by name.
      if (selected) outcome('not-a-package', 'not launched from a package registry (a local file, a URL or a command mcpm does not know)');
      continue;
    }
    if (spec.exact) {
      outcome('already-pinned');
      continue;
    }
    if (spec.unresolvable !== undefined) {
      outcome('not-pinnable', `the package reference cannot be pinned by mcpm: ${spec.unresolvable}`);
      continue;
    }
    const entry = lock.servers.get(name);
    if (!entry) {
      outcome('not-locked', `run "mcpm install ${nameWord(name)}" first: pin writes the version the lock records`);
      continue;
    }
    if (statusOf(name, config, entry).status === 'config-changed') {
      outcome('config-changed', `the launch differs from the lock; review it with "mcpm approve ${nameWord(name)}" first`);
      continue;
    }
    const version = lockedReference(spec, entry.package);
    if (version === undefined) {
      outcome('no-version', noVersionReason(spec, name));
      continue;
    }
    const args = pinnedArgs(config.launch.args, spec, version);
    const o = outcome('pinned');
    o.from = config.launch.args[spec.argIndex];
    o.to = args[spec.argIndex];
    plans.push({ name, spec, entry, args, outcome: o });
  }

  let configsWritten: string[] = [];
  let lockWritten = false;
  if (plans.length > 0) {
    const { writeConfigAndLock } = await import('../app/config-and-lock.js');
    const rewrites = plans.map((p) => {
      const launch = p.entry.launch;
      if (launch.transport !== 'stdio') throw new Error('Assertion failed: pinning a launch that is not stdio');
      const next: LockEntry = { ...p.entry, launch: { ...launch, args: p.args } };
      return { name: p.name, read: p.entry, next, edits: [{ server: p.name, argIndex: p.spec.argIndex, from: p.outcome.from!, to: p.outcome.to! }] };
    });
    const result = await writeConfigAndLock(project, rewrites);
    for (const p of plans) {
      if (!result.conflicts.has(p.name)) continue;
      p.outcome.result = 'conflict';
      p.outcome.reason = `its lock entry changed while mcpm read it; run "mcpm pin ${nameWord(p.name)}" again`;
    }
    configsWritten = result.configs;
    lockWritten = result.lockWritten;
  }

  const exit: ExitStatus = outcomes.some((o) => UNPINNED.includes(o.result)) ? 1 : 0;
  if (options.format === 'json') {
    writeJson(deps.stdout, { servers: outcomes, written: { configs: configsWritten, lockfile: lockWritten }, exitStatus: exit });
  }
  const human = options.format === 'json' ? deps.stderr : deps.stdout;
  const palette = paletteFor(human.isTTY, deps.env, options.color);
  const shown = options.quiet ? outcomes.filter((o) => UNPINNED.includes(o.result)) : outcomes;
  const width = Math.max(0, ...shown.map((o) => LABEL[o.result].length));
  for (const o of shown) {
    const colour = o.result === 'pinned' || o.result === 'already-pinned' ? 'green' : o.result === 'not-a-package' ? 'dim' : 'red';
    let line = `${paint(palette, colour, LABEL[o.result].padEnd(width))}  ${sanitize(o.name, { identifier: true })}`;
    if (o.from !== undefined && o.to !== undefined) line += `  ${sanitizeLine(`${o.from} → ${o.to}`)}`;
    human.write(`${line}\n`);
    if (o.reason) human.write(`    ${paint(palette, 'dim', sanitizeLine(o.reason))}\n`);
  }
  if (configsWritten.length > 0) human.write(`${sanitizeLine(`wrote ${[...configsWritten, ...(lockWritten ? [project.lockLabel] : [])].join(', ')}`)}\n`);
  else if (!options.quiet && outcomes.length === 0) human.write('no package launches to pin\n');
  return exit;
}

const LABEL: Record<PinResult, string> = {
  pinned: 'pinned',
  'already-pinned': 'already pinned',
  'not-a-package': 'not a package',
  'not-pinnable': 'NOT PINNABLE',
  'not-locked': 'NOT LOCKED',
  'config-changed': 'CHANGED',
  'no-version': 'NO VERSION',
  conflict: 'NOT WRITTEN',
};

/** The version (npm, PyPI) or digest (Docker) the lock records for this launch's package. */
function lockedReference(spec: PackageSpec, pin: PackagePin | undefined): string | undefined {
  if (!pin || pin.manager !== spec.manager || pin.name !== spec.name) return undefined;
  if (spec.manager === 'docker') return pin.integrity;
  return pin.version;
}

function noVersionReason(spec: PackageSpec, name: string): string {
  if (spec.manager === 'docker') {
    return `the lock has no digest for ${spec.name}; find it with "docker buildx imagetools inspect" and write ${spec.name}@sha256:… in the config`;
  }
  if (spec.manager === 'pypi') return `the lock has no version for ${spec.name} (mcpm does not ask PyPI); run "mcpm update --to VERSION ${nameWord(name)}"`;
  return `the lock records no version for ${spec.name}; run "mcpm update ${nameWord(name)}" to resolve, review and pin one`;
}
