/**
 * The one error class for problems the user can fix, with a closed set of codes and one table from
 * code to exit status (the statuses are public: scripts and hooks act on them). Codes are listed in the README and are never renamed or
 * reused: scripts match on them. Drift is not an error (see status.ts); bugs are plain `Error`s.
 */
export type ErrorCode =
  | 'USAGE'
  | 'NO_TTY'
  | 'CONFIG_NOT_FOUND'
  | 'CONFIG_INVALID'
  | 'CONFIG_CONFLICT'
  | 'CONFIG_VARIABLE_UNRESOLVED'
  | 'LOCKFILE_CORRUPT'
  | 'LOCKFILE_CONFLICT_MARKERS'
  | 'LOCKFILE_TAMPERED'
  | 'LOCKFILE_VERSION'
  | 'LOCKFILE_BUSY'
  | 'LOCKFILE_MISSING'
  | 'LOCKFILE_TOO_LARGE'
  | 'SERVER_SPAWN_FAILED'
  | 'SERVER_TIMEOUT'
  | 'SERVER_PROTOCOL'
  | 'SERVER_MESSAGE_TOO_LARGE'
  | 'SERVER_EXITED'
  | 'SERVER_AUTH_REQUIRED'
  | 'TOKEN_STORE_FAILED'
  | 'SERVER_SECRET_REFLECTED'
  | 'GUARD_CONFIG_TRACKED'
  | 'SIGNING_FAILED'
  | 'SIGNATURE_MISSING'
  | 'SIGNATURE_UNTRUSTED'
  | 'SIGNATURE_STALE'
  | 'ALLOWLIST_INVALID'
  | 'ALLOWLIST_UNAVAILABLE'
  | 'ACCEPT_RULE_REFUSED'
  | 'BASE_NOT_AVAILABLE';

export type ExitStatus = 0 | 1 | 2 | 3 | 70 | 130;

const EXIT_STATUS = {
  USAGE: 2,
  NO_TTY: 2,
  CONFIG_NOT_FOUND: 2,
  CONFIG_INVALID: 2,
  CONFIG_CONFLICT: 2,
  CONFIG_VARIABLE_UNRESOLVED: 2,
  LOCKFILE_CORRUPT: 2,
  LOCKFILE_CONFLICT_MARKERS: 2,
  LOCKFILE_TAMPERED: 2,
  LOCKFILE_VERSION: 2,
  LOCKFILE_BUSY: 2,
  LOCKFILE_MISSING: 2,
  LOCKFILE_TOO_LARGE: 2,
  SERVER_SPAWN_FAILED: 3,
  SERVER_TIMEOUT: 3,
  SERVER_PROTOCOL: 3,
  SERVER_MESSAGE_TOO_LARGE: 3,
  SERVER_EXITED: 3,
  SERVER_AUTH_REQUIRED: 3,
  TOKEN_STORE_FAILED: 2,
  SERVER_SECRET_REFLECTED: 3,
  GUARD_CONFIG_TRACKED: 2,
  SIGNING_FAILED: 2,
  SIGNATURE_MISSING: 2,
  SIGNATURE_UNTRUSTED: 2,
  SIGNATURE_STALE: 2,
  ALLOWLIST_INVALID: 2,
  ALLOWLIST_UNAVAILABLE: 2,
  ACCEPT_RULE_REFUSED: 2,
  BASE_NOT_AVAILABLE: 2,
} as const satisfies Record<ErrorCode, 2 | 3>;

export class McpmError extends Error {
  override readonly name = 'McpmError';
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly hint?: string,
    options?: { cause?: unknown; detail?: string },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.detail = options?.detail;
  }
  /** Extra text to show under the message, e.g. a server's captured stderr. Not yet sanitised. */
  readonly detail: string | undefined;
  get exitStatus(): 2 | 3 {
    return EXIT_STATUS[this.code];
  }
}

export function isMcpmError(error: unknown): error is McpmError {
  return error instanceof McpmError;
}
