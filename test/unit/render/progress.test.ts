import { stripVTControlCharacters } from 'node:util';
import { describe, expect, it } from 'vitest';
import { isLiveTerminal, ProgressView } from '../../../src/render/progress.js';

/** A terminal that keeps what was written, and a clock the test moves. */
function terminal(size: { columns?: number; rows?: number } = {}) {
  const writes: string[] = [];
  let now = 1_000;
  const out = { write: (t: string) => void writes.push(t), isTTY: true, ...size };
  return { out, writes, clock: () => now, tick: (ms: number) => (now += ms), last: () => stripVTControlCharacters(writes.at(-1) ?? '').replace(/^\r/, '') };
}

describe('ProgressView', () => {
  it('draws a line per server with its step and time, and redraws over the lines it drew', () => {
    const t = terminal();
    const view = new ProgressView(t.out, ['notes', 'memory'], t.clock);
    view.redraw();
    expect(t.writes[0]).toBe('  notes   waiting\n  memory  waiting\n');
    view.update('notes', { step: 'fetching', package: '@acme/notes@1.2.0' });
    t.tick(1_500);
    view.update('memory', { step: 'listing', method: 'tools/list', page: 2 });
    expect(t.writes.at(-1)!.startsWith('\x1b[2A\r\x1b[J')).toBe(true);
    expect(t.last()).toBe('  notes   fetching @acme/notes@1.2.0  1.5 s\n  memory  listing tools, page 2  0.0 s\n');
    view.update('memory', { step: 'listing', method: 'resources/templates/list', page: 1 });
    expect(t.last()).toContain('memory  listing resource templates  0.0 s');
    t.tick(500);
    view.update('notes', { step: 'done' });
    view.update('memory', { step: 'failed', code: 'SERVER_TIMEOUT' });
    t.tick(9_000);
    view.redraw();
    // Finished servers keep the time they took.
    expect(t.last()).toBe('  notes   done  2.0 s\n  memory  failed (SERVER_TIMEOUT)  0.5 s\n');
    view.close();
    expect(t.writes.at(-1)).toBe('\x1b[2A\r\x1b[J');
    const count = t.writes.length;
    view.update('notes', { step: 'done' });
    view.redraw();
    expect(t.writes.length).toBe(count);
  });

  it('escapes server names and package names, and cuts lines to the terminal width', () => {
    const t = terminal({ columns: 30 });
    const view = new ProgressView(t.out, ['evil\x1b[2Jname'], t.clock);
    view.update('evil\x1b[2Jname', { step: 'fetching', package: 'pkg\u202e@1.0.0-with-a-very-long-tail' });
    const line = t.last().split('\n')[0]!;
    expect(line).not.toContain('\x1b');
    expect(line).toContain('\\u{1B}');
    expect([...line].length).toBeLessThanOrEqual(29);
    expect(line.endsWith('…')).toBe(true);
  });

  it('more servers than the terminal has rows: the running ones and a count of the rest', () => {
    const t = terminal({ rows: 5 });
    const names = Array.from({ length: 10 }, (_, i) => `s${i}`);
    const view = new ProgressView(t.out, names, t.clock);
    view.update('s0', { step: 'done' });
    view.update('s1', { step: 'failed', code: 'SERVER_EXITED' });
    view.update('s2', { step: 'starting' });
    view.update('s3', { step: 'starting' });
    expect(t.last()).toBe('  s2  starting  0.0 s\n  s3  starting  0.0 s\n  … 1 done, 1 failed, 6 waiting\n');
  });
});

describe('isLiveTerminal', () => {
  const tty = { write: () => {}, isTTY: true };
  it.each([
    [{}, true],
    [{ CI: 'true' }, false],
    [{ CI: '1' }, false],
    [{ CONTINUOUS_INTEGRATION: 'true' }, false],
    [{ CI: 'false' }, true],
    [{ CI: '0' }, true],
    [{ TERM: 'dumb' }, false],
  ])('%o → %s', (env, live) => {
    expect(isLiveTerminal(tty, env)).toBe(live);
  });
  it('never on a pipe', () => expect(isLiveTerminal({ write: () => {}, isTTY: false }, {})).toBe(false));
});
