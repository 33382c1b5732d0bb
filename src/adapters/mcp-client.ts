// STUB: signatures are final; implementation pending (helper "adapters").
import type { ServerConfig } from '../core/launch.js';
import type { Era, RawListing } from '../core/snapshot.js';

export interface SnapshotOptions {
  /** Spawn (or first request) to last page, hard. On expiry the whole process tree is killed: SERVER_TIMEOUT. */
  timeoutMs: number;
  /** The era recorded in the lock, tried first to skip the probe; the other era is still tried on failure. */
  eraHint?: Era;
  /** mcpm's own environment: `${VAR}` references in the config resolve against it; it is never passed whole to a server. */
  env: Readonly<Record<string, string | undefined>>;
  /** Directory relative `cwd` of a stdio entry resolves against (the project directory). */
  projectDir: string;
  signal?: AbortSignal;
  /** Per JSON-RPC message; default 16 MiB. Exceeding it is SERVER_MESSAGE_TOO_LARGE naming server and limit. */
  maxMessageBytes?: number;
  /** Per list method; default 100. A repeated cursor is SERVER_PROTOCOL. */
  maxPages?: number;
}

/**
 * Connects to one server (stdio or HTTP), captures everything the model or host can see, raw, and
 * closes it (killing the process group). Throws McpmError SERVER_* with the server's captured
 * stderr (bounded, unsanitised) in `detail`.
 */
export async function snapshotServer(_config: ServerConfig, _options: SnapshotOptions): Promise<RawListing> {
  throw new Error('not implemented');
}
