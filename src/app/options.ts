import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import { McpmError } from '../core/errors.js';
import { contextWords, type ContextOptions } from '../core/hint-context.js';

/** Global options, as commander hands them to every command: -C, --config, --host, --lockfile, --json, … */
export interface GlobalOptions {
  cwd?: string;
  config?: string[];
  /** `--host NAME`: read that host's user-level config instead of discovering project files (docs/hosts.md). */
  host?: string;
  lockfile?: string;
  json?: boolean;
  format?: 'text' | 'json' | 'sarif';
  timeout: number;
  concurrency: number;
  color: boolean;
  quiet?: boolean;
  verbose?: boolean;
  strict?: boolean;
}

/** Live progress is for a person reading text: not with -q, and not with machine output. */
export function showsProgress(options: GlobalOptions): boolean {
  return !options.quiet && !options.json && (options.format === undefined || options.format === 'text');
}

export const DEFAULT_TIMEOUT_MS = 30_000;
export const DEFAULT_CONCURRENCY = 4;

/**
 * `mcpm` with the options that reach the same config and lock (`-C`, `--host`, `--config`,
 * `--lockfile`), for the commands mcpm suggests (`mcpm --host cursor login notes`).
 */
export function reachingCommand(options: ContextOptions): string {
  const context = contextWords(options);
  return context === '' ? 'mcpm' : `mcpm ${context}`;
}

/** `-C DIR`: a directory that does not exist is a usage error (exit 2) that says so, as `git -C` does. */
export function assertDirectory(given: string, base: string): void {
  const dir = resolve(base, given);
  let stats;
  try {
    stats = statSync(dir);
  } catch {
    throw new McpmError('USAGE', `-C ${given}: no such directory`, 'check the path given to -C');
  }
  if (!stats.isDirectory()) throw new McpmError('USAGE', `-C ${given}: not a directory`, 'give -C the project directory');
}
