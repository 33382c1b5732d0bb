/**
 * Continue: `~/.continue/config.yaml` (`$CONTINUE_GLOBAL_DIR/config.yaml` when set) with
 * `mcpServers:` as a **list** of `{name, type, command, args, env, cwd, url, requestOptions}`, and
 * block files in `~/.continue/mcpServers/` and a workspace's `.continue/mcpServers/`: YAML blocks
 * (`name`, `version`, `schema: v1`, `mcpServers:` list) or JSON configs in Claude's `mcpServers`
 * shape, which Continue reads as they are.
 *
 * Secrets are written `${{ secrets.NAME }}` (also `inputs.NAME`): Continue fills them from its own
 * store, which mcpm cannot read, so they are read as `${NAME}`, taken from the environment when the
 * server is started, and the lock records the name, never a value. A `uses:` block from the
 * Continue hub is not a server mcpm can start: left out, as Zed's extension servers are.
 *
 * YAML files are read-only for `mcpm guard`: guard replaces an entry's text in place and keeps
 * every other byte, and a YAML entry is not a self-contained span of text. An anchor defined in one
 * server and merged into another (`<<: *defaults`) would change the other server when the first is
 * rewritten, and block scalars and flow style make a safe in-place rewrite a YAML emitter's job.
 * `mcpm install --host continue` and `verify` lock and check these servers; to guard one, move it
 * to a JSON block file (`.continue/mcpServers/NAME.json`), which guard rewrites as it does a
 * Cursor config.
 *
 * The `yaml` package is loaded only when a YAML file is read.
 */
import { createRequire } from 'node:module';
import { McpmError } from '../../core/errors.js';
import { isJsonObject, jsonQuote, parseStrictJson, type JsonObject, type JsonValue } from '../../core/json-strict.js';
import { configFromJson, type ServerConfig } from '../../core/launch/parse.js';
import type { HostEntry, HostFormat } from './format.js';
import { jsonHost, launchOf, mapStrings, SkipEntry } from './json-text.js';

type Yaml = typeof import('yaml');
let yaml: Yaml | undefined;

const READ_ONLY = 'a YAML config, which mcpm guard does not rewrite (docs/hosts.md); to guard the server, move it to a JSON block file in .continue/mcpServers/';
/** Continue's secret and input references: `${{ secrets.NAME }}`, `${{ inputs.NAME }}`. */
const CONTINUE_REFERENCE = /\$\{\{\s*(?:secrets|inputs)\.([A-Za-z_][A-Za-z0-9_]*)\s*\}\}/g;

interface Item {
  name: string;
  /** The entry in the shape core/launch/parse.ts reads, or why it is not a server mcpm can start. */
  entry: JsonObject | SkipEntry;
}

function isYaml(file: string): boolean {
  return /\.ya?ml$/i.test(file);
}

/** The YAML document as plain JSON, with the strict parser's limits and null-prototype objects. */
function parseYaml(text: string, file: string): JsonValue {
  yaml ??= createRequire(import.meta.url)('yaml') as Yaml;
  let value: unknown;
  try {
    // The core schema: no timestamps, binary or other types JSON has no word for. Aliases are
    // capped (a "billion laughs" file expands exponentially).
    value = yaml.parse(text, { schema: 'core', uniqueKeys: true, maxAliasCount: 100, prettyErrors: false });
  } catch (error) {
    const message = error instanceof Error ? error.message.split('\n')[0]! : String(error);
    throw new McpmError('CONFIG_INVALID', `${file}: not valid YAML: ${message}`, 'fix the file, then run mcpm again', { cause: error });
  }
  try {
    return parseStrictJson(JSON.stringify(value ?? null));
  } catch (error) {
    throw new McpmError('CONFIG_INVALID', `${file}: holds a value JSON cannot (${error instanceof Error ? error.message : String(error)})`, 'fix the file, then run mcpm again', { cause: error });
  }
}

/** `${{ secrets.NAME }}` → `${NAME}` in every string of the value. */
function withEnvReferences(value: JsonValue): JsonValue {
  return mapStrings(value, (text) => text.replace(CONTINUE_REFERENCE, '${$1}'));
}

/** The servers of a YAML file: its `mcpServers` list, each item named by its `name`. */
function yamlItems(text: string, file: string): Item[] {
  const json = parseYaml(text, file);
  if (json === null) return [];
  if (!isJsonObject(json)) throw new McpmError('CONFIG_INVALID', `${file}: must be a YAML mapping`, 'see docs/hosts.md for the shape Continue reads');
  const list = json['mcpServers'];
  if (list === undefined || list === null) return [];
  if (!Array.isArray(list)) throw new McpmError('CONFIG_INVALID', `${file}: "mcpServers" must be a list of servers`, 'write each server as a "- name: …" item');
  const seen = new Set<string>();
  return list.map((item, i) => {
    if (!isJsonObject(item)) throw new McpmError('CONFIG_INVALID', `${file}: mcpServers item ${i + 1} must be a mapping`, 'write each server as a "- name: …" item');
    const uses = item['uses'];
    const name = typeof item['name'] === 'string' ? item['name'] : typeof uses === 'string' ? uses : undefined;
    if (name === undefined || name === '') throw new McpmError('CONFIG_INVALID', `${file}: mcpServers item ${i + 1} has no "name"`, 'give each server a name');
    if (seen.has(name)) throw new McpmError('CONFIG_INVALID', `${file}: two servers are named ${jsonQuote(name)}`, 'give each server its own name');
    seen.add(name);
    if (uses !== undefined) return { name, entry: new SkipEntry('a block from the Continue hub ("uses:"); Continue resolves it, mcpm cannot') };
    const entry = withEnvReferences(item) as JsonObject;
    delete entry['name'];
    // Remote servers keep their headers under requestOptions; everything else there is Continue's.
    const options = entry['requestOptions'];
    delete entry['requestOptions'];
    if (isJsonObject(options) && options['headers'] !== undefined) entry['headers'] = options['headers'];
    return { name, entry };
  });
}

/**
 * A JSON block file: Claude's `{"mcpServers": {name: entry}}`, read as Cursor's (with Continue's
 * secret references), and rewritten by guard as any JSON host config.
 */
const jsonBlock = jsonHost({
  name: 'continue',
  syntax: 'json',
  roots: () => [['mcpServers']],
  normalize: (entry) => withEnvReferences(entry) as JsonObject,
});

function read(text: string, file: string): ServerConfig[] {
  if (!isYaml(file)) return jsonBlock.read(text, file);
  const servers = Object.create(null) as JsonObject;
  for (const { name, entry } of yamlItems(text, file)) if (!(entry instanceof SkipEntry)) servers[name] = entry;
  // Continue runs no headersHelper and reads no envFile: both are refused in its files.
  return configFromJson({ mcpServers: servers } as JsonObject, file, 'mcpServers', { claudeCode: false, vscodeFamily: false });
}

function entries(text: string, file: string): HostEntry[] {
  if (!isYaml(file)) return jsonBlock.entries(text, file);
  // The same parse, and so the same errors, as read.
  read(text, file);
  return yamlItems(text, file).map(({ name, entry }): HostEntry => {
    const path = ['mcpServers', name];
    if (entry instanceof SkipEntry) return { name, path, start: 0, end: 0, transport: 'unknown', unsupported: entry.reason };
    return { name, path, start: 0, end: 0, transport: launchOf(entry).transport, unsupported: READ_ONLY };
  });
}

export const continueHost: HostFormat = {
  name: 'continue',
  syntax: 'yaml',
  read,
  entries,
  // Only a JSON block file's entries are rewritten: every YAML entry is unsupported.
  guardedEntry: (text, entry, launch, forward) => jsonBlock.guardedEntry(text, entry, launch, forward),
  canForward: false,
};
