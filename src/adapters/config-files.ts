import { lstatSync, statSync } from 'node:fs';
import path from 'node:path';
import { conflictMarkerLine } from '../core/conflict-markers.js';
import { stripJsonComments } from '../core/jsonc.js';
import { McpmError } from '../core/errors.js';
import { shellWord } from '../core/shell-word.js';
import {
  configFormatOf,
  configFromJson,
  mergeConfigs,
  parseConfig,
  parseConfigJson,
  type ConfigFormat,
  type HostKeys,
  type ServerConfig,
} from '../core/launch/parse.js';
import { readTextFile } from './files.js';
import type { HostName, ReadContext } from './hosts/format.js';
import type { HostPlace } from './hosts/index.js';
import { findSidecar } from './hosts/sidecar-path.js';

// The host formats and guard's sidecar are loaded only when a command needs them (--host, a named
// file in another host's format, a guarded config): plain project discovery stays fast.
const hosts = () => import('./hosts/index.js');

/** Project config files, in discovery order (the order in which mergeConfigs prefers values). */
const DISCOVERED: readonly { file: string; format: ConfigFormat; keys?: HostKeys }[] = [
  { file: '.mcp.json', format: 'mcpServers' },
  { file: '.cursor/mcp.json', format: 'mcpServers', keys: { vscodeFamily: true } },
  { file: '.vscode/mcp.json', format: 'vscode' },
];

/**
 * The project directory as git and npm find theirs: `start`, or the nearest directory above it
 * that holds a project config or `lockName`. The search stops at the repository root (a directory
 * holding `.git`) and never goes into `home` or above it unless it started there: `~/.cursor/mcp.json`
 * is Cursor's user-level config, not a project's. Null when nothing is found.
 */
export async function findProjectDir(start: string, options: { home?: string; lockName: string }): Promise<string | null> {
  const home = options.home ? path.resolve(options.home) : undefined;
  let dir = path.resolve(start);
  const belowHome = home !== undefined && isInside(dir, home);
  const names = [...DISCOVERED.map((d) => d.file), options.lockName];
  for (;;) {
    for (const name of names) if (isFile(path.join(dir, ...name.split('/')))) return dir;
    const parent = path.dirname(dir);
    if (parent === dir || exists(path.join(dir, '.git')) || (belowHome && parent === home)) return null;
    dir = parent;
  }
}

function isInside(dir: string, home: string): boolean {
  const rel = path.relative(home, dir);
  return rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel);
}

// Synchronous: a stat takes microseconds, and a thread pool round trip for each name in each
// directory (and loading fs.promises at all) cost more at every `verify --offline`.
// Any error (a file in place of a directory on the way, no permission) is "not there", as before.
function isFile(file: string): boolean {
  try {
    return statSync(file, { throwIfNoEntry: false })?.isFile() ?? false;
  } catch {
    return false;
  }
}

function exists(file: string): boolean {
  try {
    return lstatSync(file, { throwIfNoEntry: false }) !== undefined;
  } catch {
    return false;
  }
}

export interface LoadConfigOptions {
  /**
   * `--host NAME`: with no `configFiles`, read that host's user-level config files (those that
   * exist; CONFIG_NOT_FOUND when none does) instead of discovering project files; with
   * `configFiles`, read them in that host's format. For Claude Code this is the user scope of
   * `~/.claude.json` only: a project's local scope is read when the file is named with `--config`.
   */
  host?: string;
  /** Discovering: also list other hosts' project configs with servers (uncheckedConfigs). */
  otherHosts?: boolean;
  /** Where the host files are: HOME, APPDATA, XDG_CONFIG_HOME, … and the platform. Needed with `host`. */
  place?: HostPlace;
}

/**
 * Project discovery (public: the README lists these files): `.mcp.json`, `.cursor/mcp.json`, `.vscode/mcp.json` under
 * `projectDir`; or exactly the `--config` files given (format picked by shape: `servers` → VS Code,
 * else `mcpServers`). Returns the merged servers and the files read. CONFIG_NOT_FOUND when discovery
 * finds nothing and no file was named.
 *
 * `source` of each server, and each name in `files`, is the path relative to `projectDir`
 * (`.cursor/mcp.json`) when the file is inside it, else the path as given. A named file is JSONC
 * only when it has VS Code's shape, as VS Code is the host that reads comments.
 *
 * A named file whose name says it is in another host's format (Claude Code's `.claude.json`,
 * Windsurf's `mcp_config.json`, Gemini's or Zed's `settings.json`, Codex's `.toml`: see
 * hostOfFile) is read in that format. Every file that `mcpm guard` rewrote is read as it was
 * before guard (adapters/hosts/sidecar.ts).
 */
export async function loadConfig(
  projectDir: string,
  configFiles: readonly string[],
  options: LoadConfigOptions = {},
): Promise<{ servers: Map<string, ServerConfig>; files: string[]; guarded: Set<string>; unchecked: UncheckedConfig[] }> {
  const lists: ServerConfig[][] = [];
  const files: string[] = [];
  // Servers read from the original text that `mcpm guard` kept: `mcpm run` takes their env from the host.
  const guarded = new Set<string>();
  const unguarded = async (text: string, absolute: string, shown: string, context: ReadContext) => {
    // Every config read goes through here first: a merge left half done is named as such, not as bad JSON.
    refuseConflictMarkers(text, shown);
    // Read here, once: the sidecar module (and the host formats it needs) loads only when there is one.
    const found = await findSidecar(absolute, shown, options.place?.env ?? {});
    if (found === null) return text;
    const { unguardedText } = await import('./hosts/sidecar.js');
    const result = await unguardedText(text, { absolute, shown }, context, found);
    for (const name of result.guarded) guarded.add(name);
    return result.text;
  };
  const host = options.host === undefined ? undefined : (await hosts()).hostByName(options.host).name;
  if (host !== undefined && configFiles.length === 0) {
    const { displayPath, hostInfo, hostUserFiles, searchedPlaces } = await hosts();
    const place = options.place;
    if (!place) throw new Error('Assertion failed: loadConfig with a host needs a place');
    const info = hostInfo(host);
    for (const { file: absolute, context } of await hostUserFiles(info, place)) {
      const shown = displayPath(absolute, place);
      const text = await readTextFile(absolute, shown);
      if (text === null) continue;
      const original = await unguarded(text, absolute, shown, context);
      lists.push(info.format.read(original, shown, context));
      files.push(shown);
    }
    if (files.length === 0) {
      throw new McpmError(
        'CONFIG_NOT_FOUND',
        `no ${info.label} config found (looked for ${searchedPlaces(info, place).join(', ')})`,
        `run "mcpm ls --hosts" to see which host configs exist, or pass --config FILE`,
      );
    }
  } else if (configFiles.length > 0) {
    for (const given of configFiles) {
      const absolute = path.resolve(projectDir, given);
      const shown = displayName(projectDir, absolute, given);
      const text = await readTextFile(absolute, shown);
      if (text === null) {
        throw new McpmError('CONFIG_NOT_FOUND', `${shown}: no such config file`, 'check the path given to --config');
      }
      // Claude Code's local scope of this project is read only when ~/.claude.json is named; --host claude-code is the user scope.
      const { hostInfo, hostOfFile } = await hosts();
      const format: HostName | undefined = host ?? hostOfFile(absolute);
      const context = host === undefined ? { projectDir: path.resolve(projectDir) } : {};
      const original = await unguarded(text, absolute, shown, context);
      lists.push(format === undefined ? parseNamedConfig(original, shown, isCursorConfig(absolute)) : hostInfo(format).format.read(original, shown, context));
      files.push(shown);
    }
  } else {
    for (const { file, format, keys } of DISCOVERED) {
      const absolute = path.join(projectDir, ...file.split('/'));
      const text = await readTextFile(absolute, file);
      if (text === null) continue;
      const original = await unguarded(text, absolute, file, { projectDir: path.resolve(projectDir) });
      lists.push(parseConfig(original, file, format, keys));
      files.push(file);
    }
    if (files.length === 0) {
      throw new McpmError(
        'CONFIG_NOT_FOUND',
        `no MCP config found in ${projectDir} (looked for ${DISCOVERED.map((d) => d.file).join(', ')})`,
        'create .mcp.json, or pass --config FILE',
      );
    }
    return { servers: mergeConfigs(lists), files, guarded, unchecked: options.otherHosts ? await uncheckedConfigs(projectDir) : [] };
  }
  return { servers: mergeConfigs(lists), files, guarded, unchecked: [] };
}

/** A project config of another host, with servers, that discovery does not read. */
export interface UncheckedConfig {
  file: string;
  host: string;
  servers: number;
}

/**
 * Other hosts' project configs that hold servers: Gemini CLI, Codex, Zed and Continue start what
 * their project files name, and VS Code what its settings' `mcp` key names, though discovery reads
 * none of them. A pull request could add a server there that no check sees, so each is told
 * (loadProject). A file that does not read is told too, as one mcpm cannot check.
 */
async function uncheckedConfigs(projectDir: string): Promise<UncheckedConfig[]> {
  // Followed through a link, as the host reads the file (the module's own `exists` does not follow).
  const present = (relative: string, directory = false) => {
    try {
      const stats = statSync(path.join(projectDir, ...relative.split('/')));
      return directory ? stats.isDirectory() : stats.isFile();
    } catch {
      return false;
    }
  };
  const candidates: { file: string; host: HostName; context: ReadContext }[] = OTHER_PROJECT_FILES.filter(({ file }) => present(file)).map((c) => ({ ...c, context: {} }));
  // Continue's block files: a directory of them, listed only when it is there.
  const continueBlocks = present('.continue/mcpServers', true);
  if (candidates.length === 0 && !continueBlocks) return [];
  const { hostInfo } = await hosts();
  if (continueBlocks) {
    for (const { file, context } of (await hostInfo('continue').discoverProjectFiles?.(projectDir)) ?? []) {
      candidates.push({ file: path.relative(projectDir, file).split(path.sep).join('/'), host: 'continue', context });
    }
  }
  const out: UncheckedConfig[] = [];
  for (const { file, host, context } of candidates) {
    const info = hostInfo(host);
    let servers = -1;
    try {
      const text = await readTextFile(path.join(projectDir, ...file.split('/')), file);
      // Empty, or comments only: a file the host reads as no settings at all.
      const blank = text === null || (file.endsWith('.json') ? stripJsonComments(text) : text).trim() === '';
      servers = blank ? 0 : info.format.read(text, file, { projectDir: path.resolve(projectDir), ...context }).length;
    } catch (error) {
      if (!(error instanceof McpmError)) throw error;
    }
    if (servers !== 0) out.push({ file, host: info.label, servers });
  }
  return out;
}

/**
 * Every host's project file (HOSTS' projectFiles) that discovery does not read, each with its
 * host. Written out rather than derived: deriving it would load every host format into the start-up
 * of `verify --offline`; a test holds it to HOSTS.
 */
export const OTHER_PROJECT_FILES: readonly { file: string; host: HostName }[] = [
  { file: '.vscode/settings.json', host: 'vscode' },
  { file: '.gemini/settings.json', host: 'gemini' },
  { file: '.codex/config.toml', host: 'codex' },
  { file: '.zed/settings.json', host: 'zed' },
];

/**
 * CONFIG_INVALID rather than a code of its own: the file is an invalid config, and scripts that
 * match CONFIG_INVALID keep working; the message says what the lock's LOCKFILE_CONFLICT_MARKERS says.
 */
function refuseConflictMarkers(text: string, shown: string): void {
  const line = conflictMarkerLine(text);
  if (line === undefined) return;
  throw new McpmError(
    'CONFIG_INVALID',
    `${shown} has merge conflict markers (line ${line}); mcpm never merges server definitions by itself`,
    `take one side (git checkout --ours/--theirs ${shellWord(shown)}), then run "mcpm verify" to see what the merge changed`,
  );
}

/** `.cursor/mcp.json`, a project's or the user's: Cursor's own file, in which it reads `envFile`. */
function isCursorConfig(file: string): boolean {
  return path.basename(file) === 'mcp.json' && path.basename(path.dirname(file)) === '.cursor';
}

function parseNamedConfig(text: string, file: string, cursor: boolean): ServerConfig[] {
  let json;
  try {
    json = parseConfigJson(text, file, { jsonc: false });
  } catch (strictError) {
    // Comments or trailing commas are accepted only in a file VS Code itself would read.
    try {
      json = parseConfigJson(text, file, { jsonc: true });
    } catch {
      throw strictError;
    }
    if (configFormatOf(json, file) !== 'vscode') throw strictError;
  }
  return configFromJson(json, file, configFormatOf(json, file), cursor ? { vscodeFamily: true } : {});
}

function displayName(projectDir: string, absolute: string, given: string): string {
  const relative = path.relative(path.resolve(projectDir), absolute);
  const inside = relative !== '' && !relative.startsWith('..') && !path.isAbsolute(relative);
  return inside ? relative.split(path.sep).join('/') : given;
}
