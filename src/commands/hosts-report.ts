/**
 * `mcpm ls --hosts`: which host configs exist where, each with its number of servers, how many of
 * them `mcpm guard` rewrote, and why it does not parse if it does not. Reads files, starts nothing.
 */
import path from 'node:path';
import { readTextFile } from '../adapters/files.js';
import { displayPath, HOSTS, type HostInfo, type HostName, type ReadContext } from '../adapters/hosts/index.js';
import { readSidecar, recordsInForce } from '../adapters/hosts/sidecar.js';
import { isMcpmError, type ExitStatus } from '../core/errors.js';
import { sanitize } from '../core/sanitize.js';
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
    let userFiles: string[] = [];
    try {
      userFiles = host.userFiles(place);
    } catch {
      // No HOME: only project files can be found.
    }
    for (const file of userFiles) rows.push(...(await describe(host, 'user', file, displayPath(file, place), dir)));
    for (const file of host.projectFiles) {
      rows.push(...(await describe(host, 'project', path.join(dir, ...file.split('/')), file, dir)));
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
        ? paint(palette, 'red', `error: ${sanitize(r.error)}`)
        : `${r.servers} server${r.servers === 1 ? '' : 's'}${r.guarded ? `, ${r.guarded} guarded` : ''}`;
    const note = r.scope === 'project' && !r.discovered ? paint(palette, 'dim', ' (not read by discovery: pass --config)') : '';
    text += `${r.host.padEnd(width)}  ${r.scope.padEnd(7)}  ${sanitize(r.path)}  ${what}${note}\n`;
  }
  const missing = rows.filter((r) => !r.found);
  if (missing.length > 0 && options.verbose) {
    text += `\nnot found:\n${missing.map((r) => `  ${r.host.padEnd(width)}  ${sanitize(r.path)}\n`).join('')}`;
  } else if (missing.length > 0) {
    text += paint(palette, 'dim', `\n${missing.length} other known location${missing.length === 1 ? '' : 's'} had no config (-v lists them)\n`);
  }
  deps.stdout.write(text);
  return 0;
}

async function describe(host: HostInfo, scope: 'user' | 'project', absolute: string, shown: string, dir: string): Promise<HostConfigRow[]> {
  const row: HostConfigRow = {
    host: host.name,
    scope,
    path: shown,
    found: false,
    servers: null,
    guarded: null,
    discovered: scope === 'project' && DISCOVERED.has(shown),
    error: null,
  };
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
    const sidecar = await readSidecar(absolute, shown);
    const count = (ctx: ReadContext, inScope: (p: string[]) => boolean) => {
      const entries = host.format.entries(text, shown, ctx).filter((e) => inScope(e.path));
      const guarded = sidecar ? recordsInForce(entries, sidecar).length : 0;
      return { servers: entries.filter((e) => !e.unsupported || e.transport !== 'unknown').length, guarded };
    };
    Object.assign(row, count({}, (p) => p[0] !== 'projects'));
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
