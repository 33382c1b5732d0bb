/**
 * Guard's sidecar, in mcpm's state directory (sidecar-path.ts), one per host config it rewrote. For each entry
 * guard replaced, it keeps the entry's original text (byte for byte, for `--undo`) and the command
 * guard wrote in its place. Whenever mcpm reads a config that has a sidecar, an entry that still
 * launches *this* mcpm's `run` with the command guard wrote is read as its original text: so
 * install, verify and ls see the real servers, and `mcpm run --config <that file>` starts the
 * original definition, not itself.
 *
 * The original text holds whatever the entry held, `env` values and tokens in `args` included, so
 * the file is written 0600. The host config keeps its `env` too: the host passes those variables to
 * `mcpm run`, and the original's `${VAR}` references resolve against them.
 *
 * Why "launches this mcpm" and not just "matches the record": a sidecar is a file like any other,
 * and a cloned repository could ship one next to its `.mcp.json` claiming that `npx evil` is "the
 * guarded form" of a harmless original. mcpm would then lock the harmless one while the host runs
 * `npx evil`. Honouring only entries that are exactly what guard writes (isGuardLaunch: this very
 * node and this very `bin/mcpm.cjs`, by absolute paths, running this config's entry) means the
 * host runs mcpm, which runs what mcpm checked.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { McpmError } from '../../core/errors.js';
import { isJsonObject, jsonQuote, parseStrictJson, StrictJsonError, type JsonValue } from '../../core/json-strict.js';
import { stripJsonComments } from '../../core/jsonc.js';
import type { ServerConfig } from '../../core/launch/parse.js';
import { rewriteEntries, samePath, type EntryEdit, type HostEntry, type HostName, type Launch, type ReadContext } from './format.js';
import { hostInfo, isHostName } from './index.js';

import { findSidecar, type FoundSidecar } from './sidecar-path.js';
import { selfBin } from '../../self.js';

export { findSidecar, legacySidecarPath, shownSidecar, sidecarPath, type FoundSidecar } from './sidecar-path.js';
export const SIDECAR_VERSION = 1;

export interface GuardRecord {
  /** Keys from the top of the config to the entry (HostEntry.path). */
  path: string[];
  /** The entry's text before guard: a JSON value, or a TOML table block. */
  original: string;
  /** What guard wrote in its place. */
  guarded: Launch;
}

export interface Sidecar {
  /** The format guard read the config in; the sidecar is applied in the same one. */
  host: HostName;
  records: GuardRecord[];
}

export function serializeSidecar(sidecar: Sidecar): string {
  const body = {
    '//': 'Written by "mcpm guard": the original definitions of the servers it rewrote in the config beside this file. mcpm run starts them from here; "mcpm guard --undo" puts them back and deletes this file. Holds env values: keep it private.',
    mcpmGuard: SIDECAR_VERSION,
    host: sidecar.host,
    records: sidecar.records.map((r) => ({ path: r.path, guarded: { command: r.guarded.command, args: r.guarded.args }, original: r.original })),
  };
  return `${JSON.stringify(body, null, 2)}\n`;
}

export function parseSidecar(text: string, shown: string): Sidecar {
  const invalid = (problem: string, cause?: unknown): McpmError =>
    new McpmError('CONFIG_INVALID', `${shown}: ${problem}`, 'restore the host config from a backup, or delete this file and run "mcpm guard" again', { cause });
  let json: JsonValue;
  try {
    json = parseStrictJson(text);
  } catch (error) {
    if (error instanceof StrictJsonError) throw invalid(`${error.line}:${error.column}: ${error.reason}`, error);
    throw error;
  }
  if (!isJsonObject(json)) throw invalid('is not a JSON object');
  if (json['mcpmGuard'] !== SIDECAR_VERSION) throw invalid(`has "mcpmGuard": ${jsonQuote(String(json['mcpmGuard']))}; this mcpm writes ${SIDECAR_VERSION}`);
  const host = json['host'];
  if (typeof host !== 'string' || !isHostName(host)) throw invalid('has no known "host"');
  const records = json['records'];
  if (!Array.isArray(records)) throw invalid('"records" must be an array');
  const strings = (value: JsonValue | undefined): value is string[] => Array.isArray(value) && value.every((v) => typeof v === 'string');
  return {
    host,
    records: records.map((record, i): GuardRecord => {
      const guarded = isJsonObject(record) ? record['guarded'] : undefined;
      if (
        !isJsonObject(record) ||
        !strings(record['path']) ||
        typeof record['original'] !== 'string' ||
        !isJsonObject(guarded) ||
        typeof guarded['command'] !== 'string' ||
        !strings(guarded['args'])
      ) {
        throw invalid(`record ${i} is not {path, original, guarded: {command, args}}`);
      }
      return { path: [...record['path']], original: record['original'], guarded: { command: guarded['command'], args: [...guarded['args']] } };
    }),
  };
}

export async function readSidecar(config: string, shown: string, env: Readonly<Record<string, string | undefined>>): Promise<Sidecar | null> {
  const found = await findSidecar(config, shown, env);
  return found === null ? null : parseSidecar(found.text, found.shown);
}

/** The node and the `bin/mcpm.cjs` of the mcpm that is running, as real paths. */
export interface Self {
  node: string;
  bin: string;
}

export async function currentSelf(): Promise<Self> {
  return { node: await realpathOr(process.execPath), bin: await realpathOr(selfBin()) };
}

async function realpathOr(file: string): Promise<string> {
  try {
    return await fs.realpath(file);
  } catch {
    return file;
  }
}

/**
 * Paths that name another file in every process: the process's own executable (`/proc/self/exe`
 * is this mcpm's node here, and the host's own program in the host), its descriptors.
 */
const PER_PROCESS = /^\/(proc|dev)\//;

/**
 * True when `launch` is exactly what guard writes for the entry `name` of the config at
 * `self.config` (its real path): `<this node> <this bin/mcpm.cjs> run [--host H] --config <config> --lockfile <lock>
 * [--deny D] -- <name>`, every path absolute, none under /proc or /dev. Anything looser lets a
 * repository that ships a sidecar beside its config (as older mcpm versions wrote them) make mcpm
 * read a harmless original while the host starts something else: `/proc/self/exe` is the host's
 * own program in the host; a relative script resolves against another working directory there;
 * and `run --config other.json` runs another config's server.
 */
async function isGuardLaunch(launch: Launch, self: Self & { config: string }, name: string): Promise<boolean> {
  const { command, args } = launch;
  const at = (i: number): string | undefined => args[i];
  if (at(1) !== 'run' || at(args.length - 2) !== '--' || at(args.length - 1) !== name) return false;
  let i = 2;
  const option = (flag: string): string | undefined => {
    if (at(i) !== flag || i + 1 >= args.length - 2) return undefined;
    i += 2;
    return at(i - 1);
  };
  option('--host');
  const configArg = option('--config');
  const lockArg = option('--lockfile');
  option('--deny');
  const paths = [command, at(0), configArg, lockArg];
  if (i !== args.length - 2 || !paths.every((p): p is string => p !== undefined && path.isAbsolute(p) && !PER_PROCESS.test(p))) return false;
  const [node, bin, written] = await Promise.all([realpathOr(command), realpathOr(at(0)!), realpathOr(configArg!)]);
  return node === self.node && bin === self.bin && written === self.config;
}

export function launchEqual(a: Launch | undefined, b: Launch): boolean {
  return a !== undefined && a.command === b.command && samePath(a.args, b.args);
}

/** Each record with the entry it still guards (the entry launches what guard wrote); others are stale. */
export function recordsInForce(entries: readonly HostEntry[], sidecar: Sidecar): { record: GuardRecord; entry: HostEntry }[] {
  const out: { record: GuardRecord; entry: HostEntry }[] = [];
  for (const record of sidecar.records) {
    const entry = entries.find((e) => samePath(e.path, record.path));
    if (entry && launchEqual(entry.launch, record.guarded)) out.push({ record, entry });
  }
  return out;
}

/**
 * The config's text with every entry that this mcpm guards put back to its original text, when
 * the file has a sidecar; else the text as it is. `guarded` names the entries put back.
 * `shown` names the file in messages; `found`: its sidecar (findSidecar), or null.
 */
export async function unguardedText(
  text: string,
  config: { absolute: string; shown: string },
  context: ReadContext,
  found: Pick<FoundSidecar, 'text' | 'shown'> | null,
): Promise<{ text: string; guarded: string[] }> {
  const { shown } = config;
  const sidecar = found === null ? null : parseSidecar(found.text, found.shown);
  if (sidecar === null || sidecar.records.length === 0) return { text, guarded: [] };
  const format = hostInfo(sidecar.host).format;
  const entries = format.entries(text, shown, context);
  const self = { ...(await currentSelf()), config: await realpathOr(config.absolute) };
  const edits: EntryEdit[] = [];
  const guarded: string[] = [];
  for (const { record, entry } of recordsInForce(entries, sidecar)) {
    if (!(await isGuardLaunch(record.guarded, self, entry.name))) continue;
    edits.push({ path: entry.path, text: record.original });
    guarded.push(entry.name);
  }
  if (edits.length === 0) return { text, guarded };
  const out = rewriteEntries(text, entries, edits);
  // Each original is one entry in place of another: text that ends the entry early and comments
  // out what follows (`…}} /*`) would hide the config's other servers from every check.
  const one =
    format.syntax === 'json' || format.syntax === 'jsonc'
      ? edits.every((edit) => isOneObject(edit.text, format.syntax === 'jsonc'))
      : sameEntries(format.entries(out, `${shown} with the originals of its guarded servers (${found!.shown})`, context), entries);
  if (!one) {
    throw new McpmError('CONFIG_INVALID', `${found!.shown}: an original definition does not put back exactly one server of ${shown}`, 'restore the host config from a backup, or delete this file and run "mcpm guard" again');
  }
  return { text: out, guarded };
}

/**
 * Whether `text` is one JSON object and nothing around it (JSONC: comments and trailing commas
 * inside it only): put in place of an entry's value, it ends where that value ended. Checked on
 * the entry's text alone, as a second read of the whole file would cost a large `~/.claude.json`
 * tens of milliseconds at every `mcpm run`.
 */
function isOneObject(text: string, jsonc: boolean): boolean {
  try {
    // Comments and trailing commas become spaces of the same length: a `// …` after the closing
    // brace shows as text that ends sooner than the entry's.
    const plain = jsonc ? stripJsonComments(text) : text;
    const ends = (t: string) => [t.length - t.trimStart().length, t.trimEnd().length];
    return isJsonObject(JSON.parse(plain)) && plain.trimStart().startsWith('{') && JSON.stringify(ends(plain)) === JSON.stringify(ends(text));
  } catch {
    return false;
  }
}

/** Whether two readings of a file list entries at the same paths. */
function sameEntries(a: readonly HostEntry[], b: readonly HostEntry[]): boolean {
  const keys = (list: readonly HostEntry[]) => list.map((e) => JSON.stringify(e.path)).sort();
  return JSON.stringify(keys(a)) === JSON.stringify(keys(b));
}

/**
 * For `mcpm run` of a guarded server: the host started mcpm run with the guarded entry's `env`,
 * which guard kept as written, and the host expanded its references (`${VAR}`, `${env:VAR}`,
 * `${input:id}`) itself, as it did for the server before. So each variable of the original
 * definition that the host did set is taken from mcpm run's environment as it is, and only the
 * others are resolved from the original text. (Resolving the original `"API_KEY": "${EXTERNAL}"`
 * would need EXTERNAL, which hosts do not pass on; and an edit of a token in the guarded entry
 * takes effect.) The launch spec, and so the comparison with the lock, is unchanged.
 *
 * Returns the config to resolve (without those variables) and the values to add after resolving:
 * a value from the host is never itself expanded again.
 */
export function splitHostEnv(
  config: ServerConfig,
  env: Readonly<Record<string, string | undefined>>,
): { config: ServerConfig; fromHost: Record<string, string> } {
  const rest = Object.create(null) as Record<string, string>;
  const fromHost = Object.create(null) as Record<string, string>;
  for (const name of Object.keys(config.env)) {
    const value = Object.hasOwn(env, name) ? env[name] : undefined;
    if (typeof value === 'string') fromHost[name] = value;
    else rest[name] = config.env[name] as string;
  }
  return { config: { ...config, env: rest }, fromHost };
}
