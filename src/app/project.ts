/**
 * The "load" step every command shares: where the project is, what it configures, what it locked.
 * Snapshotting lives in ./snapshot-all.ts so commands that stay offline never import the SDK.
 */
import { promises as fs } from 'node:fs';
import { dirname, isAbsolute, parse, relative, resolve } from 'node:path';
import { findProjectDir, loadConfig } from '../adapters/config-files.js';
import type { HostPlace } from '../adapters/hosts/index.js';
import { lockFileMissing, readCheckedLock, readLock, readLockHead, type LoadedLock } from '../adapters/lock-store.js';
import { selfBuild } from '../self.js';
import { mcpmCacheDir, type BuildCache } from '../adapters/cache-dir.js';
import { makeDirectories } from '../adapters/make-directories.js';
import { ValueMatches } from '../adapters/value-matches.js';
import type { EntryChecks } from '../adapters/entry-checks.js';
import { McpmError } from '../core/errors.js';
import type { ServerConfig } from '../core/launch/parse.js';
import type { LaunchSpec } from '../core/launch/identity.js';
import { boundLaunch, hasBoundValues, hashedForm, jobKey, valueJobs, type ValueJob } from '../core/launch/values.js';
import { freshValueSalt, valueDigest } from '../core/canonical.js';
import { checkLock, emptyLock, entryCheckText, lockFromHead, type Lock, type LockEntry, type LockHead } from '../core/lockfile.js';
import { jsonQuote } from '../core/json-strict.js';
import { statusOf, type ServerStatus } from '../core/status.js';
import type { Deps } from '../deps.js';
import { assertDirectory, type GlobalOptions } from './options.js';
import { sanitizeLine } from '../core/sanitize.js';
import { shellWord } from '../core/shell-word.js';

export interface Project {
  dir: string;
  lockFile: string;
  /** lockFile relative to dir, for messages. */
  lockLabel: string;
  /** `--lockfile` named it: a file that is not there is then a typo, not a project without a lock yet. */
  lockGiven?: boolean;
  configFiles: string[];
  /** configFiles as the user names them from where the command was pointed (`../.mcp.json` from a subdirectory), for messages. */
  configLabels: string[];
  servers: Map<string, ServerConfig>;
  /** Servers read from the original definition `mcpm guard` kept beside a host config (docs/hosts.md). */
  guarded?: Set<string>;
  /** This user's values found to match the lock before (bindValues); read when first asked. */
  valueMatches?: ValueMatches;
}

export function projectDir(options: GlobalOptions, deps: Deps): string {
  return options.cwd ? resolve(deps.cwd, options.cwd) : deps.cwd;
}

/** Where the command was pointed (`-C` or the working directory), and the project directory found from there. */
export interface Located {
  start: string;
  dir: string;
}

/**
 * Discovery finds the project as git and npm do: from a subdirectory, the nearest directory above
 * that holds a project config or mcp.lock (adapters/config-files.ts says where the search stops).
 * `--config` and `--host` name the configs themselves, so they search nothing.
 */
export async function locateProject(options: GlobalOptions, deps: Deps): Promise<Located> {
  if (options.cwd !== undefined) assertDirectory(options.cwd, deps.cwd);
  const start = projectDir(options, deps);
  if (options.host !== undefined || (options.config ?? []).length > 0) return { start, dir: start };
  const found = await findProjectDir(start, { home: deps.env.HOME, lockName: DEFAULT_LOCK });
  return { start, dir: found ?? start };
}

const DEFAULT_LOCK = 'mcp.lock';

/** The lock file: `--lockfile` (relative to where the command was pointed), the host's own, or mcp.lock in the project directory. */
export async function lockPath(options: GlobalOptions, deps: Deps, located?: Located): Promise<{ file: string; label: string }> {
  // --host without --lockfile: the host's own lock in mcpm's config directory (docs/hosts.md).
  if (options.lockfile === undefined && options.host !== undefined) {
    const { defaultHostLock, displayPath, hostByName } = await import('../adapters/hosts/index.js');
    const file = defaultHostLock(hostByName(options.host).name, hostPlace(deps));
    return { file, label: displayPath(file, hostPlace(deps)) };
  }
  const { start, dir: found } = located ?? (await locateProject(options, deps));
  const file = options.lockfile === undefined ? resolve(found, DEFAULT_LOCK) : resolve(start, options.lockfile);
  const dir = start;
  const rel = relative(dir, file);
  // Relative to the project for brevity, except from `/`, where hosts often start `mcpm run`.
  const inside = rel && !rel.startsWith('..') && !isAbsolute(rel) && dir !== parse(dir).root;
  // Found in a directory above: `../mcp.lock`, as the user would name it from where they are.
  const above = options.lockfile === undefined && found !== start;
  return { file, label: inside || above ? rel : file };
}

/** Where host configs are looked for: this environment (HOME, APPDATA, …) on this platform. */
export function hostPlace(deps: Deps): HostPlace {
  return { env: deps.env, platform: process.platform };
}

/**
 * `otherHosts`: also tell of other hosts' project configs with servers that discovery does not
 * read (verify and install, the checks a project relies on; not `mcpm run`, whose start-up a host
 * waits for).
 */
export async function loadProject(options: GlobalOptions, deps: Deps, extra: { otherHosts?: boolean } = {}): Promise<Project> {
  const located = await locateProject(options, deps);
  const dir = located.dir;
  const { file, label } = await lockPath(options, deps, located);
  const { servers, files, guarded, unchecked } = await loadConfig(dir, options.config ?? [], { host: options.host, place: hostPlace(deps), otherHosts: extra.otherHosts === true });
  // As the lock's label: from where the command was pointed (discovery found the project above it).
  const configLabels = located.dir === located.start ? files : files.map((f) => relative(located.start, resolve(located.dir, f)) || f);
  if ((located.dir !== located.start || options.verbose) && !options.quiet) await sayWhatIsUsed(configLabels, { file, label }, deps);
  for (const u of unchecked) {
    const what = u.servers < 0 ? 'could not be read; any server it names is one' : `names ${u.servers} server${u.servers === 1 ? '' : 's'}`;
    deps.stderr.write(
      `${sanitizeLine(`mcpm: warning: ${u.file} (${u.host}) ${what} that mcpm does not check; lock it with --config ${shellWord(u.file)} --lockfile <its own lock>`)}\n`,
    );
  }
  // The default lock of --host lives in mcpm's own config directory, which may not exist yet.
  // It is mcpm's own directory and private: a user-level host config can hold tokens in args or URLs,
  // which the lock records as written; an existing directory is made private too.
  if (options.lockfile === undefined && options.host !== undefined) {
    makeDirectories(dirname(file), 0o700);
    await fs.chmod(dirname(file), 0o700);
  }
  const valueMatches = new ValueMatches(hostPlace(deps));
  return { dir, lockFile: file, lockLabel: label, lockGiven: options.lockfile !== undefined, configFiles: files, configLabels, servers, guarded, valueMatches };
}

/** Found in a directory above, or -v: which files this run reads, as the user would name them from where they are. */
async function sayWhatIsUsed(configLabels: readonly string[], lock: { file: string; label: string }, deps: Deps): Promise<void> {
  const exists = await fs.access(lock.file).then(() => true, () => false);
  const lockText = exists ? `lock ${lock.label}` : `lock ${lock.label} (not created yet)`;
  deps.stderr.write(`${sanitizeLine(`mcpm: using ${configLabels.join(', ')} and ${lockText}`)}\n`);
}

/**
 * Reads the lock and refuses one whose entries do not match their own integrity (edited by hand).
 * A lock named with `--lockfile` must exist (LOCKFILE_MISSING), except for the commands that
 * create one (`mayCreate`: install, approve).
 */
export async function loadCheckedLock(
  project: Pick<Project, 'lockFile' | 'lockLabel' | 'lockGiven' | 'servers' | 'valueMatches'>,
  options: { mayCreate?: boolean; outline?: BuildCache } = {},
): Promise<LoadedLock> {
  const check = (lock: Lock): void => assertUntampered(lock, project.lockLabel);
  const loaded = options.outline
    ? await readCheckedLock(project.lockFile, { displayName: project.lockLabel, outline: options.outline, check })
    : await readLock(project.lockFile, { displayName: project.lockLabel });
  if (lockFileMissing(loaded) && project.lockGiven && !options.mayCreate) {
    throw new McpmError('LOCKFILE_MISSING', `${project.lockLabel}: no such lock file`, 'check the path given to --lockfile; "mcpm install" creates the lock');
  }
  if (!options.outline) check(loaded.lock);
  await bindValues(project.servers, launchesOf(loaded.lock), { matches: project.valueMatches });
  return loaded;
}

/**
 * Where `verify --offline` keeps the outlines of the locks it checked (adapters/lock-outline.ts) and
 * `mcpm run` the entries it checked (adapters/entry-checks.ts): only in the bundles, whose build has
 * a name, and when there is a cache directory.
 */
export function buildCache(deps: Deps): BuildCache | undefined {
  const build = selfBuild();
  const dir = mcpmCacheDir(hostPlace(deps));
  return build === undefined || dir === undefined ? undefined : { dir, build };
}

/** The launch of each lock entry, by name. */
export function launchesOf(lock: Lock): Map<string, LaunchSpec> {
  return new Map([...lock.servers].map(([name, entry]) => [name, entry.launch]));
}

/**
 * Gives each configured server its launch identity: the launch with its env or header values, and
 * its URL's query values, in their stored form (core/launch/values.ts), hashed with
 * the salts the lock has for them. Every
 * command compares config and lock after this, so all of them see a changed value alike.
 * `only`: that server alone. `matches`: a value found before to hash to the lock's digest is not
 * hashed again, and one found now is kept (adapters/value-matches.ts).
 */
export async function bindValues(
  servers: Map<string, ServerConfig>,
  locked: ReadonlyMap<string, LaunchSpec>,
  options: { only?: string; matches?: ValueMatches | undefined } = {},
): Promise<void> {
  const { only, matches } = options;
  const pending = [...servers.values()].filter((server) => only === undefined || server.name === only).map(async (server) => {
    // Every value is bound, references alone too: with no value to hash, the references are the
    // stored form (`${API_KEY}` moved to `${AWS_SECRET_ACCESS_KEY}` is another launch).
    if (!hasBoundValues(server)) return;
    const jobs = valueJobs(server, locked.get(server.name), freshValueSalt);
    servers.set(server.name, { ...server, launch: boundLaunch(server, await digestsOf(jobs, matches)) });
  });
  await Promise.all(pending);
  matches?.save();
}

/**
 * The stored form of each job's value, by jobKey: the lock's, when the server's values were all
 * found to hash to the lock's digests before; else hashed, and kept in `matches` if they all do.
 */
async function digestsOf(jobs: readonly ValueJob[], matches: ValueMatches | undefined): Promise<Map<string, string>> {
  const findings = jobs.length > 0 && jobs.every((job) => job.locked !== undefined) ? jobs.map((job) => ({ salt: job.salt, digest: job.locked!, value: job.value })) : undefined;
  const known = findings !== undefined && matches?.has(findings) === true;
  const digests = known ? findings.map((finding) => finding.digest) : await Promise.all(jobs.map((job) => valueDigest(job.value, job.salt)));
  if (findings !== undefined && !known && digests.every((digest, i) => digest === findings[i]!.digest)) matches?.add(findings);
  return new Map(jobs.map((job, i) => [jobKey(job), hashedForm(job.salt, digests[i]!)]));
}

/** The lock read up to its launches (null: no lock file); finish with checkedLockFromHead. For `mcpm run`. */
export function loadLockHead(project: Pick<Project, 'lockFile' | 'lockLabel'>): Promise<LockHead | null> {
  return readLockHead(project.lockFile, { displayName: project.lockLabel });
}

/** As loadLockHead, for `mcpm run NAME`: holds at least the entry `name`, read through the lock index when it can be. */
export function loadLockHeadFor(project: Pick<Project, 'lockFile' | 'lockLabel'>, name: string, deps: Deps): Promise<LockHead | null> {
  return readLockHead(project.lockFile, { displayName: project.lockLabel, entry: { name, cacheDir: mcpmCacheDir(hostPlace(deps)) } });
}

/** The rest of loadCheckedLock, after loadLockHead: for every entry, or only the one named. */
export function checkedLockFromHead(head: LockHead | null, label: string, only?: string): Lock {
  if (head === null) return emptyLock();
  const lock = lockFromHead(head, only);
  assertUntampered(lock, label);
  return lock;
}

/**
 * The entry `name` of `head`, read and checked as checkedLockFromHead does, for `mcpm run`. When this
 * build checked exactly its text before (adapters/entry-checks.ts), it is read as checked, without
 * hashing; else checked in full, and kept once it passed.
 */
export function checkedEntryFromHead(head: LockHead, project: Pick<Project, 'lockFile' | 'lockLabel'>, name: string, checks: EntryChecks | undefined): LockEntry {
  const text = checks === undefined ? undefined : entryCheckText(head, name);
  if (text !== undefined && checks!.passed(project.lockFile, name, text)) return lockFromHead(head, name, { checkedBefore: true }).servers.get(name)!;
  const entry = checkedLockFromHead(head, project.lockLabel, name).servers.get(name)!;
  if (text !== undefined) checks!.keep(project.lockFile, name, text);
  return entry;
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
    `restore ${label} from version control (git checkout -- ${shellWord(label)}), or delete the entry and run "mcpm install" to re-lock it`,
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
