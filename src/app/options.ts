import { shellWord } from '../core/shell-word.js';

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

export const DEFAULT_TIMEOUT_MS = 30_000;
export const DEFAULT_CONCURRENCY = 4;

/**
 * `mcpm` with the options that reach the same config (`-C`, `--host`, `--config`), for the
 * commands mcpm suggests (`mcpm --host cursor login notes`).
 */
export function reachingCommand(options: Pick<GlobalOptions, 'cwd' | 'host' | 'config'>): string {
  const parts = ['mcpm'];
  if (options.cwd !== undefined) parts.push('-C', shellWord(options.cwd));
  if (options.host !== undefined) parts.push('--host', shellWord(options.host));
  for (const file of options.config ?? []) parts.push('--config', shellWord(file));
  return parts.join(' ');
}
