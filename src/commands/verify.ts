/**
 * `mcpm verify`: the lock is the truth and verify never writes (npm ci's "save: false").
 * Online, it reconnects to every locked server whose launch definition still matches and compares
 * integrities; it never starts a server that is not locked, or whose config changed since it was
 * locked (running a changed command before review is the MCPoison attack). `--offline` starts
 * nothing and must not import the SDK, execa or ink.
 */
import type { ExitStatus } from '../core/errors.js';
import type { Era } from '../core/snapshot.js';
import { exitStatusFor, statusOf, type ServerStatus } from '../core/status.js';
import type { Deps } from '../deps.js';
import { renderStatusLines } from '../render/status-text.js';
import { paletteFor } from '../render/style.js';
import type { GlobalOptions } from './options.js';
import { loadCheckedLock, loadProject, selectNames } from './project.js';
import { describeStatuses, statusesToJson } from './report.js';

export interface VerifyOptions extends GlobalOptions {
  offline?: boolean;
}

export async function verify(names: string[], options: VerifyOptions, deps: Deps): Promise<ExitStatus> {
  const project = await loadProject(options, deps);
  const { lock } = await loadCheckedLock(project);
  const all = new Set([...project.servers.keys(), ...lock.servers.keys()]);
  const selected = selectNames(names, all);
  const wanted = [...all].filter((n) => !selected || selected.has(n)).sort(byCodeUnit);

  const offline = wanted.map((name) => statusOf(name, project.servers.get(name), lock.servers.get(name)));
  let statuses: ServerStatus[] = offline;

  if (!options.offline) {
    // Only servers whose offline state is ok are contacted: new, stale and changed ones already fail.
    const toContact = offline.filter((s) => s.status === 'ok').map((s) => s.config!);
    if (toContact.length > 0) {
      const { snapshotAll } = await import('./snapshot-all.js');
      const eraHints = new Map<string, Era>(toContact.map((c) => [c.name, lock.servers.get(c.name)!.protocol.era]));
      const live = await snapshotAll(
        toContact,
        { timeoutMs: options.timeout, concurrency: options.concurrency, projectDir: project.dir, eraHints },
        deps,
      );
      statuses = offline.map((s) => {
        const result = live.get(s.name);
        if (!result) return s;
        if (!result.ok) return { ...s, status: 'error', error: result.error };
        return statusOf(s.name, s.config, s.locked, result.snapshot);
      });
    }
  }

  const exit = exitStatusFor(statuses);
  const lines = await describeStatuses(statuses, lock, project, 'verify');
  if (options.format === 'json') {
    deps.stdout.write(`${JSON.stringify({ ...statusesToJson(statuses, lines), offline: Boolean(options.offline), exitStatus: exit }, null, 2)}\n`);
  } else if (options.format === 'sarif') {
    const { renderSarif } = await import('../render/sarif.js');
    deps.stdout.write(`${JSON.stringify(renderSarif(statuses, lines, project.lockLabel), null, 2)}\n`);
  }
  const human = options.format === 'json' || options.format === 'sarif' ? deps.stderr : deps.stdout;
  if (!options.quiet || exit !== 0) {
    const palette = paletteFor(human.isTTY, deps.env, options.color);
    human.write(renderStatusLines(options.quiet ? lines.filter((l) => l.status !== 'ok') : lines, 'verify', palette));
    if (statuses.length === 0) human.write('no servers configured or locked\n');
  }
  return exit;
}

export function byCodeUnit(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
