/**
 * `mcpm ls --hosts`: which host configs exist where, each with its number of servers, how many of
 * them `mcpm guard` rewrote, and why it does not parse if it does not. Reads files, starts nothing.
 */
import path from 'node:path';
import { readTextFile } from '../adapters/files.js';
import { displayPath, HOSTS, hostUserFiles, searchedPlaces, type HostFile, type HostInfo, type HostName, type ReadContext } from '../adapters/hosts/index.js';
import { readSidecar, recordsInForce } from '../adapters/hosts/sidecar.js';
import { isMcpmError, type ExitStatus } from '../core/errors.js';
import { sanitizeLine } from '../core/sanitize.js';
import type { Deps } from '../deps.js';
import { writeJson } from '../render/json.js';
import { paint, paletteFor } from '../render/style.js';
import type { GlobalOptions } from '../app/options.js';
import { hostPlace, projectDir } from '../app/project.js';

/** The project files that project discovery reads; other hosts' project files need --config. */
const DISCOVERED = new Set(['.mcp.json', '.cursor/mcp.json', '.vscode/mcp.json']);

export interface HostConfigRow {
  host: HostName;
  /** `user`: the host's own file; `project`: in the project directory; `local`: Claude Code's per-project scope in ~/.claude.json. */
  scope: 'user' | 'project' | 'local';
  path: string;
  found: boolean;
  servers: number | null;
  guarded: number | null;
  /** Whether `mcpm install` in this project reads it without --config or --host. */
  discovered: boolean;
  error: string | null;
}

export async function hostsReport(options: GlobalOptions, deps: Deps): Promise<ExitStatus> {
  const place = hostPlace(deps);
  const dir = projectDir(options, deps);
  const rows: HostConfigRow[] = [];
  for (const host of HOSTS) {
    let userFiles: HostFile[] = [];
    try {
      userFiles = await hostUserFiles(host, place);
    } catch (error) {
      // No HOME (USAGE): only project files can be found. An index that does not parse (Claude
      // Code's installed plugins) is shown as the error of its row.
      if (!isMcpmError(error)) throw error;
      if (error.code !== 'USAGE') rows.push({ ...emptyRow(host, 'user', searchedPlaces(host, place)[0]!, false), found: true, error: error.message });
    }
    for (const { file, context } of userFiles) rows.push(...(await describe(host, 'user', file, displayPath(file, place), dir, context, place.env)));
    const projectFiles: HostFile[] = [
      ...host.projectFiles.map((file) => ({ file: path.join(dir, ...file.split('/')), context: {} })),
      ...((await host.discoverProjectFiles?.(dir)) ?? []),
    ];
    for (const { file, context } of projectFiles) {
      rows.push(...(await describe(host, 'project', file, path.relative(dir, file).split(path.sep).join('/'), dir, context, place.env)));
    }
  }

  if (options.format === 'json') {
    writeJson(deps.stdout, { projectDir: dir, hosts: rows, exitStatus: 0 });
    return 0;
  }
  const palette = paletteFor(deps.stdout.isTTY, deps.env, options.color);
  const found = rows.filter((r) => r.found);
  let text = '';
  if (found.length === 0) text += 'No host config found.\n';
  const width = Math.max(...found.map((r) => r.host.length), 4);
  for (const r of found) {
    const what =
      r.error !== null
        ? paint(palette, 'red', `error: ${sanitizeLine(r.error)}`)
        : `${r.servers} server${r.servers === 1 ? '' : 's'}${r.guarded ? `, ${r.guarded} guarded` : ''}`;
    const note = r.scope === 'project' && !r.discovered ? paint(palette, 'dim', ' (not read by discovery: pass --config)') : '';
    text += `${r.host.padEnd(width)}  ${r.scope.padEnd(7)}  ${sanitizeLine(r.path)}  ${what}${note}\n`;
  }
  const missing = rows.filter((r) => !r.found);
  if (missing.length > 0 && options.verbose) {
    text += `\nnot found:\n${missing.map((r) => `  ${r.host.padEnd(width)}  ${sanitizeLine(r.path)}\n`).join('')}`;
  } else if (missing.length > 0) {
    text += paint(palette, 'dim', `\n${missing.length} other known location${missing.length === 1 ? '' : 's'} had no config (-v lists them)\n`);
  }
  deps.stdout.write(text);
  return 0;
}

function emptyRow(host: HostInfo, scope: 'user' | 'project', shown: string, discovered: boolean): HostConfigRow {
  return { host: host.name, scope, path: shown, found: false, servers: null, guarded: null, discovered, error: null };
}

async function describe(
  host: HostInfo,
  scope: 'user' | 'project',
  absolute: string,
  shown: string,
  dir: string,
  context: ReadContext,
  env: Readonly<Record<string, string | undefined>>,
): Promise<HostConfigRow[]> {
  const row = emptyRow(host, scope, shown, scope === 'project' && DISCOVERED.has(shown));
  let text: string | null;
  try {
    text = await readTextFile(absolute, shown);
  } catch (error) {
    return [{ ...row, found: true, error: messageOf(error) }];
  }
  if (text === null) return [row];
  row.found = true;
  const rows = [row];
  try {
    const sidecar = await readSidecar(absolute, shown, env);
    const count = (ctx: ReadContext, inScope: (p: string[]) => boolean) => {
      const entries = host.format.entries(text, shown, ctx).filter((e) => inScope(e.path));
      const guarded = sidecar ? recordsInForce(entries, sidecar).length : 0;
      return { servers: entries.filter((e) => !e.unsupported || e.transport !== 'unknown').length, guarded };
    };
    Object.assign(row, count(context, (p) => p[0] !== 'projects'));
    // An editor's settings.json without servers is no MCP config (VS Code's older `mcp` key, Zed's, Gemini's).
    if (row.servers === 0 && path.basename(absolute) === 'settings.json') return [{ ...row, found: false, servers: null, guarded: null }];
    // Claude Code's local scope of this project lives in the user's ~/.claude.json.
    if (host.name === 'claude-code' && scope === 'user') {
      const local = count({ projectDir: dir }, (p) => p[0] === 'projects');
      if (local.servers > 0) rows.push({ ...row, scope: 'local', path: `${shown} projects[${JSON.stringify(dir)}]`, ...local });
    }
  } catch (error) {
    row.error = messageOf(error);
  }
  return rows;
}

function messageOf(error: unknown): string {
  if (isMcpmError(error)) return error.message;
  throw error;
}
