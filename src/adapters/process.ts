/**
 * Starting and stopping one stdio MCP server: a minimal environment, its own process group,
 * stderr kept in a bounded buffer (never on the terminal), and a teardown that leaves nothing
 * behind: a hostile server may hang or flood, start children that would outlive the scan, read
 * credentials from the environment, or paint the reviewer's terminal through stderr.
 */
import path from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { spawn } from 'node:child_process';
import { McpmError } from '../core/errors.js';
import { findDescendants, signalProcesses, type ProcessRef } from './process-tree.js';
import { readIntoOneBuffer } from './reused-reads.js';

/**
 * The variables a server inherits from mcpm's environment without configuring them: the list the
 * MCP SDK's `getDefaultEnvironment()` uses, so a server sees what a host built on the SDK gives it.
 * Everything else (`GITHUB_TOKEN`, `AWS_*`, `NODE_OPTIONS`, proxies) must be set in the config.
 */
export const INHERITED_ENV_VARS: readonly string[] =
  process.platform === 'win32'
    ? ['APPDATA', 'HOMEDRIVE', 'HOMEPATH', 'LOCALAPPDATA', 'PATH', 'PROCESSOR_ARCHITECTURE', 'SYSTEMDRIVE', 'SYSTEMROOT', 'TEMP', 'USERNAME', 'USERPROFILE', 'PROGRAMFILES']
    : ['HOME', 'LOGNAME', 'PATH', 'SHELL', 'TERM', 'USER'];

/** How much of a server's stderr is kept (the end of it), for error reports. */
export const STDERR_LIMIT_BYTES = 64 * 1024;

/**
 * After stdin is closed, how long a server gets to exit by itself, and again after SIGTERM.
 * The stdio spec asks for "close stdin, wait, SIGTERM, SIGKILL" without numbers; the SDK waits 2 s
 * each. A snapshot has already read everything it needs, servers that honour EOF exit within a few
 * milliseconds, and `verify` closes servers one after another, so half a second each is plenty.
 */
export const CLOSE_GRACE_MS = 500;

/**
 * The child environment: the inherited allowlist taken from `mcpmEnv` (skipping shell-function
 * values, which start with `()`, as the SDK does), then the entry's own, already resolved, variables.
 */
export function buildServerEnv(
  configured: Readonly<Record<string, string>>,
  mcpmEnv: Readonly<Record<string, string | undefined>>,
): Record<string, string> {
  const env: Record<string, string> = Object.create(null) as Record<string, string>;
  for (const name of INHERITED_ENV_VARS) {
    const value = mcpmEnv[name];
    if (value === undefined || value.startsWith('()')) continue;
    env[name] = value;
  }
  for (const [name, value] of Object.entries(configured)) env[name] = value;
  return env;
}

/** The last `limit` bytes a server wrote to stderr, and how many came before them. */
export class StderrTail {
  private chunks: Buffer[] = [];
  private size = 0;
  /** Bytes received but no longer kept. */
  dropped = 0;

  constructor(private readonly limit = STDERR_LIMIT_BYTES) {}

  append(chunk: Buffer): void {
    if (chunk.length >= this.limit) {
      this.dropped += this.size + chunk.length - this.limit;
      this.chunks = [chunk.subarray(chunk.length - this.limit)];
      this.size = this.limit;
      return;
    }
    this.chunks.push(chunk);
    this.size += chunk.length;
    while (this.size > this.limit) {
      const first = this.chunks[0]!;
      const excess = this.size - this.limit;
      if (first.length <= excess) {
        this.chunks.shift();
        this.size -= first.length;
        this.dropped += first.length;
      } else {
        this.chunks[0] = first.subarray(excess);
        this.size -= excess;
        this.dropped += excess;
      }
    }
  }

  /** Kept bytes as text (invalid UTF-8 replaced), unsanitised; '' when the server wrote nothing. */
  text(): string {
    const kept = Buffer.concat(this.chunks).toString('utf8');
    if (this.dropped === 0) return kept;
    return `[${this.dropped} earlier bytes of stderr dropped]\n${kept}`;
  }
}

export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface ServerProcess {
  readonly name: string;
  readonly pid: number;
  readonly stdin: Writable;
  /** Raw bytes as the server wrote them; nothing is decoded here. With `readStdout`, it emits no 'data'. */
  readonly stdout: Readable;
  /**
   * Present when spawned with `reusedReads` and Node allows it: starts reading stdout, each read
   * handed to `onBytes` as a view of one buffer that the next read writes over.
   */
  readonly readStdout?: (onBytes: (bytes: Buffer) => void) => void;
  readonly stderr: StderrTail;
  /** Settles when stderr has ended (read to EOF), so `stderr` holds the server's last words. */
  readonly stderrDone: Promise<void>;
  /**
   * Settles once the direct child has exited; by then its process group and every descendant found
   * while it ran have been sent SIGKILL. Pipes that something else still holds open (a child that
   * left the group before it could be found) are destroyed CLOSE_GRACE_MS later, so nothing waits on them.
   */
  readonly exited: Promise<ExitInfo>;
  readonly exitInfo: ExitInfo | undefined;
  /**
   * Notes the descendants, ends stdin, waits, SIGTERMs the group and every descendant, waits,
   * SIGKILLs them; resolves when the child has exited.
   */
  close(): Promise<ExitInfo>;
  /** SIGKILLs the whole group and every descendant now; resolves when the child has exited. */
  kill(): Promise<ExitInfo>;
}

export interface SpawnOptions {
  name: string;
  command: string;
  args: readonly string[];
  /** Relative to `projectDir`; default `projectDir`. */
  cwd?: string;
  /** The complete child environment (see buildServerEnv); nothing else is inherited. */
  env: Readonly<Record<string, string>>;
  projectDir: string;
  /** Aborting kills the group. */
  signal?: AbortSignal;
  /** Also receives every stderr chunk as it arrives (e.g. `mcpm run` relays it, escaped). */
  onStderr?: (chunk: Buffer) => void;
  /** Offer `readStdout` (adapters/reused-reads.ts): stdout read into one buffer used again. */
  reusedReads?: boolean;
}

/**
 * Process groups still running, with the descendants found in each so far, killed if mcpm itself
 * exits first (a detached child would outlive it).
 */
const liveGroups = new Map<number, Map<number, ProcessRef>>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const [pid, known] of liveGroups) {
      addDescendants(pid, known);
      signalGroup(pid, 'SIGKILL');
      signalProcesses(known.values(), 'SIGKILL');
    }
  });
}

/** Adds the descendants `pid` has now to `known`; those found earlier stay (they may have been re-parented since). */
function addDescendants(pid: number, known: Map<number, ProcessRef>): void {
  for (const ref of findDescendants(pid)) known.set(ref.pid, ref);
}

/** Signals the process group led by `pid`; a group that is already gone is not an error. */
function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    if (process.platform === 'win32') process.kill(pid, signal);
    else process.kill(-pid, signal);
  } catch {
    // ESRCH: every member has exited.
  }
}

function delay(ms: number): { promise: Promise<void>; cancel: () => void } {
  let timer: NodeJS.Timeout | undefined;
  const promise = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, ms);
  });
  return { promise, cancel: () => clearTimeout(timer) };
}

/**
 * Spawns a stdio server without a shell, as the leader of its own process group (`detached`), so
 * `kill(-pid)` reaches wrappers' children too (`npx` → `npm exec` → `sh -c` → `node`). Rejects with
 * SERVER_SPAWN_FAILED naming the server and the command when it cannot start.
 */
export async function spawnServer(options: SpawnOptions): Promise<ServerProcess> {
  const { name, command, args, env, signal } = options;
  signal?.throwIfAborted();
  const cwd = path.resolve(options.projectDir, options.cwd ?? '.');
  // node:child_process rather than execa: a long-lived, detached process group with raw pipes uses
  // none of execa's features, and importing execa costs `mcpm run` 70–200 ms of start-up, which a
  // host pays on every launch (issue 5's spawn-to-first-list target). execa stays for commands
  // that run to completion (npm view).
  let child: ReturnType<typeof spawn> | undefined;
  let started: { ok: true } | { ok: false; reason: string; cause: unknown };
  try {
    child = spawn(command, args, {
      cwd,
      env: { ...env },
      detached: true,
      shell: false,
      stdio: ['pipe', 'pipe', 'pipe'],
      windowsHide: true,
    });
    const spawning = child;
    started = await new Promise((resolve) => {
      spawning.once('spawn', () => resolve({ ok: true }));
      // ENOENT, EACCES, EMFILE: reported as an event; a later error (none is expected once the
      // child runs) must not become an uncaught exception either.
      spawning.on('error', (error: NodeJS.ErrnoException) => {
        if (spawning.pid === undefined) resolve({ ok: false, reason: error.code ?? error.message, cause: error });
      });
    });
  } catch (error) {
    // Other failures to start (a NUL byte in an argument, E2BIG) are thrown at once.
    const code = (error as NodeJS.ErrnoException).code;
    started = { ok: false, reason: typeof code === 'string' ? code : String((error as Error).message ?? error), cause: error };
  }
  if (!started.ok || child?.pid === undefined || !child.stdin || !child.stdout || !child.stderr) {
    const reason = started.ok ? 'no pid' : started.reason;
    throw new McpmError(
      'SERVER_SPAWN_FAILED',
      `server "${name}": cannot start ${JSON.stringify(command)} in ${cwd} (${reason})`,
      started.ok ? undefined : reason === 'ENOENT' ? `check that the command is installed and on PATH (mcpm passes only ${INHERITED_ENV_VARS.join(', ')} and the configured env)` : undefined,
      { cause: started.ok ? undefined : started.cause },
    );
  }

  const pid = child.pid;
  installExitHook();
  const known = new Map<number, ProcessRef>();
  liveGroups.set(pid, known);
  /** Signals the group and every descendant; while the server runs, its tree is read again first. */
  const signalAll = (sig: NodeJS.Signals): void => {
    if (!exitInfo) addDescendants(pid, known);
    signalGroup(pid, sig);
    signalProcesses(known.values(), sig);
  };

  const stderr = new StderrTail();
  child.stderr.on('data', (chunk: Buffer) => {
    stderr.append(chunk);
    options.onStderr?.(chunk);
  });
  const stderrStream = child.stderr;
  // Before any I/O since the spawn ('spawn' comes on the next tick): no byte has been read yet.
  const reads = options.reusedReads ? readIntoOneBuffer(child.stdout) : undefined;
  const stdoutStream = reads?.stream ?? child.stdout;
  const stderrDone = new Promise<void>((resolve) => {
    stderrStream.once('end', resolve);
    stderrStream.once('close', resolve);
  });
  // A server that exits while we write must not crash mcpm with EPIPE; the closed stdout reports it.
  child.stdin.on('error', () => {});
  stdoutStream.on('error', () => {});
  child.stderr.on('error', () => {});

  let exitInfo: ExitInfo | undefined;
  const exited = new Promise<ExitInfo>((resolve) => {
    child.once('exit', (code, sig) => {
      exitInfo = { code, signal: sig };
      // Whatever the server left running goes with it; this also closes stdout when a grandchild
      // was holding the pipe open.
      signalAll('SIGKILL');
      liveGroups.delete(pid);
      // A child that escaped both the group and the scan (started and detached since the last one)
      // may still hold the pipes: after the grace period, stop reading instead of waiting for an
      // EOF that never comes and keeping mcpm alive with them.
      // A reader that paused stdout (mcpm run, while the host is backed up) still gets what the
      // server wrote before it exited: the grace period starts again once it reads on.
      let release: NodeJS.Timeout | undefined;
      const arm = (): void => {
        release = setTimeout(() => {
          if (stdoutStream.isPaused()) {
            stdoutStream.once('resume', arm);
            return;
          }
          stdoutStream.destroy();
          stderrStream.destroy();
        }, CLOSE_GRACE_MS);
        release.unref();
      };
      arm();
      void Promise.all([stderrDone, new Promise((done) => stdoutStream.once('close', done))]).then(() => {
        clearTimeout(release);
        stdoutStream.off('resume', arm);
      });
      resolve(exitInfo);
    });
  });

  const kill = (): Promise<ExitInfo> => {
    if (!exitInfo) signalAll('SIGKILL');
    return exited;
  };

  let closing: Promise<ExitInfo> | undefined;
  const close = (): Promise<ExitInfo> => {
    closing ??= (async () => {
      // Before EOF: a server that exits on it orphans its children, whose parent links are then lost.
      if (!exitInfo) addDescendants(pid, known);
      child.stdin?.end();
      for (const sig of ['SIGTERM', 'SIGKILL'] as const) {
        if (exitInfo) break;
        const wait = delay(CLOSE_GRACE_MS);
        await Promise.race([exited, wait.promise]);
        wait.cancel();
        if (!exitInfo) signalAll(sig);
      }
      return exited;
    })();
    return closing;
  };

  if (signal) {
    const onAbort = (): void => void kill();
    signal.addEventListener('abort', onAbort, { once: true });
    void exited.then(() => signal.removeEventListener('abort', onAbort));
  }

  return {
    name,
    pid,
    stdin: child.stdin,
    stdout: stdoutStream,
    ...(reads === undefined ? {} : { readStdout: reads.start }),
    stderr,
    stderrDone,
    exited,
    get exitInfo() {
      return exitInfo;
    },
    close,
    kill,
  };
}
