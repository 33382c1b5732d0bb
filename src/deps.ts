/**
 * The ports of the program: everything a command needs from the outside world, passed in
 * explicitly so tests can build one around a temp dir with captured output and a fixed clock.
 * This is the one composition root; nothing below `commands/` and `app/` reads `process.*` itself.
 */
import { fstatSync } from 'node:fs';
import { createRequire } from 'node:module';

export interface Output {
  write(text: string): void;
  readonly isTTY: boolean;
  /** The terminal's size, when it is one (live progress fits its lines to it). */
  readonly columns?: number;
  readonly rows?: number;
}

export interface Deps {
  /** Absolute directory that relative paths (config, lock, `-C`) resolve against. */
  cwd: string;
  env: Readonly<Record<string, string | undefined>>;
  stdout: Output;
  stderr: Output;
  readonly stdinIsTTY: boolean;
  now(): Date;
  /** Aborted on Ctrl-C: commands stop spawning, kill what they started and leave files untouched. */
  signal: AbortSignal;
  /**
   * Asks a question on the terminal (stderr) and reads one line of the answer from stdin; `hidden`:
   * the answer is not echoed (VS Code's `"password": true` inputs). Absent: nobody can be asked.
   */
  ask?(question: string, options: { hidden: boolean }): Promise<string>;
}

/** `onStdout`: told before each write to stdout (entry.ts: an error's JSON follows only when nothing else was written). */
export function realDeps(signal: AbortSignal, hooks: { onStdout?: () => void } = {}): Deps {
  // The streams are created on first use (getters): `mcpm run` starts its server before it needs them.
  return {
    cwd: process.cwd(),
    env: process.env,
    stdout: {
      write: (t) => {
        hooks.onStdout?.();
        process.stdout.write(t);
      },
      get isTTY() {
        return Boolean(process.stdout.isTTY);
      },
    },
    stderr: {
      write: (t) => void process.stderr.write(t),
      get isTTY() {
        return Boolean(process.stderr.isTTY);
      },
      get columns() {
        return process.stderr.columns;
      },
      get rows() {
        return process.stderr.rows;
      },
    },
    // fd 0 itself, not process.stdin: creating that stream costs `mcpm run` time a host waits for.
    get stdinIsTTY() {
      // node:tty (and node:net, which it loads: milliseconds) only for a character device, which a
      // terminal is: not for the pipe a host or a script gives, or a file, told apart by fstat.
      if (!isCharacterDevice(0)) return false;
      return (createRequire(import.meta.url)('node:tty') as typeof import('node:tty')).isatty(0);
    },
    now: () => new Date(),
    signal,
    ask: (question, options) => askOnTerminal(question, options, signal),
  };
}

/** Whether `fd` is open on a character device (a terminal, /dev/null); false when it is not open. */
function isCharacterDevice(fd: number): boolean {
  try {
    return fstatSync(fd).isCharacterDevice();
  } catch {
    return false;
  }
}

/** One line from the terminal, echoed or not; Ctrl-C ends the process as it would anywhere else. */
async function askOnTerminal(question: string, options: { hidden: boolean }, signal: AbortSignal): Promise<string> {
  // Required, not imported: the bundles hold no import() (src/code-cache.ts).
  const load = createRequire(import.meta.url);
  const { createInterface } = load('node:readline') as typeof import('node:readline');
  const { Writable } = load('node:stream') as typeof import('node:stream');
  let muted = false;
  // readline echoes what is typed to its output; for a hidden answer that output swallows it.
  const output = new Writable({
    write(chunk: Buffer, _encoding, done) {
      if (!muted) process.stderr.write(chunk);
      done();
    },
  });
  const rl = createInterface({ input: process.stdin, output, terminal: true });
  try {
    return await new Promise<string>((resolve, reject) => {
      rl.once('SIGINT', () => {
        // In raw mode Ctrl-C reaches readline, not the process: hand it on (entry.ts aborts `signal`).
        process.emit('SIGINT');
        reject(signal.reason ?? new Error('interrupted'));
      });
      rl.question(question, resolve);
      muted = options.hidden;
    });
  } finally {
    rl.close();
    if (options.hidden) process.stderr.write('\n');
  }
}
