/**
 * `mcpm outdated [NAME...]`: newer versions of the npm packages behind locked servers, by kind
 * (patch, minor, major; semver), from `npm view <name> versions --json`. It reads the lock only and
 * changes nothing; `mcpm update NAME --to VERSION` takes one, with a review. Exit 0 whether or not
 * something is outdated (a newer version is news, not drift); 3 when a registry could not be asked.
 * PyPI and Docker pins are listed as not checked: mcpm asks no registry for them.
 */
import { forEachConcurrently } from '../core/pool.js';
import type { ExitStatus } from '../core/errors.js';
import { sanitize, sanitizeLine } from '../core/sanitize.js';
import type { Deps } from '../deps.js';
import { writeJson } from '../render/json.js';
import { paint, paletteFor } from '../render/style.js';
import type { GlobalOptions } from '../app/options.js';
import { byCodeUnit, loadCheckedLock, loadProject, selectNames } from '../app/project.js';

export interface OutdatedRow {
  name: string;
  manager: 'npm' | 'pypi' | 'docker';
  package: string;
  current: string | null;
  /** Highest newer version with the same major and minor. */
  patch: string | null;
  /** Highest newer version with the same major and a higher minor. */
  minor: string | null;
  /** Highest version with a higher major. */
  major: string | null;
  /** The registry's `latest` dist-tag. */
  latest: string | null;
  /** The largest kind of update available: what `mcpm update NAME` (to latest) would be. */
  type: 'major' | 'minor' | 'patch' | null;
  /** Why the row was not checked, or the registry error. */
  note?: string;
  error?: { code: string; message: string };
}

export async function outdated(names: string[], options: GlobalOptions, deps: Deps): Promise<ExitStatus> {
  const project = await loadProject(options, deps);
  const { lock } = await loadCheckedLock(project);
  const selected = selectNames(names, [...lock.servers.keys(), ...project.servers.keys()]);
  const wanted = [...lock.servers.keys()].filter((n) => (!selected || selected.has(n)) && lock.servers.get(n)!.package).sort(byCodeUnit);

  const rows: OutdatedRow[] = [];
  const toCheck: OutdatedRow[] = [];
  for (const name of wanted) {
    const pin = lock.servers.get(name)!.package!;
    const row: OutdatedRow = { name, manager: pin.manager, package: pin.name, current: pin.version ?? null, patch: null, minor: null, major: null, latest: null, type: null };
    rows.push(row);
    if (pin.manager !== 'npm') row.note = `not checked: mcpm asks no ${pin.manager === 'pypi' ? 'PyPI' : 'container'} registry`;
    else if (pin.version === undefined) row.note = 'not checked: the lock records no version';
    else toCheck.push(row);
  }

  if (toCheck.length > 0) {
    const [{ npmVersions, PinResolveError }, { default: semver }] = await Promise.all([import('../adapters/pins/index.js'), import('semver')]);
    await forEachConcurrently(toCheck, options.concurrency, async (row) => {
      try {
        const { versions, latest } = await npmVersions(row.package, { cwd: project.dir, env: deps.env, timeoutMs: options.timeout, signal: deps.signal });
        Object.assign(row, classify(row.current!, versions, semver));
        row.latest = latest ?? null;
      } catch (error) {
        if (!(error instanceof PinResolveError)) throw error;
        row.error = { code: 'PACKAGE_RESOLVE_FAILED', message: error.message };
      }
    });
    if (deps.signal.aborted) throw deps.signal.reason;
  }

  // As `npm outdated`: 1 when a newer version exists, so a CI step can act on it; that wins over 3, as drift does.
  const exit: ExitStatus = rows.some((r) => r.type !== null) ? 1 : rows.some((r) => r.error) ? 3 : 0;
  if (options.format === 'json') {
    writeJson(deps.stdout, { servers: rows, exitStatus: exit });
  }
  const human = options.format === 'json' ? deps.stderr : deps.stdout;
  const palette = paletteFor(human.isTTY, deps.env, options.color);
  human.write(renderRows(options.quiet ? rows.filter((r) => r.type || r.error) : rows, palette));
  if (rows.length === 0 && !options.quiet) human.write('no locked server has a package pin (run "mcpm install" to record them)\n');
  return exit;
}

/**
 * The highest newer version of each kind. Pre-releases count only when the current version is
 * one (as npm outdated treats them); versions that do not parse are ignored.
 */
function classify(
  current: string,
  versions: readonly string[],
  semver: typeof import('semver'),
): Pick<OutdatedRow, 'patch' | 'minor' | 'major' | 'type'> {
  const now = semver.parse(current);
  const result: Pick<OutdatedRow, 'patch' | 'minor' | 'major' | 'type'> = { patch: null, minor: null, major: null, type: null };
  if (!now) return result;
  const higher = (a: string | null, b: string) => (a === null || semver.gt(b, a) ? b : a);
  for (const v of versions) {
    const parsed = semver.parse(v);
    if (!parsed || !semver.gt(parsed, now)) continue;
    if (parsed.prerelease.length > 0 && now.prerelease.length === 0) continue;
    if (parsed.major !== now.major) result.major = higher(result.major, parsed.version);
    else if (parsed.minor !== now.minor) result.minor = higher(result.minor, parsed.version);
    else result.patch = higher(result.patch, parsed.version);
  }
  result.type = result.major ? 'major' : result.minor ? 'minor' : result.patch ? 'patch' : null;
  return result;
}

function renderRows(rows: readonly OutdatedRow[], palette: { color: boolean }): string {
  if (rows.length === 0) return '';
  const header = ['SERVER', 'PACKAGE', 'CURRENT', 'PATCH', 'MINOR', 'MAJOR'];
  const cells = rows.map((r) => [
    sanitize(r.name, { identifier: true }),
    // From the lock: one line each, whatever a tampered entry holds.
    sanitizeLine(r.package),
    sanitizeLine(r.current ?? '-'),
    r.patch ?? '-',
    r.minor ?? '-',
    r.major ?? '-',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  const pad = (cols: readonly string[]) => cols.map((c, i) => (i === cols.length - 1 ? c : c.padEnd(widths[i]!))).join('  ');
  let out = `${paint(palette, 'bold', pad(header))}\n`;
  rows.forEach((r, i) => {
    const colour = r.type === 'major' ? 'red' : r.type === 'minor' ? 'yellow' : r.type === 'patch' ? 'green' : 'dim';
    out += `${paint(palette, colour, pad(cells[i]!))}\n`;
    if (r.note) out += `    ${paint(palette, 'dim', sanitizeLine(r.note))}\n`;
    if (r.error) out += `    ${sanitizeLine(r.error.message)}\n`;
  });
  return out;
}
