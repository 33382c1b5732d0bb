/**
 * The "load" step every command shares: where the project is, what it configures, what it locked.
 * Snapshotting lives in ./snapshot-all.ts so commands that stay offline never import the SDK.
 */
import { promises as fs } from 'node:fs';
import { dirname, isAbsolute, parse, relative, resolve } from 'node:path';
import { loadConfig } from '../adapters/config-files.js';
import type { HostPlace } from '../adapters/hosts/index.js';
import { readLock, readLockHead, type LoadedLock } from '../adapters/lock-store.js';
import { McpmError } from '../core/errors.js';
import type { ServerConfig } from '../core/launch/parse.js';
import { checkLock, emptyLock, lockFromHead, type Lock, type LockHead } from '../core/lockfile.js';
import { jsonQuote } from '../core/json-strict.js';
import { statusOf, type ServerStatus } from '../core/status.js';
import type { Deps } from '../deps.js';
import type { GlobalOptions } from './options.js';

export interface Project {
  dir: string;
  lockFile: string;
  /** lockFile relative to dir, for messages. */
  lockLabel: string;
  /** `--lockfile` named it: a file that is not there is then a typo, not a project without a lock yet. */
  lockGiven?: boolean;
  configFiles: string[];
  servers: Map<string, ServerConfig>;
  /** Servers read from the original definition `mcpm guard` kept beside a host config (docs/hosts.md). */
  guarded?: Set<string>;
}

export function projectDir(options: GlobalOptions, deps: Deps): string {
  return options.cwd ? resolve(deps.cwd, options.cwd) : deps.cwd;
}

export async function lockPath(options: GlobalOptions, deps: Deps): Promise<{ file: string; label: string }> {
  const dir = projectDir(options, deps);
  // --host without --lockfile: the host's own lock in mcpm's config directory (docs/hosts.md).
  if (options.lockfile === undefined && options.host !== undefined) {
    const { defaultHostLock, displayPath, hostByName } = await import('../adapters/hosts/index.js');
    const file = defaultHostLock(hostByName(options.host).name, hostPlace(deps));
    return { file, label: displayPath(file, hostPlace(deps)) };
  }
  const file = resolve(dir, options.lockfile ?? 'mcp.lock');
  const rel = relative(dir, file);
  // Relative to the project for brevity, except from `/`, where hosts often start `mcpm run`.
  const inside = rel && !rel.startsWith('..') && !isAbsolute(rel) && dir !== parse(dir).root;
  return { file, label: inside ? rel : file };
}

/** Where host configs are looked for: this environment (HOME, APPDATA, …) on this platform. */
export function hostPlace(deps: Deps): HostPlace {
  return { env: deps.env, platform: process.platform };
}

export async function loadProject(options: GlobalOptions, deps: Deps): Promise<Project> {
  const dir = projectDir(options, deps);
  const { file, label } = await lockPath(options, deps);
  const { servers, files, guarded } = await loadConfig(dir, options.config ?? [], { host: options.host, place: hostPlace(deps) });
  // The default lock of --host lives in mcpm's own config directory, which may not exist yet.
  // It is mcpm's own directory and private: a user-level host config can hold tokens in args or URLs,
  // which the lock records as written; an existing directory is made private too.
  if (options.lockfile === undefined && options.host !== undefined) {
    await fs.mkdir(dirname(file), { recursive: true, mode: 0o700 });
    await fs.chmod(dirname(file), 0o700);
  }
  return { dir, lockFile: file, lockLabel: label, lockGiven: options.lockfile !== undefined, configFiles: files, servers, guarded };
}

/**
 * Reads the lock and refuses one whose entries do not match their own integrity (edited by hand).
 * A lock named with `--lockfile` must exist (LOCKFILE_MISSING), except for the commands that
 * create one (`mayCreate`: install, approve).
 */
export async function loadCheckedLock(
  project: Pick<Project, 'lockFile' | 'lockLabel' | 'lockGiven'>,
  options: { mayCreate?: boolean } = {},
): Promise<LoadedLock> {
  const loaded = await readLock(project.lockFile, { displayName: project.lockLabel });
  if (loaded.text === null && project.lockGiven && !options.mayCreate) {
    throw new McpmError('LOCKFILE_MISSING', `${project.lockLabel}: no such lock file`, 'check the path given to --lockfile; "mcpm install" creates the lock');
  }
  assertUntampered(loaded.lock, project.lockLabel);
  return loaded;
}

/** The lock read up to its launches (null: no lock file); finish with checkedLockFromHead. For `mcpm run`. */
export function loadLockHead(project: Pick<Project, 'lockFile' | 'lockLabel'>): Promise<LockHead | null> {
  return readLockHead(project.lockFile, { displayName: project.lockLabel });
}

/** The rest of loadCheckedLock, after loadLockHead: for every entry, or only the one named. */
export function checkedLockFromHead(head: LockHead | null, label: string, only?: string): Lock {
  if (head === null) return emptyLock();
  const lock = lockFromHead(head, only);
  assertUntampered(lock, label);
  return lock;
}

export function assertUntampered(lock: Lock, label: string): void {
  const tampered = checkLock(lock);
  if (tampered.length === 0) return;
  const first = tampered[0]!;
  // Each entry named once: an edited definition also breaks the entry's own integrity, which
  // would otherwise read as a second, identical complaint.
  const others = [...new Set(tampered.map((t) => t.name))].filter((n) => n !== first.name).map((n) => jsonQuote(n));
  const where = first.field === 'integrity' ? '' : ` at ${first.field}`;
  throw new McpmError(
    'LOCKFILE_TAMPERED',
    `${label}: entry ${jsonQuote(first.name)} does not match its integrity${where} (edited by hand?)` +
      (others.length > 0 ? `; so ${others.length === 1 ? 'does entry' : 'do entries'} ${others.join(', ')}` : ''),
    `restore ${label} from version control (git checkout -- ${label}), or delete the entry and run "mcpm install" to re-lock it`,
  );
}

/** Names given on the command line must be configured or locked; a typo is a usage error, not "nothing to do". */
export function selectNames(given: readonly string[], known: Iterable<string>): Set<string> | null {
  if (given.length === 0) return null;
  const all = new Set(known);
  const unknown = given.filter((n) => !all.has(n));
  if (unknown.length > 0) {
    throw new McpmError(
      'USAGE',
      `no server named ${unknown.map((n) => jsonQuote(n)).join(', ')} in the config or the lock`,
      'run "mcpm ls" to see the configured servers',
    );
  }
  return new Set(given);
}

/** The offline status of every selected server (all configured or locked ones when no names are given), in name order. */
export function offlineStatuses(project: Project, lock: Lock, names: readonly string[]): { selected: Set<string> | null; statuses: ServerStatus[] } {
  const all = new Set([...project.servers.keys(), ...lock.servers.keys()]);
  const selected = selectNames(names, all);
  const wanted = [...all].filter((n) => !selected || selected.has(n)).sort(byCodeUnit);
  return { selected, statuses: wanted.map((name) => statusOf(name, project.servers.get(name), lock.servers.get(name))) };
}

export function byCodeUnit(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
