/**
 * One line per server for install, verify and ls, plus the next command to run. Every server-given
 * string (names come from a config that may be hostile too, errors may quote server stderr) goes
 * through `sanitize` here, at the boundary.
 */
import { withContext } from '../core/hint-context.js';
import { oneLine, sanitize, sanitizeLine, type SafeText } from '../core/sanitize.js';
import { nameWord } from '../core/shell-word.js';
import type { LaunchSpec } from '../core/launch/identity.js';
import { shownUrl, userInfoOf, MASKED } from '../core/launch/values.js';
import type { StatusKind } from '../core/status.js';
import { paint, type Palette } from './style.js';

export interface StatusLine {
  name: string;
  status: StatusKind;
  /** What the command did about it: install adds, keeps and prunes entries. */
  action?: 'added' | 'removed' | 'kept' | 'updated';
  /** A short description such as "12 tools, 2 prompts"; escaped when printed. */
  summary?: string;
  /** For errors: the message (may contain server text), captured stderr, and what to do about it. */
  error?: ServerError;
  /** For 'denied': the allow-list's reason (raw; escaped when printed). */
  denial?: string;
  /** Extra lines under the server (drift summaries, findings), already sanitised. */
  notes?: SafeText[];
  /** What to do, when the status's own hint would send the user the wrong way (fixed text). */
  hint?: string;
}

/** Why a server could not be snapshotted, as commands report it (JSON: `servers[].error`). */
export interface ServerError {
  code: string;
  message: string;
  detail?: string;
  hint?: string;
}

/**
 * What to do about a server's error, when the error did not say it more precisely itself: each
 * failure has its own next step (raising --timeout does nothing for a crash or a missing command).
 */
export function serverErrorHint(error: ServerError): string | undefined {
  if (error.hint !== undefined) return error.hint;
  switch (error.code) {
    case 'SERVER_TIMEOUT':
      return '"--timeout MS" raises the limit';
    case 'SERVER_SPAWN_FAILED':
      return 'check the command in the config: is it installed, and on PATH?';
    case 'SERVER_EXITED':
      return error.detail
        ? 'the stderr it wrote (shown with the error) says why it stopped'
        : 'it wrote nothing on stderr: run its command by hand to see why it stops';
    case 'SERVER_PROTOCOL':
      return 'the server does not follow the MCP specification: report it to its authors';
    case 'CONFIG_INVALID':
      return 'fix the entry in the config file';
    default:
      return undefined;
  }
}

const LABEL: Record<StatusKind, string> = {
  ok: 'ok',
  drifted: 'DRIFTED',
  new: 'new',
  stale: 'stale',
  'config-changed': 'CHANGED',
  unreviewed: 'UNREVIEWED',
  error: 'ERROR',
  denied: 'DENIED',
};

/**
 * The word for a server's state. `ls` starts nothing, so a server whose config and lock agree is
 * `locked` there, not `ok`: only install, verify and diff have seen what it serves now. (`ls
 * --json` keeps the contract's `ok`.)
 */
export function statusLabel(line: StatusLine, command?: 'install' | 'verify' | 'ls' | 'diff'): string {
  if (line.action === 'added') return 'locked';
  if (line.action === 'removed') return 'pruned';
  if (line.action === 'updated') return 'recorded';
  if (command === 'ls' && line.status === 'ok') return 'locked';
  return LABEL[line.status];
}

/**
 * The hint for a new or changed server whose configured URL holds a user name or password: mcpm
 * connects with none, so "mcpm install NAME" or "mcpm approve NAME", the statuses' own hints, would
 * only refuse it. Undefined for any other launch. (A URL given whole by a variable is known only
 * when it is resolved: install, run and login refuse it then.)
 */
export function credentialsInUrlHint(name: string, status: StatusKind, launch: LaunchSpec | undefined): string | undefined {
  if ((status !== 'new' && status !== 'config-changed') || launch === undefined || launch.transport === 'stdio') return undefined;
  if (userInfoOf(launch.url) === undefined && shownUrl(launch.url) !== MASKED) return undefined;
  const next = status === 'new' ? 'install' : 'approve';
  return `its URL may hold a user name or password, which mcpm does not connect with: send the credential as a header in the config, then run "mcpm ${next} ${nameWord(name)}"`;
}

export function hintFor(line: StatusLine, command: 'install' | 'verify' | 'ls' | 'diff'): string | undefined {
  if (line.hint !== undefined) return line.hint;
  const name = nameWord(line.name);
  switch (line.status) {
    case 'drifted':
      return `run "mcpm diff ${name}" to see what changed, then "mcpm approve ${name}"`;
    case 'config-changed':
      if (line.action === 'updated') return undefined;
      return `the launch definition in the config differs from the lock; review it with "mcpm approve ${name}"`;
    case 'unreviewed':
      return 'not started: the trusted base does not have this lock entry as it is; review it in the diff of the lock';
    case 'new':
      return line.action === 'added' ? undefined : `run "mcpm install ${name}" to lock it`;
    case 'stale':
      return line.action === 'removed' ? undefined : `run "mcpm install" to prune it from the lock`;
    case 'denied':
      return 'the organisation\'s allow-list refuses this launch; ask its owners to allow it, or remove the server';
    case 'error':
      return command === 'ls' || !line.error ? undefined : serverErrorHint(line.error);
    default:
      return undefined;
  }
}

/** `context`: the options that chose the project (core/hint-context.ts), repeated in every hint. */
export function renderStatusLines(
  lines: readonly StatusLine[],
  command: 'install' | 'verify' | 'ls' | 'diff',
  palette: Palette,
  context = '',
): string {
  const width = Math.max(0, ...lines.map((l) => statusLabel(l, command).length));
  let out = '';
  for (const line of lines) {
    const label = statusLabel(line, command).padEnd(width);
    const colour = line.status === 'ok' || line.action ? 'green' : line.status === 'new' || line.status === 'stale' ? 'yellow' : 'red';
    out += `${paint(palette, colour, label)}  ${sanitize(line.name, { identifier: true })}`;
    // Summaries can quote server text (ls shows serverInfo's name and version).
    // One line each: a server name, a path or a server's words in them may hold a newline.
    if (line.summary) out += `  ${paint(palette, 'dim', sanitizeLine(line.summary))}`;
    out += '\n';
    if (line.denial) out += `    ${sanitizeLine(line.denial)}\n`;
    if (line.error) {
      out += `    ${sanitizeLine(line.error.message)}\n`;
      if (line.error.detail) {
        out += `    server stderr (last lines, escaped):\n`;
        for (const l of lastLines(line.error.detail, 12)) out += `    │ ${sanitize(l)}\n`;
      }
    }
    for (const note of line.notes ?? []) out += `    ${oneLine(note)}\n`;
    const hint = hintFor(line, command);
    if (hint) out += `    ${paint(palette, 'dim', `hint: ${sanitizeLine(withContext(hint, context))}`)}\n`;
  }
  return out;
}

function lastLines(text: string, count: number): string[] {
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  return lines.slice(-count);
}

