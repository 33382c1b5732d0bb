/**
 * The ports of the program: everything a command needs from the outside world, passed in
 * explicitly so tests can build one around a temp dir with captured output and a fixed clock.
 * This is the one composition root; nothing below `commands/` and `app/` reads `process.*` itself.
 */
import { isatty } from 'node:tty';

export interface Output {
  write(text: string): void;
  readonly isTTY: boolean;
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
}

export function realDeps(signal: AbortSignal): Deps {
  // The streams are created on first use (getters): `mcpm run` starts its server before it needs them.
  return {
    cwd: process.cwd(),
    env: process.env,
    stdout: {
      write: (t) => void process.stdout.write(t),
      get isTTY() {
        return Boolean(process.stdout.isTTY);
      },
    },
    stderr: {
      write: (t) => void process.stderr.write(t),
      get isTTY() {
        return Boolean(process.stderr.isTTY);
      },
    },
    // fd 0 itself, not process.stdin: creating that stream costs `mcpm run` time a host waits for.
    get stdinIsTTY() {
      return isatty(0);
    },
    now: () => new Date(),
    signal,
  };
}
