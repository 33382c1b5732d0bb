/**
 * Fetching a server's package before the server is started (core/package-spec.ts packageFetchOf
 * says how): the download gets its own deadline, and the server's --timeout starts once the
 * package is in the runner's cache. The fetch runs like the server would: same environment, same
 * directory, own process group, stderr kept for the report, nothing on the terminal.
 */
import { McpmError } from '../core/errors.js';
import type { PackageFetch } from '../core/package-spec.js';
import { spawnServer } from './process.js';

/**
 * A first download of a large package can take minutes on a slow line; npm gives one request 5
 * minutes (its fetch-timeout). `--timeout` applies when it is longer.
 */
export const FETCH_TIMEOUT_MS = 300_000;

export interface FetchOptions {
  server: string;
  cwd?: string;
  env: Readonly<Record<string, string>>;
  projectDir: string;
  timeoutMs: number;
  signal?: AbortSignal;
}

/** Runs the fetch; resolves with how long it took (ms). SERVER_TIMEOUT or SERVER_SPAWN_FAILED, with npm's stderr in `detail`. */
export async function fetchPackage(packageFetch: PackageFetch, options: FetchOptions, now: () => number = Date.now): Promise<number> {
  const started = now();
  const proc = await spawnServer({
    name: options.server,
    command: packageFetch.command,
    args: packageFetch.args,
    ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
    env: options.env,
    projectDir: options.projectDir,
    ...(options.signal ? { signal: options.signal } : {}),
  });
  proc.stdin.end();
  proc.stdout.resume();
  const limit = Math.max(options.timeoutMs, FETCH_TIMEOUT_MS);
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), limit)));
  const result = await Promise.race([proc.exited, timedOut]);
  clearTimeout(timer);
  if (result === 'timeout') await proc.kill();
  await proc.stderrDone;
  options.signal?.throwIfAborted();
  const server = `server "${options.server}"`;
  const detail = proc.stderr.text() || undefined;
  if (result === 'timeout') {
    throw new McpmError(
      'SERVER_TIMEOUT',
      `${server}: fetching ${packageFetch.package} did not finish within ${Math.round(limit / 1000)} s; the server was not started`,
      `the time went to downloading the package, not to the server: check the network and the registry, or run the server's command once by hand to fill ${packageFetch.command}'s cache`,
      detail === undefined ? undefined : { detail },
    );
  }
  if (result.code !== 0) {
    throw new McpmError(
      'SERVER_SPAWN_FAILED',
      `${server}: ${packageFetch.command} could not fetch ${packageFetch.package} (${result.signal ?? `exit ${result.code}`}); the server was not started`,
      detail === undefined
        ? 'check the package name and version, the network and the registry'
        : `${packageFetch.command}'s output (shown with the error) says why: check the package name and version, the network and the registry`,
      detail === undefined ? undefined : { detail },
    );
  }
  return now() - started;
}
