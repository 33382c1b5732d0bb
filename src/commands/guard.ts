/**
 * `mcpm guard [NAME...] (--host NAME | --config FILE) [--undo]`: rewrites the stdio servers of a
 * host config so the host starts them through `mcpm run`, which starts only what the lock holds.
 *
 * A guarded entry is `{"command": "<this node>", "args": ["<this bin/mcpm.cjs>", "run", ["--host",
 * HOST,] "--config", "<the config>", "--lockfile", "<the lock>", ["--deny", KINDS,] "--", NAME],
 * "env": {…as it was…}}`,
 * with the host's own settings of the entry (timeouts, `disabled`, …) kept. Paths are absolute:
 * hosts start servers in any directory (often `/`), and GUI apps do not have the shell's PATH.
 * The entries' original text goes to a sidecar in mcpm's state directory (0600; see
 * adapters/hosts/sidecar-path.ts), from which `mcpm run` and every other command read the original
 * definition, and from which `--undo` restores it byte for byte.
 *
 * A config that git tracks is refused unless `--allow-tracked` says otherwise: the guarded entries
 * hold this machine's absolute paths (node, mcpm, the lock), which mean nothing on a teammate's
 * machine, in a file everyone shares.
 *
 * Guarding is idempotent: an entry already guarded by this mcpm is left as it is; one guarded by
 * another mcpm (a moved install, another node) is pointed at this one. A remote entry (Streamable
 * HTTP or the legacy HTTP+SSE) becomes a stdio entry too: `mcpm run` connects to the URL, with
 * the headers of the original (kept in the sidecar) and, for a server that signs in with OAuth,
 * the login of `mcpm login` (the host no longer signs in for it).
 */
import { nameWord, shellWord } from '../core/shell-word.js';
import { spawnSync } from 'node:child_process';
import { existsSync, promises as fs, realpathSync } from 'node:fs';
import path from 'node:path';
import { readTextFile, removeFile, writeTextFile } from '../adapters/files.js';
import { SAFE_GIT_OPTIONS } from '../adapters/git-options.js';
import { ValueMatches } from '../adapters/value-matches.js';
import { rewriteEntries, samePath, type EntryEdit, type HostEntry, type Launch, type ReadContext } from '../adapters/hosts/format.js';
import { displayPath, hostByName, hostInfo, hostOfFile, hostUserFiles, searchedPlaces, type HostName } from '../adapters/hosts/index.js';
import {
  currentSelf,
  findSidecar,
  launchEqual,
  parseSidecar,
  recordsInForce,
  serializeSidecar,
  shownSidecar,
  sidecarPath,
  unguardedText,
  type FoundSidecar,
  type GuardRecord,
  type Self,
  type Sidecar,
} from '../adapters/hosts/sidecar.js';
import { acquireAdvisoryLock, readLock, type LoadedLock } from '../adapters/lock-store.js';
import { McpmError, type ExitStatus } from '../core/errors.js';
import { isJsonObject, parseStrictJson, type JsonObject } from '../core/json-strict.js';
import { stripJsonComments } from '../core/jsonc.js';
import { variableReferences } from '../core/launch/expand.js';
import { launchDifference } from '../core/launch/identity.js';
import { launchesMcpmRun } from '../core/launch/mcpm-run.js';
import { configFormatOf, parseConfigJson, type ServerConfig } from '../core/launch/parse.js';
import { sanitize } from '../core/sanitize.js';
import type { Deps } from '../deps.js';
import { writeJson } from '../render/json.js';
import { paint, paletteFor } from '../render/style.js';
import type { GlobalOptions } from '../app/options.js';
import { bindValues, hostPlace, launchesOf, lockPath, projectDir } from '../app/project.js';
import { makeDirectories } from '../adapters/make-directories.js';

export interface GuardOptions extends GlobalOptions {
  undo?: boolean;
  /** Guard a config even though git tracks it. */
  allowTracked?: boolean;
}

type Env = Readonly<Record<string, string | undefined>>;

type Action = 'guarded' | 'unchanged' | 'updated' | 'skipped' | 'restored' | 'not-restored';

interface ServerOutcome {
  name: string;
  action: Action;
  reason?: string;
}

interface FileOutcome {
  config: string;
  host: HostName;
  sidecar: string;
  written: boolean;
  servers: ServerOutcome[];
}

/** What guardFile leaves on disk: the config's text and the sidecar's (no records: no sidecar). */
interface Guarded {
  outcome: FileOutcome;
  text: string;
  sidecarText: string;
}

interface Target {
  absolute: string;
  shown: string;
  /** `--host` as given, passed on to `mcpm run` so it reads the file in the same format. */
  host: HostName | undefined;
  format: HostName;
  context: ReadContext;
  text: string;
}

export async function guard(names: string[], options: GuardOptions, deps: Deps): Promise<ExitStatus> {
  const place = hostPlace(deps);
  const targets = await findTargets(options, deps);
  const known = new Set<string>();
  for (const t of targets) for (const e of hostInfo(t.format).format.entries(t.text, t.shown, t.context)) known.add(e.name);
  const unknown = names.filter((n) => !known.has(n));
  if (unknown.length > 0) {
    throw new McpmError(
      'USAGE',
      `no server named ${unknown.map((n) => JSON.stringify(n)).join(', ')} in ${targets.map((t) => pathText(t.shown)).join(', ')}`,
      'run "mcpm ls --hosts" to see the host configs and their servers',
    );
  }
  const only = names.length > 0 ? new Set(names) : null;
  if (!options.undo && !options.allowTracked) {
    // Before anything is written: every file is checked first.
    for (const t of targets) if (isTrackedByGit(t.absolute, deps.env)) throw trackedConfig(t.shown);
  }
  const lock = await lockPath(options, deps);
  const self = await currentSelf();

  // The lock is read once, when a file first has guarded servers (guard writes no lock, so it is
  // the same for every file; a lock that does not parse still fails after that file is written).
  let loaded: Promise<LoadedLock> | undefined;
  const loadLock = () => (loaded ??= readLock(lock.file, { displayName: lock.label }));

  const outcomes: FileOutcome[] = [];
  const unlocked: string[] = [];
  for (const found of targets) {
    // The config and its sidecar are read and written under one advisory lock: two guards (or a
    // guard and an undo) at once would each write a sidecar without the other's originals.
    const release = await acquireAdvisoryLock(found.absolute, found.shown, 10_000);
    try {
      const text = await readTextFile(found.absolute, found.shown);
      if (text === null) throw new McpmError('CONFIG_NOT_FOUND', `${found.shown}: no such config file (it was removed while mcpm ran)`, 'check the path, and run mcpm guard again');
      const target = { ...found, text };
      if (options.undo) {
        outcomes.push(await undoFile(target, only, deps.env));
        continue;
      }
      const guarded = await guardFile(target, only, self, lock.file, deps.env);
      outcomes.push(guarded.outcome);
      unlocked.push(...(await lockProblems(target, guarded, lock.file, loadLock, place, options.lockfile !== undefined)));
    } finally {
      await release();
    }
  }

  const status: ExitStatus = unlocked.length > 0 ? 1 : 0;
  if (options.format === 'json') {
    writeJson(deps.stdout, { files: outcomes, lockfile: lock.label, problems: unlocked, exitStatus: status });
  } else {
    const palette = paletteFor(deps.stdout.isTTY, deps.env, options.color);
    let text = '';
    for (const o of outcomes) {
      text += `${sanitize(pathText(o.config))} (${o.host})\n`;
      for (const s of o.servers) {
        const colour = s.action === 'guarded' || s.action === 'restored' || s.action === 'updated' ? 'green' : s.action === 'unchanged' ? 'dim' : 'yellow';
        text += `  ${paint(palette, colour, s.action.padEnd(12))} ${sanitize(s.name, { identifier: true })}${s.reason ? `: ${sanitize(s.reason)}` : ''}\n`;
      }
      if (o.servers.length === 0) text += `  ${options.undo ? 'nothing to restore' : 'no server'}\n`;
    }
    const changed = outcomes.some((o) => o.written);
    if (changed && !options.undo) {
      text += `\nThe original entries are kept in ${outcomes.filter((o) => o.written).map((o) => sanitize(pathText(o.sidecar))).join(', ')} (private: they hold env values).\n`;
      // A command to paste into a shell: each path one shell word (JSON's quotes are not a shell's).
      const again = options.host ? `--host ${options.host}` : (options.config ?? []).map((c) => `--config ${shellWord(c)}`).join(' ');
      text += `mcpm run checks each server against ${sanitize(pathText(lock.label))}. Undo with "mcpm guard ${sanitize(again)} --undo".\n`;
    }
    if (changed) text += `Restart the host (or reload its MCP servers) to apply.\n`;
    for (const problem of unlocked) text += `${paint(palette, 'yellow', 'warning:')} ${sanitize(problem)}\n`;
    if (self.bin.split(path.sep).includes('_npx')) {
      text += `${paint(palette, 'yellow', 'warning:')} this mcpm runs from npx's cache (${sanitize(self.bin)}), which npm may clean; install mcp-lockfile, then run "mcpm guard" again\n`;
    }
    deps.stdout.write(text);
  }
  return status;
}

/**
 * A path for guard's own lines: as it is, or as one shell word when it holds a control character.
 * A directory's name may hold a newline, which sanitize's text mode keeps as a line break: the rest
 * of the name would print as a line of its own, one that could read as mcpm's.
 */
function pathText(file: string): string {
  // eslint-disable-next-line no-control-regex -- control characters are what this looks for
  return /[\x00-\x1f\x7f]/.test(file) ? shellWord(file) : file;
}

/** The files to guard: `--config FILE…` (in `--host`'s format if given), or the host's user-level files that exist. */
async function findTargets(options: GuardOptions, deps: Deps): Promise<Target[]> {
  const place = hostPlace(deps);
  const host = options.host === undefined ? undefined : hostByName(options.host).name;
  const dir = projectDir(options, deps);
  const configs = options.config ?? [];
  if (configs.length === 0) {
    if (host === undefined) throw new McpmError('USAGE', 'mcpm guard needs --host NAME or --config FILE', 'for example: mcpm guard --host claude-desktop');
    const found: Target[] = [];
    for (const { file: absolute, context } of await hostUserFiles(hostInfo(host), place)) {
      const shown = displayPath(absolute, place);
      const text = await readTextFile(absolute, shown);
      if (text !== null) found.push({ absolute, shown, host, format: host, context, text });
    }
    if (found.length === 0) {
      throw new McpmError(
        'CONFIG_NOT_FOUND',
        `no ${hostInfo(host).label} config found (looked for ${searchedPlaces(hostInfo(host), place).join(', ')})`,
        'run "mcpm ls --hosts" to see which host configs exist, or pass --config FILE',
      );
    }
    return found;
  }
  const targets: Target[] = [];
  for (const given of configs) {
    const absolute = path.resolve(dir, given);
    // A file named twice is one target: a second pass would rewrite it from the text read before the first.
    if (targets.some((t) => t.absolute === absolute)) continue;
    const shown = displayPath(absolute, place);
    const text = await readTextFile(absolute, shown);
    if (text === null) throw new McpmError('CONFIG_NOT_FOUND', `${shown}: no such config file`, 'check the path given to --config');
    const found = await findSidecar(absolute, shown, place.env);
    const format = found !== null ? parseSidecar(found.text, found.shown).host : (host ?? formatOfFile(absolute, text, shown));
    targets.push({ absolute, shown, host, format, context: host === undefined ? { projectDir: dir } : {}, text });
  }
  return targets;
}

/** A named file's format, as loadConfig reads it: by name for the hosts whose format differs, else by shape. */
function formatOfFile(absolute: string, text: string, shown: string): HostName {
  const byName = hostOfFile(absolute);
  if (byName !== undefined) return byName;
  if (path.basename(absolute) === 'claude_desktop_config.json') return 'claude-desktop';
  const json = parseConfigJson(text, shown, { jsonc: true });
  if (configFormatOf(json, shown) === 'vscode') return 'vscode';
  return path.basename(absolute) === '.mcp.json' ? 'claude-code' : 'cursor';
}

/**
 * `deny`: the entry's `"mcpm": {"deny": […]}`, written onto the command line as well: `mcpm run`
 * reads it from the original definition anyway, and there the host config shows what the guard
 * refuses for the server.
 */
function guardLaunch(self: Self, target: Target, lockFile: string, name: string, deny: readonly string[] = []): Launch {
  return {
    command: self.node,
    // `--` keeps a server named "-x" from being read as an option.
    args: [
      self.bin,
      'run',
      ...(target.host ? ['--host', target.host] : []),
      '--config',
      target.absolute,
      '--lockfile',
      lockFile,
      ...(deny.length > 0 ? ['--deny', deny.join(',')] : []),
      '--',
      name,
    ],
  };
}

async function guardFile(target: Target, only: Set<string> | null, self: Self, lockFile: string, env: Env): Promise<Guarded> {
  const format = hostInfo(target.format).format;
  const found = await findSidecar(target.absolute, target.shown, env);
  const destination = sidecarDestination(target.absolute, env);
  const sidecar: Sidecar = found === null ? { host: target.format, records: [] } : parseSidecar(found.text, found.shown);
  const entries = format.entries(target.text, target.shown, target.context);
  // Records of entries this context does not list (another project's local scope in
  // ~/.claude.json) are kept as they are: their entries are neither seen nor written here.
  const elsewhere = sidecar.records.filter((r) => format.inScope?.(r.path, target.context) === false);
  // Records whose entry was edited or removed since guard describe nothing any more.
  const inForce = recordsInForce(entries, sidecar);
  const records: GuardRecord[] = inForce.map(({ record }) => record);
  const edits: EntryEdit[] = [];
  const servers: ServerOutcome[] = [];
  // The original definitions (the file with every guarded entry put back), for what they refer to.
  const originalText = rewriteEntries(target.text, entries, inForce.map(({ record }) => ({ path: record.path, text: record.original })));
  const originals = new Map(format.read(originalText, target.shown, target.context).map((s) => [s.name, s]));
  const hostLabel = hostInfo(target.format).label;

  for (const entry of entries) {
    if (only && !only.has(entry.name)) continue;
    const original = originals.get(entry.name);
    const desired = guardLaunch(self, target, lockFile, entry.name, original?.deny);
    const refs = original ? referencedVariables(original) : { names: [], inputs: [] };
    const record = records.find((r) => samePath(r.path, entry.path));
    if (record) {
      if (launchEqual(entry.launch, desired)) {
        servers.push({ name: entry.name, action: 'unchanged', reason: 'already guarded' });
      } else {
        edits.push({ path: entry.path, text: format.guardedEntry(target.text, entry, desired, refs.names) });
        records[records.indexOf(record)] = { ...record, guarded: desired };
        servers.push({ name: entry.name, action: 'updated', reason: 'now launched through this mcpm and lock' });
      }
      continue;
    }
    const skip = skipReason(entry, target.text) ?? (refs.inputs.length > 0 ? `it refers to ${refs.inputs.join(', ')} outside "env"; mcpm run cannot prompt for VS Code inputs` : undefined);
    if (skip) {
      servers.push({ name: entry.name, action: 'skipped', reason: skip });
      continue;
    }
    edits.push({ path: entry.path, text: format.guardedEntry(target.text, entry, desired, refs.names) });
    records.push({ path: entry.path, original: target.text.slice(entry.start, entry.end), guarded: desired });
    const notes: string[] = [];
    if (entry.transport === 'http') notes.push('mcpm run connects to it over Streamable HTTP');
    if (entry.transport === 'sse') notes.push('mcpm run connects to it over HTTP+SSE');
    if (usesOAuth(target.text.slice(entry.start, entry.end))) {
      notes.push(`it signs in with OAuth, which the host no longer does for it: run "mcpm login ${nameWord(entry.name)}" once`);
    }
    if (refs.names.length > 0 && !format.canForward) {
      notes.push(`it refers to ${refs.names.join(', ')}, which ${hostLabel} does not pass on; set ${refs.names.length === 1 ? 'it' : 'them'} in the entry's "env"`);
    }
    servers.push({ name: entry.name, action: 'guarded', ...(notes.length > 0 ? { reason: notes.join('; ') } : {}) });
  }

  const next = edits.length === 0 ? target.text : rewriteEntries(target.text, entries, edits);
  checkRoundTrip(target, inForce.map(({ record }) => record), records, next);
  if (next !== target.text) await assertWritable(target);
  const kept = [...records, ...elsewhere];
  const nextSidecar = serializeSidecar({ host: target.format, records: kept });
  // The sidecar first: if mcpm stops between the two writes, every guarded entry has its original.
  const sidecarChanged = await saveSidecar(found, destination, kept.length === 0 ? null : nextSidecar);
  if (next !== target.text) await writeTextFile(target.absolute, target.shown, next);
  return {
    outcome: { config: target.shown, host: target.format, sidecar: destination.shown, written: next !== target.text || sidecarChanged, servers },
    text: next,
    sidecarText: nextSidecar,
  };
}

function skipReason(entry: HostEntry, text: string): string | undefined {
  if (entry.unsupported) return `mcpm guard cannot rewrite it: ${entry.unsupported}`;
  if (entry.transport === 'http' || entry.transport === 'sse') {
    const provider = authProviderType(text.slice(entry.start, entry.end));
    return provider !== undefined && provider !== 'dynamic_discovery'
      ? `a remote server that signs in with "authProviderType": ${JSON.stringify(provider)} (Google credentials), which only the host does; it is left as it is`
      : undefined;
  }
  if (entry.transport !== 'stdio' || !entry.launch) return 'not a server mcpm can start';
  // Guarding it again would start mcpm from mcpm.
  if (launchesMcpmRun(entry.launch)) {
    return 'it already launches "mcpm run", but no record of its original definition is beside the config; guard it from its original definition';
  }
  return undefined;
}

/** Claude Code's and Gemini's `oauth`, Cursor's `auth`: the server signs in with MCP's OAuth flow, which `mcpm login` does. */
function usesOAuth(entryText: string): boolean {
  const json = entryJson(entryText);
  return json !== undefined && (Object.hasOwn(json, 'oauth') || Object.hasOwn(json, 'auth'));
}

/** Gemini's `authProviderType`: `dynamic_discovery` is MCP's OAuth flow; the others sign in with Google credentials. */
function authProviderType(entryText: string): string | undefined {
  const value = entryJson(entryText)?.['authProviderType'];
  return value === undefined ? undefined : String(value);
}

function entryJson(entryText: string): JsonObject | undefined {
  try {
    const json = parseStrictJson(stripJsonComments(entryText));
    return isJsonObject(json) ? json : undefined;
  } catch {
    return undefined; // not JSON: a Codex table, which signs in with `codex mcp login`, not in the config
  }
}

/**
 * The environment variables a definition refers to outside its `env` (command, args, cwd, URL,
 * header values): the host starts mcpm run with a minimal environment, so guard asks it to pass
 * them on. `env` values need nothing: the host expands them itself. `${input:…}` outside `env`
 * is listed apart: VS Code prompts for it only where it expands it, which is no longer there.
 */
function referencedVariables(server: ServerConfig): { names: string[]; inputs: string[] } {
  const launch = server.launch;
  const values = launch.transport === 'stdio' ? [launch.command, ...launch.args, launch.cwd ?? '', launch.envFile ?? ''] : [launch.url, ...Object.values(server.headers)];
  const names = new Set<string>();
  const inputs = new Set<string>();
  for (const body of values.flatMap(variableReferences)) {
    if (body.startsWith('input:')) inputs.add(`\${${body}}`);
    const name = /^(?:env:)?([A-Za-z_][A-Za-z0-9_]*)(?::-.*)?$/s.exec(body)?.[1];
    if (name && !['userHome', 'workspaceFolder', 'workspaceFolderBasename', 'pathSeparator'].includes(name)) names.add(name);
  }
  return { names: [...names].sort(), inputs: [...inputs] };
}

/**
 * Before anything is written: the new text must read in the host's format with every record's
 * entry launching what the record says, and putting the originals back into the new text must
 * give exactly what putting them back into the old text gives (for the entries guarded now: the
 * old text itself). Anything else is a bug in the rewriting.
 */
function checkRoundTrip(target: Target, before: readonly GuardRecord[], after: readonly GuardRecord[], next: string): void {
  const format = hostInfo(target.format).format;
  const restore = (text: string, records: readonly GuardRecord[]) => {
    const entries = format.entries(text, target.shown, target.context);
    const edits = records.filter((r) => entries.some((e) => samePath(e.path, r.path) && launchEqual(e.launch, r.guarded))).map((r) => ({ path: r.path, text: r.original }));
    return rewriteEntries(text, entries, edits);
  };
  if (restore(next, after) !== restore(target.text, before)) {
    throw new Error(`Assertion failed: guarding ${target.shown} would not restore byte for byte; nothing was written`);
  }
  const entries = format.entries(next, target.shown, target.context);
  for (const record of after) {
    const entry = entries.find((e) => samePath(e.path, record.path));
    if (!entry || !launchEqual(entry.launch, record.guarded)) throw new Error(`Assertion failed: ${JSON.stringify(record.path)} does not read as guarded`);
  }
}

async function undoFile(target: Target, only: Set<string> | null, env: Env): Promise<FileOutcome> {
  const format = hostInfo(target.format).format;
  const found = await findSidecar(target.absolute, target.shown, env);
  const unwritten = sidecarPath(target.absolute, env);
  const outcome: FileOutcome = { config: target.shown, host: target.format, sidecar: found?.shown ?? (unwritten ? shownSidecar(unwritten, env) : ''), written: false, servers: [] };
  if (found === null) return outcome;
  const sidecar = parseSidecar(found.text, found.shown);
  const entries = format.entries(target.text, target.shown, target.context);
  const kept: GuardRecord[] = [];
  const edits: EntryEdit[] = [];
  for (const record of sidecar.records) {
    const name = record.path.at(-1) ?? '';
    // Not listed from here (another project's local scope): neither restored nor dropped.
    if ((only && !only.has(name)) || format.inScope?.(record.path, target.context) === false) {
      kept.push(record);
      continue;
    }
    const entry = entries.find((e) => samePath(e.path, record.path));
    if (!entry) {
      outcome.servers.push({ name, action: 'not-restored', reason: 'it is no longer in the config; its saved original is dropped' });
    } else if (!launchEqual(entry.launch, record.guarded)) {
      outcome.servers.push({ name, action: 'not-restored', reason: 'it was changed since mcpm guard rewrote it; left as it is, its saved original is dropped' });
    } else {
      edits.push({ path: record.path, text: record.original });
      outcome.servers.push({ name, action: 'restored' });
    }
  }
  const next = edits.length === 0 ? target.text : rewriteEntries(target.text, entries, edits);
  const restored = new Map(format.read(next, target.shown, target.context).map((s) => [s.name, s]));
  // The guarded entry keeps the host's settings, env among them, and editing them there takes
  // effect (a rotated token): the original put back has its own values. Said, never silently.
  const guardedNow = new Map(format.read(target.text, target.shown, target.context).map((s) => [s.name, s]));
  for (const server of outcome.servers) {
    if (server.action !== 'restored') continue;
    const before = guardedNow.get(server.name)?.env ?? {};
    const after = restored.get(server.name)?.env ?? {};
    const edited = Object.keys(after).filter((key) => Object.hasOwn(before, key) && before[key] !== after[key]);
    if (edited.length > 0) server.reason = `the env values edited in the guarded entry since mcpm guard (${edited.join(', ')}) are not in the original put back; set them again`;
  }
  // The config first: if mcpm stops between the two writes, the sidecar still has every original.
  if (next !== target.text) {
    await assertWritable(target);
    await writeTextFile(target.absolute, target.shown, next);
  }
  const rest = kept.length === 0 ? null : kept.length === sidecar.records.length ? found.text : serializeSidecar({ host: sidecar.host, records: kept });
  const sidecarChanged = await saveSidecar(found, found.legacy ? sidecarDestination(target.absolute, env) : found, rest);
  outcome.written = next !== target.text || sidecarChanged;
  return outcome;
}

/**
 * Before a config is rewritten, and only then (a config with nothing to change is left alone
 * whatever its mode): the write replaces the file (a rename), which its own mode does not stop, so
 * a file its owner made read-only is left as it is, as an editor would.
 */
async function assertWritable(target: Target): Promise<void> {
  if (((await fs.stat(target.absolute)).mode & 0o222) !== 0) return;
  throw new McpmError('CONFIG_INVALID', `${target.shown}: is read-only; it was left unchanged`, `make it writable (chmod u+w ${shellWord(target.absolute)}) to guard it, or guard another config`);
}

/** Where a config's sidecar is written: the state directory, which must be known. */
function sidecarDestination(config: string, env: Env): { file: string; shown: string } {
  const file = sidecarPath(config, env);
  if (file === undefined) {
    throw new McpmError('USAGE', 'neither XDG_STATE_HOME nor HOME is set, so mcpm has no private place for the original entries', 'set HOME (or XDG_STATE_HOME), then run "mcpm guard" again');
  }
  return { file, shown: shownSidecar(file, env) };
}

/**
 * Writes `text` as the sidecar at `destination` (its directory private, the file 0600), or removes
 * the sidecar when `text` is null; a sidecar an older mcpm left beside the config is removed once
 * its records are in the state directory. True when anything changed on disk.
 */
async function saveSidecar(found: FoundSidecar | null, destination: { file: string; shown: string }, text: string | null): Promise<boolean> {
  if (text === null) {
    if (found === null) return false;
    await removeFile(found.file, found.shown);
    return true;
  }
  if (found !== null && found.file === destination.file && found.text === text) return false;
  makeDirectories(path.dirname(destination.file), 0o700);
  await writeTextFile(destination.file, destination.shown, text, { mode: 0o600 });
  if (found !== null && found.file !== destination.file) await removeFile(found.file, found.shown);
  return true;
}

/**
 * True when git tracks `file` (`git ls-files --error-unmatch`), or the file a link at `file` points
 * to (a config linked into a dotfiles repository is written there); false outside a repository or
 * without git.
 */
function isTrackedByGit(file: string, env: Env): boolean {
  let target = file;
  try {
    target = realpathSync(file);
  } catch {
    // Not there (yet): only its own path can be tracked.
  }
  return [...new Set([file, target])].some((candidate) => isTrackedAt(candidate, env));
}

function isTrackedAt(file: string, env: Env): boolean {
  // git starts in the directory holding .git, never below it: a directory of the checkout that git
  // would take for a repository of its own (see SAFE_GIT_OPTIONS) must not answer for the file.
  const root = worktreeOf(path.dirname(file));
  if (root === undefined) return false;
  const relative = path.relative(root, file).split(path.sep).join('/');
  const result = spawnSync('git', [...SAFE_GIT_OPTIONS, 'ls-files', '--error-unmatch', '--', relative], {
    cwd: root,
    env: env as NodeJS.ProcessEnv,
    timeout: 10_000,
    stdio: 'ignore',
  });
  return result.error === undefined && result.status === 0;
}

/** The nearest directory at or above `dir` that holds a `.git` (a directory, or a worktree's file). */
function worktreeOf(dir: string): string | undefined {
  for (let current = path.resolve(dir); ; ) {
    if (existsSync(path.join(current, '.git'))) return current;
    const parent = path.dirname(current);
    if (parent === current) return undefined;
    current = parent;
  }
}

function trackedConfig(shown: string): McpmError {
  return new McpmError(
    'GUARD_CONFIG_TRACKED',
    `${shown} is tracked by git: guarding it would write this machine's absolute paths (node, mcpm, the lock) into a file everyone shares; nothing was changed`,
    `guard the host's user-level config instead ("mcpm guard --host NAME"), or run this command again with --allow-tracked to write it anyway`,
  );
}

/**
 * Guarded servers that `mcpm run` will refuse to start: not in the lock, or locked with another
 * launch definition. Guarding still happens (the order of guard and install is the user's), but
 * the host would show an error until the lock has them.
 */
async function lockProblems(
  target: Target,
  written: Guarded,
  lockFile: string,
  loadLock: () => Promise<LoadedLock>,
  place: ReturnType<typeof hostPlace>,
  lockGiven: boolean,
): Promise<string[]> {
  const guarded = written.outcome.servers.filter((s) => s.action === 'guarded' || s.action === 'unchanged' || s.action === 'updated').map((s) => s.name);
  if (guarded.length === 0) return [];
  const loaded = await loadLock();
  // What mcpm run will read: the config as written now, with the guarded entries' originals.
  const format = hostInfo(target.format).format;
  const { text } = await unguardedText(written.text, { absolute: target.absolute, shown: target.shown }, target.context, { text: written.sidecarText, shown: written.outcome.sidecar });
  const configured = new Map(format.read(text, target.shown, target.context).map((s) => [s.name, s]));
  // Values found to match are kept: the host's first `mcpm run` of them then hashes none.
  await bindValues(configured, launchesOf(loaded.lock), { matches: new ValueMatches(place) });
  const lockArg = `--lockfile ${shellWord(lockFile)}`;
  const fix = target.host ? `mcpm install --host ${target.host}${lockGiven ? ` ${lockArg}` : ''}` : `mcpm install --config ${shellWord(target.absolute)} ${lockArg}`;
  const label = pathText(displayPath(lockFile, place));
  const problems: string[] = [];
  for (const name of guarded) {
    const entry = loaded.lock.servers.get(name);
    const config = configured.get(name);
    // Raw here: escaped where printed, and `--json` carries the value as it is.
    if (!entry) problems.push(`server ${JSON.stringify(name)} is not in ${label}, so mcpm run will not start it: run "${fix}"`);
    else if (config && launchDifference(config.launch, entry.launch) !== undefined) {
      problems.push(`server ${JSON.stringify(name)} is locked in ${label} with another launch definition, so mcpm run will not start it: review with "mcpm diff", then "mcpm approve ${nameWord(name)}"`);
    }
  }
  return problems;
}
