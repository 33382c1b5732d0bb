/**
 * Servers that Claude Code plugins bring: each installed plugin's `.mcp.json` at its root (either
 * `{"mcpServers": {…}}` or the servers object alone) and the `mcpServers` of its
 * `.claude-plugin/plugin.json` (an object of servers, or the path of a file holding them).
 * Claude Code starts them as `plugin:PLUGIN:SERVER`, and so does mcpm; `${CLAUDE_PLUGIN_ROOT}`
 * is the plugin's installed directory, written into the launch as Claude Code does, so a plugin
 * update (a new directory) is a changed launch to review.
 *
 * The installed plugins are those `<claude config dir>/plugins/installed_plugins.json` lists
 * (`~/.claude`, or `$CLAUDE_CONFIG_DIR`) at user scope, less those `settings.json` turns off in
 * `enabledPlugins`. Plugins installed for one project only are left out: `--host` reads
 * user-level configs.
 *
 * Read-only for `mcpm guard`: the files belong to Claude Code, which replaces a plugin's directory
 * on every update, so a rewritten entry would not last (and its sidecar would describe a file that
 * is gone). `mcpm install --host claude-code-plugins` and `verify` lock and check them.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { McpmError } from '../../core/errors.js';
import { isJsonObject, parseStrictJson, type JsonObject, type JsonValue } from '../../core/json-strict.js';
import { configFromJson, parseConfigJson, type ServerConfig } from '../../core/launch/parse.js';
import { readTextFile } from '../files.js';
import type { HostEntry, HostFormat, ReadContext } from './format.js';
import { launchOf, mapStrings } from './json-text.js';

const READ_ONLY = "a plugin's file, which Claude Code replaces on every plugin update; mcpm guard leaves it alone (lock and verify it with --host claude-code-plugins)";
const ROOT_VARIABLE = /\$\{CLAUDE_PLUGIN_ROOT\}/g;

/** A config file of an installed plugin, with what reading it needs. */
export interface PluginFile {
  file: string;
  context: ReadContext;
}

/** The plugin's servers object, by the file it is in. */
function serversOf(json: JsonObject, file: string): JsonObject {
  const nested = json['mcpServers'];
  if (path.basename(file) === 'plugin.json' || isJsonObject(nested)) {
    if (!isJsonObject(nested)) throw new McpmError('CONFIG_INVALID', `${file}: "mcpServers" must be an object of servers`, "fix the plugin's file, or report it to the plugin's author");
    return nested;
  }
  return json;
}

function pluginOf(file: string, context: ReadContext | undefined): { name: string; root: string } {
  if (context?.plugin) return context.plugin;
  throw new McpmError('USAGE', `${file}: a plugin's config is read with --host claude-code-plugins, which finds the plugin it belongs to`, 'run it with --host claude-code-plugins and no --config');
}

function servers(text: string, file: string, context: ReadContext | undefined): JsonObject {
  const plugin = pluginOf(file, context);
  const found = serversOf(parseConfigJson(text, file, { jsonc: false }), file);
  const out = Object.create(null) as JsonObject;
  // `${CLAUDE_PLUGIN_ROOT}` → the plugin's directory, in every string of the entry.
  for (const name of Object.keys(found)) out[`plugin:${plugin.name}:${name}`] = mapStrings(found[name]!, (text) => text.replace(ROOT_VARIABLE, plugin.root));
  return out;
}

function read(text: string, file: string, context?: ReadContext): ServerConfig[] {
  return configFromJson({ mcpServers: servers(text, file, context) } as JsonObject, file, 'mcpServers');
}

function entries(text: string, file: string, context?: ReadContext): HostEntry[] {
  const found = servers(text, file, context);
  read(text, file, context);
  return Object.keys(found).map((name) => ({ name, path: ['mcpServers', name], start: 0, end: 0, transport: launchOf(found[name] as JsonObject).transport, unsupported: READ_ONLY }));
}

export const claudeCodePlugins: HostFormat = {
  name: 'claude-code-plugins',
  syntax: 'json',
  read,
  entries,
  guardedEntry: () => {
    throw new Error("Assertion failed: mcpm guard rewrites no Claude Code plugin's file");
  },
  canForward: false,
};

/** A JSON file of Claude Code's own, or null when it is absent. */
async function readJson(file: string, shown: string): Promise<JsonObject | null> {
  const text = await readTextFile(file, shown);
  if (text === null) return null;
  let json: JsonValue;
  try {
    json = parseStrictJson(text);
  } catch (error) {
    throw new McpmError('CONFIG_INVALID', `${shown}: ${error instanceof Error ? error.message : String(error)}`, 'check the file; Claude Code writes it', { cause: error });
  }
  if (!isJsonObject(json)) throw new McpmError('CONFIG_INVALID', `${shown}: must be a JSON object`, 'check the file; Claude Code writes it');
  return json;
}

async function isFile(file: string): Promise<boolean> {
  try {
    return (await fs.stat(file)).isFile();
  } catch {
    return false;
  }
}

/**
 * The config files of the plugins Claude Code has installed at user scope and not turned off.
 * `configDir` is `~/.claude` or `$CLAUDE_CONFIG_DIR`; `show` turns a path into its `~/…` form.
 */
export async function installedPluginFiles(configDir: string, show: (file: string) => string): Promise<PluginFile[]> {
  const index = path.join(configDir, 'plugins', 'installed_plugins.json');
  const installed = await readJson(index, show(index));
  if (installed === null) return [];
  const settingsFile = path.join(configDir, 'settings.json');
  // settings.json is Claude Code's, with much else in it: a file mcpm cannot read turns nothing off.
  const settings = await readJson(settingsFile, show(settingsFile)).catch(() => null);
  const enabled = settings && isJsonObject(settings['enabledPlugins']) ? settings['enabledPlugins'] : undefined;
  const plugins = installed['plugins'];
  if (!isJsonObject(plugins)) return [];
  const out: PluginFile[] = [];
  for (const id of Object.keys(plugins).sort()) {
    if (enabled?.[id] === false) continue;
    const name = id.includes('@') ? id.slice(0, id.lastIndexOf('@')) : id;
    // Version 2 lists installs per scope; version 1 had one object per plugin.
    const value = plugins[id]!;
    const installs = Array.isArray(value) ? value : [value];
    const install = installs.find((i) => isJsonObject(i) && (i['scope'] === undefined || i['scope'] === 'user'));
    if (!isJsonObject(install) || typeof install['installPath'] !== 'string' || !path.isAbsolute(install['installPath'])) continue;
    const root = install['installPath'];
    const files = new Set<string>();
    const manifest = path.join(root, '.claude-plugin', 'plugin.json');
    const declared = await readJson(manifest, show(manifest)).catch(() => null);
    const inline = declared?.['mcpServers'];
    if (isJsonObject(inline)) files.add(manifest);
    else if (typeof inline === 'string') {
      const named = path.resolve(root, inline);
      // A path in a plugin's manifest stays inside the plugin.
      if (!path.relative(root, named).startsWith('..')) files.add(named);
    }
    const dotMcp = path.join(root, '.mcp.json');
    if (await isFile(dotMcp)) files.add(dotMcp);
    for (const file of files) if (await isFile(file)) out.push({ file, context: { plugin: { name, root } } });
  }
  return out;
}
