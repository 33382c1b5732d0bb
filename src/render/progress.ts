/**
 * Live progress while servers are contacted: one line per server (waiting, fetching its package,
 * starting, listing page k, done or failed, with the time since it started), redrawn in place on a
 * terminal and erased when the work ends, so the report that follows stands alone. A first `npx`
 * launch can take a minute; without this, nothing shows that mcpm is alive. Plain cursor movement
 * (up, erase down): Ink would cost a third of a second to import for a few lines.
 *
 * Only where a person watches: stderr is a terminal that understands cursor movement, not in CI,
 * not with -q or machine output (the caller decides those with progressWanted).
 */
import { sanitize } from '../core/sanitize.js';
import type { Output } from '../deps.js';
import { columnsOf } from './diff-text.js';

export type ProgressStep =
  | { step: 'waiting' }
  | { step: 'fetching'; package: string }
  | { step: 'starting' }
  | { step: 'listing'; method: string; page: number }
  | { step: 'done' }
  | { step: 'failed'; code: string };

interface ServerLine {
  name: string;
  state: ProgressStep;
  startedAt?: number;
  endedAt?: number;
}

/** Whether this terminal gets live progress: a terminal, not in CI (a log, even when it claims a TTY), not TERM=dumb. */
export function isLiveTerminal(out: Output, env: Readonly<Record<string, string | undefined>>): boolean {
  if (!out.isTTY || env.TERM === 'dumb') return false;
  const ci = env.CI ?? env.CONTINUOUS_INTEGRATION;
  return ci === undefined || ci === '' || ci === '0' || ci === 'false';
}

export class ProgressView {
  private readonly lines: ServerLine[];
  private readonly byName = new Map<string, ServerLine>();
  /** Lines drawn last time, to move up over them. */
  private drawn = 0;
  private closed = false;

  constructor(
    private readonly out: Output,
    names: readonly string[],
    private readonly now: () => number,
  ) {
    this.lines = names.map((name) => ({ name, state: { step: 'waiting' } }));
    for (const line of this.lines) this.byName.set(line.name, line);
  }

  update(name: string, state: ProgressStep): void {
    const line = this.byName.get(name);
    if (!line || this.closed) return;
    if (line.startedAt === undefined && state.step !== 'waiting') line.startedAt = this.now();
    if (state.step === 'done' || state.step === 'failed') line.endedAt = this.now();
    line.state = state;
    this.redraw();
  }

  /** Draws the lines again (the elapsed times move on). */
  redraw(): void {
    if (this.closed) return;
    const width = Math.max(20, (this.out.columns ?? 80) - 1);
    const text = this.visibleLines().map((l) => fit(l, width));
    this.out.write(`${this.erase()}${text.map((l) => `${l}\n`).join('')}`);
    this.drawn = text.length;
  }

  /** Erases what was drawn; nothing is drawn after this. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.drawn > 0) this.out.write(this.erase());
    this.drawn = 0;
  }

  private erase(): string {
    return this.drawn === 0 ? '' : `\x1b[${this.drawn}A\r\x1b[J`;
  }

  /** One line per server while they fit the terminal; else the unfinished ones and a count of the rest. */
  private visibleLines(): string[] {
    const nameWidth = Math.min(24, Math.max(...this.lines.map((l) => displayName(l.name).length)));
    const render = (l: ServerLine) => `  ${displayName(l.name).padEnd(nameWidth)}  ${describe(l.state)}${elapsed(l, this.now())}`;
    const room = Math.max(3, (this.out.rows ?? 24) - 2);
    if (this.lines.length <= room) return this.lines.map(render);
    const active = this.lines.filter((l) => l.startedAt !== undefined && l.endedAt === undefined);
    const done = this.lines.filter((l) => l.state.step === 'done').length;
    const failed = this.lines.filter((l) => l.state.step === 'failed').length;
    const waiting = this.lines.filter((l) => l.state.step === 'waiting').length;
    return [...active.slice(0, room - 1).map(render), `  … ${done} done, ${failed} failed, ${waiting} waiting`];
  }
}

function displayName(name: string): string {
  return sanitize(name, { identifier: true });
}

function describe(state: ProgressStep): string {
  switch (state.step) {
    case 'waiting':
      return 'waiting';
    case 'fetching':
      // The package name comes from the config: escaped like every config text.
      return `fetching ${sanitize(state.package)}`;
    case 'starting':
      return 'starting';
    case 'listing':
      return `listing ${state.method.replace(/\/list$/, '').replace('resources/templates', 'resource templates')}${state.page > 1 ? `, page ${state.page}` : ''}`;
    case 'done':
      return 'done';
    case 'failed':
      return `failed (${state.code})`;
  }
}

function elapsed(line: ServerLine, now: number): string {
  if (line.startedAt === undefined) return '';
  return `  ${(((line.endedAt ?? now) - line.startedAt) / 1000).toFixed(1)} s`;
}

/** Cut to `width` display columns: a line that wraps would break moving back up over it. */
function fit(line: string, width: number): string {
  const kept: string[] = [];
  let used = 0;
  for (const ch of line) {
    used += columnsOf(ch);
    // Room is kept for the ellipsis: one column.
    if (used > width) return `${kept.slice(0, -1).join('')}…`;
    kept.push(ch);
  }
  return line;
}
