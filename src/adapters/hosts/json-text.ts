/**
 * JSON and JSONC host configs: servers are read with the strict parser (core/launch/parse.ts), and
 * entries are located by character offsets (core/json-offsets.ts) so that guard can replace one
 * entry's text and keep the rest of the file byte for byte.
 */
import { McpmError } from '../../core/errors.js';
import { membersOf, valueSpan, type Member } from '../../core/json-offsets.js';
import { stripJsonComments } from '../../core/jsonc.js';
import { isJsonObject, jsonQuote, type JsonObject, type JsonValue } from '../../core/json-strict.js';
import { configFromJson, parseConfigJson, refuseProtoKeys, type ServerConfig } from '../../core/launch/parse.js';
import { lineEndingOf, type HostEntry, type HostFormat, type HostName, type Launch, type ReadContext } from './format.js';

/**
 * Keys of an entry that say how to start the server: guard replaces them with its own command. A
 * remote's sign-in settings (`oauth`, `auth`, `authProviderType`) go with them: a stdio entry has
 * none, and `mcpm login` reads them from the original. So does `envFile`: mcpm run reads it from the
 * original for the server, and kept it would have the host load the server's variables
 * (NODE_OPTIONS among them) into mcpm run itself. `headersHelper` too: mcpm run runs it.
 */
const LAUNCH_KEYS = ['type', 'command', 'args', 'cwd', 'envFile', 'url', 'headers', 'headersHelper', 'env', 'oauth', 'auth', 'authProviderType'];

export interface JsonHostSpec {
  name: HostName;
  syntax: 'json' | 'jsonc';
  /**
   * Where the servers are: key paths from the top-level object. When one name is in two of them,
   * the later path wins (Claude Code: a project's local scope over the user scope).
   */
  roots(json: JsonObject, context: ReadContext): string[][];
  /** `vscode`: read with VS Code's rules (`servers` and `inputs`). */
  shape?: 'mcpServers' | 'vscode';
  /**
   * The entry in the shape core/launch/parse.ts reads (`command`/`args`/`env`/`cwd`, or `type` + `url` +
   * `headers`), or a reason when it is no server mcpm can start (a Zed extension). Default: as is.
   */
  normalize?(entry: JsonObject, name: string, file: string): JsonObject | SkipEntry;
  /** More keys that describe the launch in this host (Windsurf `serverUrl`, Gemini `httpUrl`). */
  launchKeys?: string[];
  /** Where the entry's env object is, when not at `env` (Zed's older `command.env`). */
  envPath?(entry: JsonObject): string[] | undefined;
  /** The env value that makes the host pass its own variable NAME on (`${NAME}`, `${env:NAME}`); none if the host expands nothing. */
  forwardVariable?(name: string): string;
  /** `vscode` shape: where the `inputs` array is, when not at the top (settings.json's `mcp.inputs`). */
  inputs?(json: JsonObject): JsonValue | undefined;
  /** HostFormat.inScope, for roots that depend on the context. */
  inScope?(path: readonly string[], context: ReadContext): boolean;
}

/** An entry that is not a server mcpm can start (a Zed extension's): left out, for the reason given. */
export class SkipEntry {
  constructor(readonly reason: string) {}
}

/** A HostFormat for a JSON or JSONC file, from what makes the host different. */
export function jsonHost(spec: JsonHostSpec): HostFormat {
  const plainOf = (text: string) => (spec.syntax === 'jsonc' ? stripJsonComments(text) : text);
  /** Parses text with its comments already stripped (plainOf): the same result and errors as parsing the text as JSONC. */
  const parsePlain = (plain: string, file: string) => parseConfigJson(plain, file, { jsonc: false });

  /** Every root that exists, with its normalised entries, in file order. */
  const rootsOf = (json: JsonObject, file: string, context: ReadContext) => {
    const found: { path: string[]; entries: [string, JsonValue | SkipEntry][] }[] = [];
    for (const path of spec.roots(json, context)) {
      const root = at(json, path);
      if (root === undefined) continue;
      if (!isJsonObject(root)) {
        throw new McpmError('CONFIG_INVALID', `${file}: ${path.map((k) => jsonQuote(k)).join(' → ')} must be an object of servers`, 'fix the file, then run mcpm again');
      }
      const entries = Object.keys(root).map((name): [string, JsonValue | SkipEntry] => {
        const entry = root[name] as JsonValue;
        // A non-object entry is passed on as it is: configFromJson names the error.
        return [name, isJsonObject(entry) && spec.normalize ? spec.normalize(entry, name, file) : entry];
      });
      found.push({ path, entries });
    }
    return found;
  };

  /** The file's servers (read's result and errors), with the parse and roots they came from, for entries. */
  const vscodeFamily = spec.name === 'cursor' || spec.name === 'vscode';
  const load = (plain: string, file: string, context: ReadContext) => {
    const json = parsePlain(plain, file);
    // The whole file, not only the part handed to configFromJson: a `__proto__` at its top could
    // give VS Code an `mcp` or `inputs` that mcpm never sees.
    if (vscodeFamily) refuseProtoKeys(json, file);
    const roots = rootsOf(json, file, context);
    const byName = new Map<string, ServerConfig>();
    for (const { entries } of roots) {
      const servers: JsonObject = Object.create(null) as JsonObject;
      for (const [name, entry] of entries) if (!(entry instanceof SkipEntry)) servers[name] = entry;
      const synthetic: JsonObject = Object.create(null) as JsonObject;
      if (spec.shape === 'vscode') {
        synthetic['servers'] = servers;
        const inputs = spec.inputs ? spec.inputs(json) : own(json, 'inputs');
        if (inputs !== undefined) synthetic['inputs'] = inputs;
      } else {
        synthetic['mcpServers'] = servers;
      }
      for (const server of configFromJson(synthetic, file, spec.shape ?? 'mcpServers', { vscodeFamily, claudeCode: spec.name === 'claude-code', gemini: spec.name === 'gemini' })) {
        byName.delete(server.name);
        byName.set(server.name, server);
      }
    }
    return { roots, servers: [...byName.values()] };
  };

  const read = (text: string, file: string, context: ReadContext = {}): ServerConfig[] => load(plainOf(text), file, context).servers;

  const entries = (text: string, file: string, context: ReadContext = {}): HostEntry[] => {
    const plain = plainOf(text);
    // The same parse, and so the same errors, as read: every entry below is well-formed.
    const { roots } = load(plain, file, context);
    const out: HostEntry[] = [];
    for (const { path, entries: normalised } of roots) {
      const span = valueSpan(plain, path);
      if (!span) throw new Error(`Assertion failed: ${JSON.stringify(path)} parsed but not located`);
      for (const member of membersOf(plain, span.start)) {
        const found = normalised.find(([name]) => name === member.key);
        const entry = found?.[1];
        const base = { name: member.key, path: [...path, member.key], start: member.valueStart, end: member.valueEnd };
        if (entry instanceof SkipEntry) out.push({ ...base, transport: 'unknown', unsupported: entry.reason });
        else if (isJsonObject(entry)) out.push({ ...base, ...launchOf(entry) });
        else throw new Error(`Assertion failed: entry ${JSON.stringify(member.key)} passed read but is not an object`);
      }
    }
    return out;
  };

  /** Where the entry's env object is, by spec.envPath; the file is parsed only for a host that has one (Zed). */
  const envPathOf = (text: string, entry: HostEntry): string[] | undefined => {
    if (!spec.envPath) return undefined;
    const parsed = at(parsePlain(plainOf(text), '(config)'), entry.path);
    return (isJsonObject(parsed) && spec.envPath(parsed)) || undefined;
  };

  const guardedEntry = (text: string, entry: HostEntry, launch: Launch, forward: readonly string[] = []): string => {
    const plain = plainOf(text);
    const members = membersOf(plain, entry.start);
    const eol = lineEndingOf(text);
    const unit = indentUnit(text);
    const closing = indentOfLine(text, entry.start);
    const first = members[0];
    const inner = first && lineStartOf(text, first.keyStart) !== lineStartOf(text, entry.start) ? indentOfLine(text, first.keyStart) : closing + unit;
    const raw = (m: Member) => text.slice(m.valueStart, m.valueEnd);
    const pair = (m: Member) => `${text.slice(m.keyStart, m.keyEnd)}: ${raw(m)}`;
    const drop = new Set([...LAUNCH_KEYS, ...(spec.launchKeys ?? [])]);
    const lines: string[] = [];
    if (members.some((m) => m.key === 'type')) lines.push(`"type": "stdio"`);
    lines.push(`"command": ${JSON.stringify(launch.command)}`);
    lines.push(`"args": [${launch.args.map((a) => JSON.stringify(a)).join(', ')}]`);
    // env stays in the host config: the host expands it and passes it to mcpm run, which gives it
    // to the server (adapters/hosts/sidecar.ts, splitHostEnv).
    const envPath = envPathOf(text, entry) ?? ['env'];
    let env: Member | undefined = members.find((m) => m.key === envPath[0]);
    for (const key of envPath.slice(1)) env = env && plain[env.valueStart] === '{' ? membersOf(plain, env.valueStart).find((m) => m.key === key) : undefined;
    const envMembers = env && plain[env.valueStart] === '{' ? membersOf(plain, env.valueStart) : [];
    const extra = spec.forwardVariable ? forward.filter((name) => !envMembers.some((m) => m.key === name)) : [];
    if (extra.length > 0) {
      const pairs = [...envMembers.map(pair), ...extra.map((name) => `${JSON.stringify(name)}: ${JSON.stringify(spec.forwardVariable!(name))}`)];
      lines.push(`"env": {${eol}${pairs.map((p) => inner + unit + p).join(`,${eol}`)}${eol}${inner}}`);
    } else if (env) {
      lines.push(`"env": ${raw(env)}`);
    }
    for (const m of members) if (!drop.has(m.key)) lines.push(pair(m));
    return `{${eol}${lines.map((l) => inner + l).join(`,${eol}`)}${eol}${closing}}`;
  };

  return { name: spec.name, syntax: spec.syntax, read, entries, guardedEntry, canForward: spec.forwardVariable !== undefined, ...(spec.inScope ? { inScope: spec.inScope } : {}) };
}

/** The transport and (for stdio) command and args of a normalised entry; loose, for guard's bookkeeping. */
export function launchOf(entry: JsonObject): Pick<HostEntry, 'transport' | 'launch'> {
  const command = own(entry, 'command');
  if (typeof command === 'string') {
    const args = own(entry, 'args');
    const list = Array.isArray(args) && args.every((a): a is string => typeof a === 'string') ? args : [];
    return { transport: 'stdio', launch: { command, args: [...list] } };
  }
  if (typeof own(entry, 'url') === 'string') return { transport: own(entry, 'type') === 'sse' ? 'sse' : 'http' };
  return { transport: 'unknown' };
}

export function own(object: JsonObject, key: string): JsonValue | undefined {
  return Object.hasOwn(object, key) ? object[key] : undefined;
}

/** The value at a key path, own keys only. */
export function at(json: JsonValue, path: readonly string[]): JsonValue | undefined {
  let value: JsonValue | undefined = json;
  for (const key of path) {
    if (!isJsonObject(value)) return undefined;
    value = own(value, key);
  }
  return value;
}

/** The value with `edit` applied to every string in it (objects copied with a null prototype). */
export function mapStrings(value: JsonValue, edit: (text: string) => string): JsonValue {
  if (typeof value === 'string') return edit(value);
  if (Array.isArray(value)) return value.map((v) => mapStrings(v, edit));
  if (isJsonObject(value)) {
    const out = Object.create(null) as JsonObject;
    for (const key of Object.keys(value)) out[key] = mapStrings(value[key]!, edit);
    return out;
  }
  return value;
}

/** A shallow copy with a null prototype, so `__proto__` stays an ordinary key. */
export function copyEntry(entry: JsonObject): JsonObject {
  return Object.assign(Object.create(null) as JsonObject, entry);
}

function lineStartOf(text: string, offset: number): number {
  return text.lastIndexOf('\n', offset - 1) + 1;
}

function indentOfLine(text: string, offset: number): string {
  const start = lineStartOf(text, offset);
  return /^[ \t]*/.exec(text.slice(start, offset))?.[0] ?? '';
}

/** The file's indentation step: the leading white space of its first indented line; two spaces if none. */
function indentUnit(text: string): string {
  return /\n([ \t]+)\S/.exec(text)?.[1] ?? '  ';
}
