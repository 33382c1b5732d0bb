/**
 * What every host config format offers mcpm: its servers as ServerConfig (for install, verify,
 * run), and the text spans of its entries, so that `mcpm guard` can replace one entry's text and
 * leave every other byte of the file (unrelated settings, key order, indentation, comments) as it
 * was.
 */
import type { ServerConfig } from '../../core/launch/parse.js';

export const HOST_NAMES = ['claude-code', 'claude-desktop', 'cursor', 'vscode', 'windsurf', 'gemini', 'codex', 'zed', 'claude-code-plugins', 'cline', 'continue'] as const;
export type HostName = (typeof HOST_NAMES)[number];

export function isHostName(name: string): name is HostName {
  return (HOST_NAMES as readonly string[]).includes(name);
}

export interface ReadContext {
  /**
   * Absolute project directory. Claude Code keeps per-project ("local" scope) servers in
   * `~/.claude.json` under `projects[<dir>]`; they are read only when this is given.
   */
  projectDir?: string;
  /**
   * A Claude Code plugin's files: the plugin's name (its servers are `plugin:NAME:SERVER`, as
   * Claude Code names them) and its installed directory (`${CLAUDE_PLUGIN_ROOT}`).
   */
  plugin?: { name: string; root: string };
}

/** The command and arguments of a stdio entry, as written; what guard compares and replaces. */
export interface Launch {
  command: string;
  args: string[];
}

/** One server entry of a config file, located in its text. */
export interface HostEntry {
  name: string;
  /** Keys from the top of the file to the entry: `["mcpServers", "notes"]`, `["mcp_servers", "docs"]`. */
  path: string[];
  /** The entry's text is `text.slice(start, end)`: a JSON value, or a TOML table with its sub-tables. */
  start: number;
  end: number;
  /** stdio entries have a command; remote ones a URL. `unknown`: neither, or not understood. */
  transport: 'stdio' | 'http' | 'sse' | 'unknown';
  /** The entry's command and args as written (stdio only). */
  launch?: Launch;
  /** Why `mcpm guard` cannot rewrite this entry in place, when it cannot. */
  unsupported?: string;
}

export interface EntryEdit {
  path: readonly string[];
  /** The entry's new text (same kind of span as HostEntry: a JSON value or a TOML block). */
  text: string;
}

export interface HostFormat {
  name: HostName;
  /** `jsonc`: comments and trailing commas allowed, as the host's own reader accepts them. */
  syntax: 'json' | 'jsonc' | 'toml' | 'yaml';
  /** The servers the host would start from this file. Throws McpmError CONFIG_INVALID naming file, server and field. */
  read(text: string, file: string, context?: ReadContext): ServerConfig[];
  /** Every server entry of the file, with its span. Same errors as read. */
  entries(text: string, file: string, context?: ReadContext): HostEntry[];
  /**
   * The text of `entry` rewritten to start `launch` instead: the command and args (or the URL and
   * headers) are replaced, and the host's own settings of the entry (`env`, timeouts, `disabled`,
   * …) are kept as written. `forward` names environment variables the original definition refers
   * to outside its `env` (in args, URL, headers): the guarded entry asks the host to pass them to
   * `mcpm run` (in the host's own syntax), as hosts start servers with a minimal environment.
   */
  guardedEntry(text: string, entry: HostEntry, launch: Launch, forward?: readonly string[]): string;
  /**
   * Whether the entry at `path` is one `entries` can list in `context`: Claude Code's local scope
   * (`projects["/dir"].mcpServers`) is listed only from that project. Absent: every entry is.
   */
  inScope?(path: readonly string[], context: ReadContext): boolean;
  /** Whether guardedEntry can forward variables in this host's syntax (Claude Desktop and Zed expand none). */
  canForward: boolean;
}

/**
 * Replaces the text of the entries named by `edits` and returns the new file text; everything
 * else is kept byte for byte. An edit naming an entry the file does not have is a bug.
 */
export function rewriteEntries(text: string, entries: readonly HostEntry[], edits: readonly EntryEdit[]): string {
  const located = edits.map((edit) => {
    const entry = entries.find((e) => samePath(e.path, edit.path));
    if (!entry) throw new Error(`Assertion failed: no entry at ${JSON.stringify(edit.path)}`);
    return { entry, text: edit.text };
  });
  located.sort((a, b) => b.entry.start - a.entry.start);
  let out = text;
  for (const { entry, text: replacement } of located) out = out.slice(0, entry.start) + replacement + out.slice(entry.end);
  return out;
}

export function samePath(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((key, i) => key === b[i]);
}

export { lineEndingOf } from '../../core/eol.js';
