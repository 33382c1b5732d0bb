/** Global options, as commander hands them to every command. */
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
