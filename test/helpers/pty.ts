// mcpm in a real pseudo-terminal (80×24, NO_COLOR), for end-to-end tests of the interactive screens.
import pty from '@lydell/node-pty';
import { stripVTControlCharacters } from 'node:util';
import { MCPM_BIN } from './test-host.js';

export interface PtyOptions {
  /** Working directory; the test runner's by default. */
  cwd?: string;
  /** Added to (and overriding) the test runner's environment. */
  env?: Record<string, string>;
  /** The process is killed after this long, so a hang fails the test instead of the suite. */
  killAfterMs?: number;
  /** How long waitFor and waitPast wait before failing. */
  waitMs?: number;
}

export interface Pty {
  /** Everything written so far, escape sequences removed. */
  text(): string;
  /** Everything written so far, as written. */
  raw(): string;
  write(data: string): void;
  /** Waits until `pattern` appears at or after index `after` of text(); resolves with where it starts. */
  waitFor(pattern: string | RegExp, after?: number): Promise<number>;
  /** Like waitFor, but resolves with the index just past the match. */
  waitPast(pattern: string | RegExp, after?: number): Promise<number>;
  exited: Promise<number>;
}

export function spawnPty(args: string[], options: PtyOptions = {}): Pty {
  const child = pty.spawn(process.execPath, [MCPM_BIN, ...args], {
    name: 'xterm-256color',
    cols: 80,
    rows: 24,
    cwd: options.cwd ?? process.cwd(),
    // CI=true: a terminal still gets the interactive screen (Ink alone would draw nothing until exit).
    env: { ...process.env, NO_COLOR: '1', CI: 'true', ...options.env } as Record<string, string>,
  });
  let raw = '';
  child.onData((d) => {
    raw += d;
  });
  const exited = new Promise<number>((resolve) => child.onExit(({ exitCode }) => resolve(exitCode)));
  const timer = setTimeout(() => child.kill('SIGKILL'), options.killAfterMs ?? 25_000);
  void exited.then(() => clearTimeout(timer));
  const text = () => stripVTControlCharacters(raw);
  const find = (pattern: string | RegExp, after: number): { start: number; end: number } | undefined => {
    const rest = text().slice(after);
    if (typeof pattern === 'string') {
      const index = rest.indexOf(pattern);
      return index < 0 ? undefined : { start: after + index, end: after + index + pattern.length };
    }
    const match = new RegExp(pattern.source, pattern.flags.replace('g', '')).exec(rest);
    return match === null ? undefined : { start: after + match.index, end: after + match.index + match[0].length };
  };
  const wait = async (pattern: string | RegExp, after: number) => {
    const deadline = Date.now() + (options.waitMs ?? 20_000);
    for (;;) {
      const found = find(pattern, after);
      if (found) return found;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${String(pattern)}; screen so far:\n${text()}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  };
  return {
    text,
    raw: () => raw,
    write: (d) => child.write(d),
    waitFor: async (pattern, after = 0) => (await wait(pattern, after)).start,
    waitPast: async (pattern, after = 0) => (await wait(pattern, after)).end,
    exited,
  };
}
