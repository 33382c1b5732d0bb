/**
 * OpenAI Codex CLI: `$CODEX_HOME/config.toml` (default `~/.codex/config.toml`), TOML, one table per
 * server: **`[mcp_servers.NAME]`**.
 * - stdio: `command`, `args`, `env` (a table of values), `env_vars` (names of variables Codex
 *   forwards from its own environment: read as `NAME = "${NAME}"`), `cwd`;
 * - Streamable HTTP: `url`, `http_headers`, `env_http_headers` (header → variable name) and
 *   `bearer_token_env_var` (read as `Authorization: Bearer ${VAR}`);
 * - Codex's own keys (`startup_timeout_sec`, `enabled`, `enabled_tools`, …) are not mcpm's and are
 *   kept by guard.
 * Guard rewrites a server written as a `[mcp_servers.NAME]` table (with its `[mcp_servers.NAME.env]`
 * sub-tables right after it), which is how `codex mcp add` writes one; a server defined inline
 * (`docs = { command = … }` under `[mcp_servers]`) is read but not rewritten.
 */
import { createRequire } from 'node:module';
import type { TomlTable } from 'smol-toml';
import { McpmError } from '../../core/errors.js';
import { jsonQuote, type JsonObject, type JsonValue } from '../../core/json-strict.js';
import { configFromJson, type ServerConfig } from '../../core/launch/parse.js';
import { lineEndingOf, samePath, type HostEntry, type HostFormat, type Launch } from './format.js';
import { tomlStatements, tomlString } from './toml-text.js';

const HINT = 'fix the file, then run mcpm again';

type SmolToml = typeof import('smol-toml');
let smolToml: SmolToml | undefined;

/**
 * smol-toml, loaded on first use (through its CommonJS build, as read() is synchronous): every
 * command reads configs, and only a Codex config needs a TOML parser.
 */
function toml(): SmolToml {
  smolToml ??= createRequire(import.meta.url)('smol-toml') as SmolToml;
  return smolToml;
}

function parseToml(text: string, file: string): TomlTable {
  const { parse, TomlError } = toml();
  try {
    return parse(text, { integersAsBigInt: 'asNeeded' }) as TomlTable;
  } catch (error) {
    if (error instanceof TomlError) {
      const reason = error.message.split('\n')[0]?.replace(/^Invalid TOML document: /, '') ?? 'invalid TOML';
      throw new McpmError('CONFIG_INVALID', `${file}:${error.line}:${error.column}: ${reason}`, HINT, { cause: error });
    }
    throw error;
  }
}

/** The `mcp_servers` table, or undefined when the file configures no server. */
function serversTable(toml: TomlTable, file: string): Record<string, unknown> | undefined {
  if (!Object.hasOwn(toml, 'mcp_servers')) return undefined;
  const table = toml['mcp_servers'];
  if (!isTable(table)) throw new McpmError('CONFIG_INVALID', `${file}: "mcp_servers" must be a table of servers`, HINT);
  return table;
}

function isTable(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Date);
}

/** A TOML value as JSON, for core/launch/parse.ts to check (dates and big integers become strings). */
function toJson(value: unknown): JsonValue {
  if (typeof value === 'string' || typeof value === 'boolean' || typeof value === 'number') return value;
  if (Array.isArray(value)) return value.map(toJson);
  if (isTable(value)) {
    const out = Object.create(null) as JsonObject;
    for (const key of Object.keys(value)) out[key] = toJson(value[key]);
    return out;
  }
  return String(value);
}

/** A Codex entry in the shape core/launch/parse.ts reads. */
function normalize(entry: unknown, name: string, file: string): JsonValue {
  if (!isTable(entry)) return toJson(entry);
  const get = (key: string) => (Object.hasOwn(entry, key) ? toJson(entry[key]) : undefined);
  const fail = (message: string): never => {
    throw new McpmError('CONFIG_INVALID', `${file}: server ${jsonQuote(name)}: ${message}`, HINT);
  };
  const names = (key: string): string[] => {
    const value = get(key);
    if (value === undefined) return [];
    if (!Array.isArray(value) || !value.every((v): v is string => typeof v === 'string')) return fail(`${jsonQuote(key)} must be an array of strings`);
    return value;
  };
  const table = (key: string): JsonObject => {
    const value = get(key);
    if (value === undefined) return Object.create(null) as JsonObject;
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return fail(`${jsonQuote(key)} must be a table`);
    return value;
  };
  const out = Object.create(null) as JsonObject;
  // `mcpm`: mcpm's own settings for the server (`mcpm = { deny = ["sampling"] }`), read as in JSON configs.
  for (const key of ['command', 'args', 'cwd', 'url', 'mcpm']) {
    const value = get(key);
    if (value !== undefined) out[key] = value;
  }
  if (out['url'] !== undefined) {
    out['type'] = 'http';
    const headers = table('http_headers');
    const fromEnv = table('env_http_headers');
    for (const header of Object.keys(fromEnv)) {
      const variable = fromEnv[header];
      headers[header] = typeof variable === 'string' ? `\${${variable}}` : (variable as JsonValue);
    }
    const bearer = get('bearer_token_env_var');
    if (bearer !== undefined) headers['Authorization'] = typeof bearer === 'string' ? `Bearer \${${bearer}}` : bearer;
    if (Object.keys(headers).length > 0) out['headers'] = headers;
  } else {
    const env = table('env');
    for (const variable of names('env_vars')) if (!Object.hasOwn(env, variable)) env[variable] = `\${${variable}}`;
    if (Object.keys(env).length > 0) out['env'] = env;
  }
  return out;
}

/** The file's servers (read's result and errors), with the `mcp_servers` table they came from, for entries. */
function load(text: string, file: string): { table: Record<string, unknown> | undefined; servers: ServerConfig[] } {
  const table = serversTable(parseToml(text, file), file);
  if (table === undefined) return { table, servers: [] };
  const mcpServers = Object.create(null) as JsonObject;
  for (const name of Object.keys(table)) mcpServers[name] = normalize(table[name], name, file);
  // Codex runs no headersHelper and reads no envFile: both are refused in its files.
  return { table, servers: configFromJson({ mcpServers } as JsonObject, file, 'mcpServers', { claudeCode: false, vscodeFamily: false }) };
}

function read(text: string, file: string): ServerConfig[] {
  return load(text, file).servers;
}

/** Keys guard replaces: the launch, local or remote. */
const LAUNCH_KEYS = new Set(['command', 'args', 'cwd', 'url', 'http_headers', 'env_http_headers', 'bearer_token_env_var']);

function entries(text: string, file: string): HostEntry[] {
  // The same parse, and so the same errors, as read.
  const servers = load(text, file).table ?? {};
  const statements = tomlStatements(text);
  return Object.keys(servers).map((name): HostEntry => {
    const path = ['mcp_servers', name];
    const entry = servers[name] as Record<string, unknown>;
    const command = entry['command'];
    const args = entry['args'];
    const launchFields: Pick<HostEntry, 'transport' | 'launch'> =
      typeof command === 'string'
        ? { transport: 'stdio', launch: { command, args: Array.isArray(args) ? args.map(String) : [] } }
        : { transport: typeof entry['url'] === 'string' ? 'http' : 'unknown' };
    const header = statements.findIndex((s) => s.kind === 'table' && samePath(s.key, path));
    if (header === -1) {
      return { name, path, start: 0, end: 0, ...launchFields, unsupported: `it is not written as a [mcp_servers.${name}] table` };
    }
    const inside = (s: { key: string[] }) => s.key.length > path.length && samePath(s.key.slice(0, path.length), path);
    let last = header;
    while (last + 1 < statements.length) {
      const next = statements[last + 1]!;
      if (next.kind !== 'keyval' && !inside(next)) break;
      last++;
    }
    const start = statements[header]!.start;
    const end = statements[last]!.end;
    if (statements.slice(last + 1).some((s) => s.kind !== 'keyval' && inside(s))) {
      return { name, path, start, end, ...launchFields, unsupported: 'its sub-tables are not next to its table' };
    }
    return { name, path, start, end, ...launchFields };
  });
}

function guardedEntry(text: string, entry: HostEntry, launch: Launch, forward: readonly string[] = []): string {
  const eol = lineEndingOf(text);
  const statements = tomlStatements(text).filter((s) => s.start >= entry.start && s.end <= entry.end);
  const header = statements[0];
  if (!header || header.kind !== 'table') throw new Error('Assertion failed: a Codex entry starts with its table header');
  let headerText = text.slice(header.start, header.end);
  if (!headerText.endsWith('\n')) headerText += eol;
  const firstSubTable = statements.findIndex((s, i) => i > 0 && s.kind !== 'keyval');
  const own = statements.slice(1, firstSubTable === -1 ? undefined : firstSubTable);
  // Codex passes a server only the variables `env_vars` names: those the original refers to are added.
  // (Only needed, and so only parsed, when there are variables to forward.)
  const envVars = forward.length === 0 ? [] : envVarsOf(parseToml(text, '(config)')['mcp_servers'] as Record<string, unknown>, entry.name);
  const extra = forward.filter((name) => !envVars.includes(name));
  const dropped = own.filter((s) => s.key.length === 1 && (LAUNCH_KEYS.has(s.key[0]!) || (extra.length > 0 && s.key[0] === 'env_vars')));
  let body = '';
  let at = header.end;
  for (const s of dropped) {
    body += text.slice(at, s.start);
    at = s.end;
  }
  body += text.slice(at, entry.end);
  let lines = `command = ${tomlString(launch.command)}${eol}args = [${launch.args.map(tomlString).join(', ')}]${eol}`;
  if (extra.length > 0) lines += `env_vars = [${[...envVars, ...extra].map(tomlString).join(', ')}]${eol}`;
  return headerText + lines + body;
}

/** The `env_vars` of server `name` in the `mcp_servers` table, as strings. */
function envVarsOf(servers: Record<string, unknown>, name: string): string[] {
  const table = (servers as Record<string, Record<string, unknown>>)[name] ?? {};
  return Array.isArray(table['env_vars']) ? table['env_vars'].map(String) : [];
}

export const codex: HostFormat = { name: 'codex', syntax: 'toml', read, entries, guardedEntry, canForward: true };
