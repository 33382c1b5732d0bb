/**
 * The hosts mcpm knows: where each keeps its MCP config on each platform, and the module that
 * reads (and, for guard, rewrites) that format. Paths come from the environment passed in (HOME,
 * APPDATA, XDG_CONFIG_HOME, CODEX_HOME, CLAUDE_CONFIG_DIR, CONTINUE_GLOBAL_DIR,
 * CLINE_MCP_SETTINGS_PATH), never from this process, so tests point HOME at a temp dir.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { McpmError } from '../../core/errors.js';
import { jsonQuote } from '../../core/json-strict.js';
import { claudeCode } from './claude-code.js';
import { claudeCodePlugins, installedPluginFiles } from './claude-code-plugins.js';
import { claudeDesktop } from './claude-desktop.js';
import { cline } from './cline.js';
import { codex } from './codex.js';
import { continueHost } from './continue.js';
import { cursor } from './cursor.js';
import { HOST_NAMES, type HostFormat, type HostName, type ReadContext } from './format.js';
import { gemini } from './gemini.js';
import { vscode } from './vscode.js';
import { windsurf } from './windsurf.js';
import { zed } from './zed.js';

export { HOST_NAMES, isHostName, type HostEntry, type HostFormat, type HostName, type Launch, type ReadContext } from './format.js';

export interface HostPlace {
  env: Readonly<Record<string, string | undefined>>;
  platform: NodeJS.Platform;
}

export interface HostInfo {
  name: HostName;
  /** As the vendor writes it: "Claude Desktop". */
  label: string;
  format: HostFormat;
  /** The user-level config files this host reads on this platform (absolute), in the order checked. */
  userFiles(place: HostPlace): string[];
  /** Project-level config files, relative to the project directory, `/`-separated. */
  projectFiles: string[];
  /**
   * More user-level files, found by listing a directory or reading an index (Continue's block
   * files, Claude Code's installed plugins), each with what its format needs to read it.
   */
  discoverUserFiles?(place: HostPlace): Promise<HostFile[]>;
  /** More project-level files, found by listing a directory of the project (Continue's block files). */
  discoverProjectFiles?(projectDir: string): Promise<HostFile[]>;
  /** Where discovery looks, for messages: `~/.continue/mcpServers/*.yaml`. */
  searched?(place: HostPlace): string[];
}

/** A config file of a host (absolute) and what reading it needs. */
export interface HostFile {
  file: string;
  context: ReadContext;
}

/** Every user-level config file of the host that exists or may (the fixed ones), then the discovered ones. */
export async function hostUserFiles(info: HostInfo, place: HostPlace): Promise<HostFile[]> {
  const fixed = info.userFiles(place).map((file) => ({ file, context: {} }));
  return [...fixed, ...((await info.discoverUserFiles?.(place)) ?? [])];
}

/** The places named when no config of the host is found. */
export function searchedPlaces(info: HostInfo, place: HostPlace): string[] {
  return [...info.userFiles(place), ...(info.searched?.(place) ?? [])].map((f) => displayPath(f, place));
}

/** The files of `dir` with one of `extensions`, sorted; none when it does not exist. */
async function filesIn(dir: string, extensions: RegExp): Promise<HostFile[]> {
  let names: string[];
  try {
    names = await fs.readdir(dir);
  } catch {
    return [];
  }
  return names
    .filter((n) => extensions.test(n))
    .sort()
    .map((n) => ({ file: path.join(dir, n), context: {} }));
}

/** Claude Code's own directory: `$CLAUDE_CONFIG_DIR`, else `~/.claude`. */
function claudeConfigDir(place: HostPlace): string {
  return place.env['CLAUDE_CONFIG_DIR'] || join(place, homeDir(place), '.claude');
}

/** Continue's global directory: `$CONTINUE_GLOBAL_DIR`, else `~/.continue`. */
function continueDir(place: HostPlace): string {
  return place.env['CONTINUE_GLOBAL_DIR'] || join(place, homeDir(place), '.continue');
}

/** Continue reads YAML blocks and JSON configs from its `mcpServers` directories. */
const CONTINUE_BLOCKS = /\.(ya?ml|json)$/i;

/** VS Code's user directory, where extensions keep their storage too. */
function vscodeUserDir(place: HostPlace): string {
  return join(place, appDataDir(place), 'Code', 'User');
}

/** `~`, from HOME (USERPROFILE on Windows when HOME is unset). */
function homeDir(place: HostPlace): string {
  const home = place.env['HOME'] || (place.platform === 'win32' ? place.env['USERPROFILE'] : undefined);
  if (!home) throw new McpmError('USAGE', 'HOME is not set, so the user-level host configs cannot be found', 'set HOME, or pass the file with --config FILE');
  return home;
}

function join(place: HostPlace, ...parts: string[]): string {
  return (place.platform === 'win32' ? path.win32 : path.posix).join(...parts);
}

/** Where Electron apps and Zed keep settings: `~/Library/Application Support` (macOS), `%APPDATA%` (Windows), `$XDG_CONFIG_HOME` or `~/.config` (Linux). */
function appDataDir(place: HostPlace): string {
  const home = homeDir(place);
  if (place.platform === 'darwin') return join(place, home, 'Library', 'Application Support');
  if (place.platform === 'win32') return place.env['APPDATA'] || join(place, home, 'AppData', 'Roaming');
  return xdgConfigHome(place);
}

function xdgConfigHome(place: HostPlace): string {
  const xdg = place.env['XDG_CONFIG_HOME'];
  return xdg && path.posix.isAbsolute(xdg) ? xdg : join(place, homeDir(place), '.config');
}

export const HOSTS: readonly HostInfo[] = [
  {
    name: 'claude-code',
    label: 'Claude Code',
    format: claudeCode,
    userFiles: (place) => {
      const dir = place.env['CLAUDE_CONFIG_DIR'];
      return dir ? [join(place, dir, '.claude.json')] : [join(place, homeDir(place), '.claude.json')];
    },
    projectFiles: ['.mcp.json'],
  },
  {
    name: 'claude-desktop',
    label: 'Claude Desktop',
    format: claudeDesktop,
    userFiles: (place) => [join(place, appDataDir(place), 'Claude', 'claude_desktop_config.json')],
    projectFiles: [],
  },
  {
    name: 'cursor',
    label: 'Cursor',
    format: cursor,
    userFiles: (place) => [join(place, homeDir(place), '.cursor', 'mcp.json')],
    projectFiles: ['.cursor/mcp.json'],
  },
  {
    name: 'vscode',
    label: 'VS Code',
    format: vscode,
    // settings.json: the `mcp` key that VS Code read before mcp.json, which older installs still have.
    userFiles: (place) => [join(place, vscodeUserDir(place), 'mcp.json'), join(place, vscodeUserDir(place), 'settings.json')],
    projectFiles: ['.vscode/mcp.json', '.vscode/settings.json'],
  },
  {
    name: 'windsurf',
    label: 'Windsurf',
    format: windsurf,
    // The second path is named by one localised page of Windsurf's docs; both are read if present.
    userFiles: (place) => [join(place, homeDir(place), '.codeium', 'windsurf', 'mcp_config.json'), join(place, homeDir(place), '.codeium', 'mcp_config.json')],
    projectFiles: [],
  },
  {
    name: 'gemini',
    label: 'Gemini CLI',
    format: gemini,
    userFiles: (place) => [join(place, homeDir(place), '.gemini', 'settings.json')],
    projectFiles: ['.gemini/settings.json'],
  },
  {
    name: 'codex',
    label: 'Codex CLI',
    format: codex,
    userFiles: (place) => [join(place, place.env['CODEX_HOME'] || join(place, homeDir(place), '.codex'), 'config.toml')],
    projectFiles: ['.codex/config.toml'],
  },
  {
    name: 'zed',
    label: 'Zed',
    format: zed,
    userFiles: (place) =>
      place.platform === 'win32' ? [join(place, appDataDir(place), 'Zed', 'settings.json')] : [join(place, xdgConfigHome(place), 'zed', 'settings.json')],
    projectFiles: ['.zed/settings.json'],
  },
  {
    name: 'claude-code-plugins',
    label: 'Claude Code plugins',
    format: claudeCodePlugins,
    userFiles: () => [],
    discoverUserFiles: (place) => installedPluginFiles(claudeConfigDir(place), (file) => displayPath(file, place)),
    searched: (place) => [join(place, claudeConfigDir(place), 'plugins', 'installed_plugins.json')],
    projectFiles: [],
  },
  {
    name: 'cline',
    label: 'Cline',
    format: cline,
    userFiles: (place) => [
      join(place, vscodeUserDir(place), 'globalStorage', 'saoudrizwan.claude-dev', 'settings', 'cline_mcp_settings.json'),
      place.env['CLINE_MCP_SETTINGS_PATH'] || join(place, homeDir(place), '.cline', 'data', 'settings', 'cline_mcp_settings.json'),
    ],
    projectFiles: [],
  },
  {
    name: 'continue',
    label: 'Continue',
    format: continueHost,
    userFiles: (place) => [join(place, continueDir(place), 'config.yaml')],
    discoverUserFiles: (place) => filesIn(join(place, continueDir(place), 'mcpServers'), CONTINUE_BLOCKS),
    discoverProjectFiles: (projectDir) => filesIn(path.join(projectDir, '.continue', 'mcpServers'), CONTINUE_BLOCKS),
    searched: (place) => [join(place, continueDir(place), 'mcpServers', '*.yaml')],
    projectFiles: [],
  },
];

export function hostInfo(name: HostName): HostInfo {
  const info = HOSTS.find((h) => h.name === name);
  if (!info) throw new Error(`Assertion failed: no host ${name}`);
  return info;
}

/** `--host NAME`, checked: USAGE listing the known names otherwise. */
export function hostByName(name: string): HostInfo {
  const info = HOSTS.find((h) => h.name === name);
  if (!info) throw new McpmError('USAGE', `unknown host ${jsonQuote(name)}`, `use one of: ${HOST_NAMES.join(', ')}`);
  return info;
}

/**
 * The host whose format a config file is in, judged by its name, for the files whose format is not
 * the plain `mcpServers` / VS Code `servers` shape that the rest of mcpm reads by shape: Claude
 * Code's `.claude.json`, Cline's `cline_mcp_settings.json`, Continue's `.yaml`, Windsurf's
 * `mcp_config.json` (`serverUrl`), VS Code's, Gemini's and Zed's `settings.json` (by their
 * directory) and Codex's `.toml`.
 */
export function hostOfFile(file: string): HostName | undefined {
  const base = path.basename(file);
  const parent = path.basename(path.dirname(file)).toLowerCase();
  if (base === '.claude.json') return 'claude-code';
  if (base === 'cline_mcp_settings.json') return 'cline';
  // YAML is Continue's alone among the hosts; so are JSON files in a .continue/mcpServers directory.
  if (/\.ya?ml$/i.test(base)) return 'continue';
  if (parent === 'mcpservers' && path.basename(path.dirname(path.dirname(file))) === '.continue') return 'continue';
  if (base === 'settings.json' && (parent === 'user' || parent === '.vscode')) return 'vscode';
  if (base === 'mcp_config.json') return 'windsurf';
  if (base.toLowerCase().endsWith('.toml')) return 'codex';
  if (base === 'settings.json' && parent === '.gemini') return 'gemini';
  if (base === 'settings.json' && (parent === 'zed' || parent === '.zed')) return 'zed';
  return undefined;
}

/**
 * The lock `--host NAME` uses when no `--lockfile` is given: one per host, in mcpm's own config
 * directory, `$XDG_CONFIG_HOME/mcpm/NAME.lock` (default `~/.config/mcpm/NAME.lock`; on Windows
 * `%APPDATA%\mcpm\NAME.lock`). A user's host config is not in a project, and its lock is not one
 * to commit beside a project's `mcp.lock`.
 */
export function defaultHostLock(name: HostName, place: HostPlace): string {
  return join(place, mcpmConfigDir(place), `${name}.lock`);
}

/** mcpm's own config directory: `$XDG_CONFIG_HOME/mcpm` (default `~/.config/mcpm`; on Windows `%APPDATA%\mcpm`). */
export function mcpmConfigDir(place: HostPlace): string {
  const dir = place.platform === 'win32' ? appDataDir(place) : xdgConfigHome(place);
  return join(place, dir, 'mcpm');
}

/** A path for messages: `~/…` for files under HOME. */
export function displayPath(file: string, place: HostPlace): string {
  let home: string;
  try {
    home = homeDir(place);
  } catch {
    return file;
  }
  const p = place.platform === 'win32' ? path.win32 : path.posix;
  const relative = p.relative(home, file);
  if (relative === '' || relative.startsWith('..') || p.isAbsolute(relative)) return file;
  return `~${p.sep}${relative}`;
}
