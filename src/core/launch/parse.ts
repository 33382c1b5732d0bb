/**
 * Launch parsing: a host config file's text → its servers (ServerConfig, with the LaunchSpec the lock
 * compares), validated field by field, and the merge of several files into one set.
 */
import { McpmError } from '../errors.js';
import { stripJsonComments } from '../jsonc.js';
import { isJsonObject, jsonQuote, parseNativeJson, parseStrictJson, StrictJsonError, type JsonObject, type JsonValue } from '../json-strict.js';
import { DENY_KINDS, parseDenyList, type DenyKind } from '../deny.js';
import { canonicalize } from '../canonical.js';
import { launchDifference, type LaunchSpec } from './identity.js';
import { inputReferences, inputVariable } from './expand.js';
import { isReferencesOnly } from './values.js';

export interface ServerConfig {
  name: string;
  /** The config file it came from, as given (relative to the project when discovered). */
  source: string;
  launch: LaunchSpec;
  /** Values as written in the config (may contain `${VAR}` references); resolved only at launch. */
  env: Record<string, string>;
  headers: Record<string, string>;
  /**
   * The entry's `"mcpm": {"deny": […]}`: server-initiated requests `mcpm run` answers with an error
   * for this server. A key of mcpm's own in the host's entry, which hosts ignore; not part of the
   * launch, so changing it needs no new approval.
   */
  deny?: DenyKind[];
  /**
   * A remote server's sign-in settings from the hosts' `oauth` / `auth` keys, as `mcpm login` uses
   * them (the launch has them as written: LaunchSpec's signIn).
   */
  oauth?: OAuthSettings;
  /** VS Code's `inputs` of the file (by id), for `${input:ID}` references: prompted for at launch, never stored. */
  inputs?: ReadonlyMap<string, InputSpec>;
}

/**
 * What a config says about signing in to a remote server, read from Claude Code's and Gemini's
 * `oauth` ({clientId, clientSecret, scopes, callbackPort, redirectUri}) and Cursor's `auth`
 * ({CLIENT_ID, CLIENT_SECRET, scopes}). Read leniently: these keys are the host's, and only
 * `mcpm login` uses them (it reports `invalid`).
 */
export interface OAuthSettings {
  clientId?: string;
  /** As written: may be a `${VAR}` reference, resolved at sign-in only. */
  clientSecret?: string;
  /** Space-separated. */
  scopes?: string;
  callbackPort?: number;
  redirectUri?: string;
  /** A sign-in mcpm does not do (Gemini's `authProviderType` other than `dynamic_discovery`). */
  unsupported?: string;
  /** A setting that is there but cannot be used, named. */
  invalid?: string;
}

/** One of VS Code's `inputs`: `{"type": "promptString", "id", "description", "password"}`. */
export interface InputSpec {
  description?: string;
  /** Typed without echo. */
  password: boolean;
}

export type ConfigFormat = 'mcpServers' | 'vscode';

/** The key holding the servers in each format. */
const ROOT_KEY: Record<ConfigFormat, string> = { mcpServers: 'mcpServers', vscode: 'servers' };

/**
 * Accepted `type` values. Cline writes `streamableHttp`, Roo and Continue `streamable-http`; both
 * mean what Claude Code and VS Code call `http`. A Map, so `"type": "constructor"` is not found on
 * Object.prototype.
 */
const TRANSPORT_OF_TYPE = new Map<string, LaunchSpec['transport']>([
  ['stdio', 'stdio'],
  ['http', 'http'],
  ['streamable-http', 'http'],
  ['streamableHttp', 'http'],
  ['sse', 'sse'],
]);

const CONFIG_HINT = 'fix the entry in the config file, then run mcpm again';

/**
 * Parses one config file's text into its servers. Throws McpmError CONFIG_INVALID naming file,
 * server and field. The `vscode` format is JSONC (comments and trailing commas allowed), like VS
 * Code's own reader; `mcpServers` files are strict JSON, as Claude Code and Cursor read them.
 * Duplicate keys are an error in both: hosts silently keep one of them, so mcpm cannot know which
 * definition the host will run.
 */
export function parseConfig(text: string, file: string, format: ConfigFormat, options: HostKeys = {}): ServerConfig[] {
  return configFromJson(parseConfigJson(text, file, { jsonc: format === 'vscode' }), file, format, options);
}

/**
 * How the host of a file reads it, where hosts differ. `vscodeFamily`: VS Code or Cursor (VS Code's
 * code; default: a file in VS Code's format). They load `envFile`, which any other host's file
 * may not name: that host would start the server without it. And their JSON reader takes a
 * `__proto__` key as the object's prototype, so in their files one is refused inside an entry.
 */
export interface HostKeys {
  vscodeFamily?: boolean;
  /**
   * Claude Code (default: a file in the `mcpServers` format of no VS Code host): it runs
   * `headersHelper`, which no other host's file may name.
   */
  claudeCode?: boolean;
  /** Gemini CLI: its entries' `trust`, `includeTools` and `excludeTools` are host settings (GEMINI_SETTING_KEYS). */
  gemini?: boolean;
}

/** Parses a config file's text to its top-level object; syntax errors are CONFIG_INVALID `file:line:col: message`. */
export function parseConfigJson(text: string, file: string, options: { jsonc: boolean }): JsonObject {
  let json: JsonValue;
  try {
    // JSON.parse when it provably reads the same (a project config of many servers is read at
    // every commit by the hook's `verify --offline`); the strict parser for the rest, and to say where.
    const plain = options.jsonc ? stripJsonComments(text) : text;
    json = parseNativeJson(plain) ?? parseStrictJson(plain);
  } catch (error) {
    if (error instanceof StrictJsonError) {
      throw new McpmError('CONFIG_INVALID', `${file}:${error.line}:${error.column}: ${error.reason}`, CONFIG_HINT, {
        cause: error,
      });
    }
    throw error;
  }
  if (!isJsonObject(json)) {
    throw new McpmError('CONFIG_INVALID', `${file}: expected a JSON object at the top level`, CONFIG_HINT);
  }
  return json;
}

/**
 * The format of a parsed config, judged by its shape: a `servers` object and no `mcpServers` is VS
 * Code's; anything else is read as `mcpServers` (and fails there if it has no such key). A file
 * with both keys is refused: VS Code would run one set and Claude Code the other.
 */
export function configFormatOf(json: JsonObject, file: string): ConfigFormat {
  const hasServers = Object.hasOwn(json, 'servers');
  const hasMcpServers = Object.hasOwn(json, 'mcpServers');
  if (hasServers && hasMcpServers) {
    throw new McpmError(
      'CONFIG_INVALID',
      `${file}: has both "servers" (VS Code) and "mcpServers"; hosts would each read a different set`,
      'keep one of the two keys',
    );
  }
  return hasServers ? 'vscode' : 'mcpServers';
}

/**
 * The servers of a parsed config file. Keys that mcpm does not use (`disabled`, `timeout`, …) are
 * ignored; `envFile` is not one of them: it changes the environment the server starts with
 * (HostKeys says in which files it is read).
 */
export function configFromJson(json: JsonObject, file: string, format: ConfigFormat, options: HostKeys = {}): ServerConfig[] {
  const vscodeFamily = options.vscodeFamily ?? format === 'vscode';
  const hostKeys = { vscodeFamily, claudeCode: options.claudeCode ?? (format === 'mcpServers' && !vscodeFamily), gemini: options.gemini === true };
  const rootKey = ROOT_KEY[format];
  const root = own(json, rootKey);
  if (root === undefined) {
    throw new McpmError(
      'CONFIG_INVALID',
      `${file}: has no ${jsonQuote(rootKey)} object`,
      `an MCP config looks like {${jsonQuote(rootKey)}: {"name": {"command": "…", "args": […]}}}`,
    );
  }
  if (!isJsonObject(root)) {
    throw new McpmError('CONFIG_INVALID', `${file}: ${jsonQuote(rootKey)} must be an object of servers`, CONFIG_HINT);
  }
  // Anywhere in the file, a server's name included. In a JSON.parse host's file the key is one like
  // any other (a server or an env variable may be named so).
  if (hostKeys.vscodeFamily) refuseProtoKeys(json, file);
  let inputs: Map<string, InputSpec> | undefined;
  let inputDefinitions: Map<string, JsonObject> | undefined;
  if (format === 'vscode') {
    const given = own(json, 'inputs');
    if (given !== undefined && !Array.isArray(given)) {
      throw new McpmError('CONFIG_INVALID', `${file}: "inputs" must be an array`, CONFIG_HINT);
    }
    inputDefinitions = inputDefinitionsOf(given ?? []);
    inputs = new Map([...inputDefinitions].map(([id, definition]) => [id, inputSpecOf(definition)]));
  }
  return Object.keys(root).map((name) => {
    const entry = root[name] as JsonValue;
    const server = withHostSettings(serverFromEntry(name, entry, file, hostKeys), entry as JsonObject, inputDefinitions, hostKeys.gemini);
    return inputs === undefined || inputs.size === 0 ? server : { ...server, inputs };
  });
}

/**
 * Keys of an entry with which VS Code changes what the server may do or how its values are
 * found: `sandboxEnabled` and `sandbox` (the files and hosts it may reach), `dev` (restarts and a
 * debugger). With the definitions of the `inputs` its launch refers to (`${input:ID}`): an input
 * of type `command` runs a VS Code command, a task among them, to find the value.
 */
const HOST_SETTING_KEYS = ['dev', 'sandbox', 'sandboxEnabled'];

/**
 * Keys of a Gemini CLI entry with which the CLI changes what the server may do: `trust` skips the
 * confirmation of every call of its tools, `includeTools` and `excludeTools` choose which of them
 * the model gets. Only in Gemini's files: another host ignores them.
 */
const GEMINI_SETTING_KEYS = ['excludeTools', 'includeTools', 'trust'];

/** The server with its launch's hostSettings (RFC 8785 text), when it has any of them. */
function withHostSettings(server: ServerConfig, entry: JsonObject, inputDefinitions: ReadonlyMap<string, JsonObject> | undefined, gemini: boolean): ServerConfig {
  const settings = Object.create(null) as JsonObject;
  for (const key of HOST_SETTING_KEYS) if (Object.hasOwn(entry, key)) settings[key] = entry[key]!;
  if (gemini) for (const key of GEMINI_SETTING_KEYS) if (Object.hasOwn(entry, key)) settings[key] = entry[key]!;
  const referenced = Object.create(null) as JsonObject;
  for (const id of inputReferences(server)) {
    const definition = inputDefinitions?.get(id);
    if (definition === undefined) continue;
    // A password input's default is a secret: it cannot be locked without writing it, and a
    // masked one would let a change of it pass (VS Code offers it, and Enter takes it).
    // A password as mcpm's own prompt takes it (inputSpecOf): any true value, as VS Code hides it.
    if (inputSpecOf(definition).password && Object.hasOwn(definition, 'default')) {
      throw new McpmError(
        'CONFIG_INVALID',
        `${server.source}: input ${jsonQuote(id)} is a password with a "default": a secret written in the config, which mcpm cannot lock without writing it`,
        `remove the default: VS Code then asks for the value, and mcpm takes it from ${inputVariable(id)} or asks`,
      );
    }
    referenced[id] = definition;
  }
  if (Object.keys(referenced).length > 0) settings['inputs'] = referenced;
  if (Object.keys(settings).length === 0) return server;
  return { ...server, launch: { ...server.launch, hostSettings: canonicalize(settings) } };
}

/**
 * A `__proto__` key anywhere in a VS Code or Cursor file is refused: their JSONC reader, like a
 * plain JavaScript object, takes it as the object's prototype, so the keys inside (`env`,
 * `envFile`, `args`, the file's `inputs` or `servers`) would be the host's while mcpm reads them
 * as one member it ignores. Exported for the host formats that hand configFromJson a part of a
 * larger file (VS Code's settings.json).
 */
export function refuseProtoKeys(value: JsonValue, file: string): void {
  const stack: JsonValue[] = [value];
  while (stack.length > 0) {
    const item = stack.pop()!;
    if (Array.isArray(item)) stack.push(...item);
    else if (isJsonObject(item)) {
      if (Object.hasOwn(item, '__proto__')) {
        throw new McpmError('CONFIG_INVALID', `${file}: has a "__proto__" key, which some hosts read as the object's prototype and mcpm cannot read as they do`, 'remove the "__proto__" key');
      }
      for (const key of Object.keys(item)) stack.push(item[key]!);
    }
  }
}

/** VS Code's `inputs` as written, by id; entries that are not objects with a string id are left out (VS Code ignores them too). */
function inputDefinitionsOf(list: JsonValue[]): Map<string, JsonObject> {
  const out = new Map<string, JsonObject>();
  for (const item of list) if (isJsonObject(item) && typeof item['id'] === 'string') out.set(item['id'], item);
  return out;
}

function inputSpecOf(definition: JsonObject): InputSpec {
  const description = definition['description'];
  // Any true value hides what is typed, as VS Code hides it (and as a password's default is refused).
  return { ...(typeof description === 'string' ? { description } : {}), password: Boolean(definition['password']) };
}

/** The sign-in settings of a remote entry (see OAuthSettings); undefined when it has none. */
function oauthSettings(entry: JsonObject): OAuthSettings | undefined {
  const oauth = own(entry, 'oauth');
  const auth = own(entry, 'auth');
  const provider = own(entry, 'authProviderType');
  if (oauth === undefined && auth === undefined && provider === undefined) return undefined;
  const settings: OAuthSettings = {};
  const text = (value: JsonValue | undefined) => (typeof value === 'string' && value !== '' ? value : undefined);
  const scopes = (value: JsonValue | undefined) =>
    typeof value === 'string' ? value : Array.isArray(value) && value.every((v) => typeof v === 'string') ? value.join(' ') : undefined;
  const from = isJsonObject(oauth) ? oauth : isJsonObject(auth) ? auth : undefined;
  if (from !== undefined) {
    const clientId = text(own(from, 'clientId')) ?? text(own(from, 'CLIENT_ID'));
    const clientSecret = text(own(from, 'clientSecret')) ?? text(own(from, 'CLIENT_SECRET'));
    const scope = scopes(own(from, 'scopes'));
    if (clientId !== undefined) settings.clientId = clientId;
    if (clientSecret !== undefined) settings.clientSecret = clientSecret;
    if (scope !== undefined && scope.trim() !== '') settings.scopes = scope.trim();
    const port = own(from, 'callbackPort');
    if (port !== undefined) {
      if (typeof port === 'number' && Number.isInteger(port) && port > 0 && port < 65536) settings.callbackPort = port;
      else settings.invalid = '"oauth"."callbackPort" is not a port number';
    }
    const redirect = own(from, 'redirectUri');
    if (redirect !== undefined) {
      if (typeof redirect === 'string' && isLoopbackHttpUrl(redirect)) settings.redirectUri = redirect;
      else settings.invalid = '"oauth"."redirectUri" is not an http:// URL on this machine (localhost, 127.0.0.1)';
    }
  }
  if (provider !== undefined && provider !== 'dynamic_discovery') {
    settings.unsupported = `it signs in with "authProviderType": ${jsonQuote(String(provider))} (Google credentials), not with MCP's OAuth flow`;
  }
  return settings;
}

/**
 * The keys of a remote entry that say how the host signs in: Claude Code's and Gemini's `oauth`
 * (a client id, scopes, a callback port, the authorization server's metadata, authorization and
 * token URLs), Cursor's `auth`, Gemini's `authProviderType`, `targetAudience` and
 * `targetServiceAccount`. They say where the user's authorization code and tokens go.
 */
const SIGN_IN_KEYS = ['auth', 'authProviderType', 'oauth', 'targetAudience', 'targetServiceAccount'];

/**
 * The entry's sign-in keys as one RFC 8785 text, for the launch: a change that points the sign-in
 * at another authorization server, client or callback is a changed launch. A client secret
 * written in clear (a member whose name says secret) is not in the text, only that it is set:
 * the lock is committed. Undefined when the entry has none.
 */
function signInOf(entry: JsonObject): string | undefined {
  const found = SIGN_IN_KEYS.filter((key) => Object.hasOwn(entry, key));
  if (found.length === 0) return undefined;
  const out = Object.create(null) as JsonObject;
  for (const key of found) out[key] = withoutSecrets(entry[key]!);
  return canonicalize(out);
}

function withoutSecrets(value: JsonValue): JsonValue {
  if (Array.isArray(value)) return value.map(withoutSecrets);
  if (!isJsonObject(value)) return value;
  const out = Object.create(null) as JsonObject;
  for (const key of Object.keys(value)) {
    const member = value[key]!;
    out[key] = /secret/i.test(key) && typeof member === 'string' && !isReferencesOnly(member) ? '(set, not recorded)' : withoutSecrets(member);
  }
  return out;
}

function isLoopbackHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return url.protocol === 'http:' && ['localhost', '127.0.0.1', '[::1]'].includes(url.hostname);
  } catch {
    return false;
  }
}

function serverFromEntry(name: string, entry: JsonValue, file: string, hostKeys: Required<HostKeys>): ServerConfig {
  const fail = (message: string): never => {
    throw new McpmError('CONFIG_INVALID', `${file}: server ${jsonQuote(name)}: ${message}`, CONFIG_HINT);
  };
  if (name === '') {
    throw new McpmError('CONFIG_INVALID', `${file}: a server name is empty`, 'give the server a name');
  }
  // A host starts a guarded server as `mcpm run NAME`, and no command line can carry a NUL.
  if (name.includes('\0')) {
    throw new McpmError('CONFIG_INVALID', `${file}: server ${jsonQuote(name)}: its name contains a NUL character`, 'rename the server');
  }
  if (!isJsonObject(entry)) return fail('must be an object');
  const extra = mcpmSettings(entry, fail);

  const type = own(entry, 'type');
  let declared: LaunchSpec['transport'] | undefined;
  if (type !== undefined) {
    declared = typeof type === 'string' ? TRANSPORT_OF_TYPE.get(type) : undefined;
    if (declared === undefined) {
      fail(`"type" must be one of ${[...TRANSPORT_OF_TYPE.keys()].map((t) => jsonQuote(t)).join(', ')}`);
    }
  }
  const command = own(entry, 'command');
  const url = own(entry, 'url');
  if (command !== undefined && url !== undefined) fail('has both "command" and "url"; a server is either local (stdio) or remote');

  if (command !== undefined || declared === 'stdio') {
    if (declared !== undefined && declared !== 'stdio') fail(`"type" is ${jsonQuote(type as string)} but the entry has "command"`);
    if (command === undefined) fail(url === undefined ? '"command" is missing' : '"type" is "stdio" but the entry has "url"');
    const env = stringRecord(entry, 'env', fail, checkEnvName);
    const cwd = own(entry, 'cwd');
    if (cwd !== undefined && !isNonEmptyString(cwd)) fail('"cwd" must be a non-empty string');
    // VS Code's and Cursor's file of variables for the server: part of the launch, as `env` is.
    const envFile = own(entry, 'envFile');
    if (envFile !== undefined && !hostKeys.vscodeFamily) {
      fail('"envFile" is read by VS Code and Cursor only: this file\'s host starts the server without it; move its variables into "env"');
    }
    if (envFile !== undefined && !isNonEmptyString(envFile)) fail('"envFile" must be a non-empty string (the path of a file of NAME=value lines)');
    const launch: LaunchSpec = {
      transport: 'stdio',
      command: isNonEmptyString(command) ? command : fail('"command" must be a non-empty string'),
      args: stringArray(entry, 'args', fail),
      ...(cwd === undefined ? {} : { cwd: cwd as string }),
      ...(envFile === undefined ? {} : { envFile: envFile as string }),
      envNames: sortedKeys(env),
    };
    for (const [field, value] of [['command', launch.command], ['cwd', launch.cwd], ['envFile', launch.envFile]] as const) {
      if (value?.includes('\0')) fail(`${jsonQuote(field)} contains a NUL character`);
    }
    return { name, source: file, launch, env, headers: emptyRecord(), ...extra };
  }

  if (url === undefined) {
    return fail(declared === undefined ? 'needs "command" (stdio) or "url" (http, sse)' : '"url" is missing');
  }
  if (!isNonEmptyString(url)) return fail('"url" must be a non-empty string');
  // The lock binds a URL's query values without writing them (launch/values.ts urlParts), and reads a
  // reference as one piece: a query inside a default would be locked in clear.
  if (/\$\{[^}]*\?[^}]*\}/.test(url)) {
    fail('"url" has a "?" in a ${VAR:-default}: a query there would be locked in clear; write the query after the reference (${BASE_URL:-https://…}?key=…)');
  }
  const headers = stringRecord(entry, 'headers', fail, checkHeaderName);
  const oauth = oauthSettings(entry);
  // Claude Code's shell command whose output (a JSON object) gives more headers at each connection:
  // a command run on the user's machine, so part of the launch, as a stdio server's command is.
  const headersHelper = own(entry, 'headersHelper');
  if (headersHelper !== undefined && !hostKeys.claudeCode) {
    fail('"headersHelper" is run by Claude Code only: this file\'s host connects without it; give the headers in "headers"');
  }
  if (headersHelper !== undefined && !isNonEmptyString(headersHelper)) fail('"headersHelper" must be a non-empty string (a shell command)');
  if ((headersHelper as string | undefined)?.includes('\0')) fail('"headersHelper" contains a NUL character');
  const signIn = signInOf(entry);
  return {
    name,
    source: file,
    launch: {
      transport: declared === 'sse' ? 'sse' : 'http',
      url,
      ...(headersHelper === undefined ? {} : { headersHelper: headersHelper as string }),
      ...(signIn === undefined ? {} : { signIn }),
      headerNames: sortedKeys(headers),
    },
    env: emptyRecord(),
    headers,
    ...(oauth === undefined ? {} : { oauth }),
    ...extra,
  };
}

/** The entry's `"mcpm"` object: only `deny`, an array of kinds; anything else is refused, as a typo in a guard setting would be silent. */
function mcpmSettings(entry: JsonObject, fail: Fail): { deny?: DenyKind[] } {
  const settings = own(entry, 'mcpm');
  if (settings === undefined) return {};
  const example = `e.g. "mcpm": {"deny": ["sampling"]}`;
  if (!isJsonObject(settings)) return fail(`"mcpm" must be an object, ${example}`);
  for (const key of Object.keys(settings)) if (key !== 'deny') fail(`"mcpm" has the unknown key ${jsonQuote(key)} (it takes "deny", ${example})`);
  const deny = own(settings, 'deny');
  if (deny === undefined) return {};
  const kinds = Array.isArray(deny) && deny.every((d): d is string => typeof d === 'string') ? parseDenyList(deny) : undefined;
  if (kinds === undefined || 'invalid' in kinds) {
    return fail(`"mcpm": "deny" must be an array of ${DENY_KINDS.map((k) => jsonQuote(k)).join(', ')}`);
  }
  return { deny: kinds.kinds };
}

type Fail = (message: string) => never;

function stringArray(entry: JsonObject, field: string, fail: Fail): string[] {
  const value = own(entry, field);
  if (value === undefined) return [];
  if (!Array.isArray(value) || !value.every((item): item is string => typeof item === 'string')) {
    return fail(`${jsonQuote(field)} must be an array of strings`);
  }
  if (value.some((item) => item.includes('\0'))) fail(`${jsonQuote(field)} contains a NUL character`);
  return [...value];
}

function stringRecord(
  entry: JsonObject,
  field: string,
  fail: Fail,
  checkName: (name: string) => string | undefined,
): Record<string, string> {
  const value = own(entry, field);
  const record = emptyRecord();
  if (value === undefined) return record;
  if (!isJsonObject(value)) return fail(`${jsonQuote(field)} must be an object of strings`);
  for (const key of Object.keys(value)) {
    const item = value[key];
    if (typeof item !== 'string') fail(`${jsonQuote(field)}: ${jsonQuote(key)} must be a string`);
    const problem = checkName(key);
    if (problem !== undefined) fail(`${jsonQuote(field)}: ${jsonQuote(key)} ${problem}`);
    record[key] = item as string;
  }
  return record;
}

/** A name the OS can carry in an environment block: `NAME=value`, NUL-terminated. */
function checkEnvName(name: string): string | undefined {
  if (name === '' || name.includes('=') || name.includes('\0')) return 'is not a valid environment variable name';
  return undefined;
}

/** RFC 9110 field-name: a token. fetch() would throw on anything else, after the server was trusted. */
function checkHeaderName(name: string): string | undefined {
  return /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(name) ? undefined : 'is not a valid HTTP header name';
}

function own(object: JsonObject, key: string): JsonValue | undefined {
  return Object.hasOwn(object, key) ? object[key] : undefined;
}

function isNonEmptyString(value: JsonValue | undefined): value is string {
  return typeof value === 'string' && value !== '';
}

function emptyRecord(): Record<string, string> {
  return Object.create(null) as Record<string, string>;
}

/** Sorted by UTF-16 code units, the lock's key order. */
function sortedKeys(record: Record<string, string>): string[] {
  return Object.keys(record).sort();
}

/**
 * Merges servers from several files; one name with two different launch specs is CONFIG_CONFLICT
 * naming both files.
 *
 * The launch specs are compared (command, args, cwd, envFile, url, headersHelper, sign-in and host
 * settings, transport, the env and header names), and so are the env and header values, with one spelling taken as another (in the URL too): the same variable is
 * written `${API_KEY}` for Claude Code and `${env:API_KEY}` for Cursor. Any other difference is a
 * conflict: the first file's values are the ones locked (discovery order: `.mcp.json`,
 * `.cursor/mcp.json`, `.vscode/mcp.json`), and a host reading the other file would start the
 * server with values nobody reviewed. References inside the spec are compared verbatim, so
 * `${HOME}/x` and `${userHome}/x` are a conflict: mcpm does not guess that two spellings agree.
 * The result keeps the order in which names first appear.
 */
export function mergeConfigs(lists: ServerConfig[][]): Map<string, ServerConfig> {
  const merged = new Map<string, ServerConfig>();
  for (const server of lists.flat()) {
    const seen = merged.get(server.name);
    if (seen === undefined) {
      merged.set(server.name, server);
      continue;
    }
    const difference = launchDifference(seen.launch, withUrlSpelledAs(seen.launch, server.launch)) ?? valuesDifference(seen, server);
    if (difference !== undefined) {
      const files = seen.source === server.source ? `${seen.source} (twice)` : `${seen.source} and ${server.source}`;
      throw new McpmError(
        'CONFIG_CONFLICT',
        `server ${jsonQuote(server.name)} is defined differently in ${files}: ${difference} differ`,
        'make the two definitions identical, or remove one of them',
      );
    }
  }
  return merged;
}

/** A value with each `${env:VAR}` (Cursor, VS Code) written `${VAR}` (Claude Code): the same variable. */
function spelled(value: string): string {
  return value.replace(/\$\{env:([^}]*)\}/g, '${$1}');
}

/**
 * `b`, with `a`'s URL when the two URLs differ only in how they spell a variable, as env and header
 * values may; else `b` as it is. Literal text, query values included, is compared as written.
 */
function withUrlSpelledAs(a: LaunchSpec, b: LaunchSpec): LaunchSpec {
  if (a.transport === 'stdio' || b.transport === 'stdio' || a.url === b.url || spelled(a.url) !== spelled(b.url)) return b;
  return { ...b, url: a.url };
}

/** The env or header values two definitions of one server give differently ("env values of API_KEY"), or undefined. */
function valuesDifference(a: ServerConfig, b: ServerConfig): string | undefined {
  for (const [field, x, y] of [['env', a.env, b.env], ['header', a.headers, b.headers]] as const) {
    const differing = Object.keys(x).filter((name) => Object.hasOwn(y, name) && spelled(x[name]!) !== spelled(y[name]!));
    if (differing.length > 0) return `the ${field} values of ${differing.map((n) => jsonQuote(n)).join(', ')}`;
  }
  return undefined;
}
