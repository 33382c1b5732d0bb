/**
 * `mcpm run NAME`: what a host launches in place of the server. It starts the server only when the
 * configured launch is the locked one, then relays JSON-RPC between the host (mcpm's stdin/stdout)
 * and the server, holding every list, `initialize` result and call to the lock (src/guard/).
 *
 * stdout carries nothing but forwarded or synthesised JSON-RPC: every message of mcpm's own goes
 * to stderr, which hosts keep as the server's log (Claude Desktop: mcp-server-NAME.log).
 */
import { resolve as resolvePath } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { constants as osConstants } from 'node:os';
import { buildServerEnv, spawnServer, type ExitInfo, type ServerProcess, type SpawnOptions } from '../adapters/process.js';
import { isMcpmError, McpmError, type ExitStatus } from '../core/errors.js';
import { isJsonObject, jsonQuote } from '../core/json-strict.js';
import { resolveServerConfig } from '../core/launch/expand.js';
import { launchDifference } from '../core/launch/identity.js';
import type { LockEntry, LockHead } from '../core/lockfile.js';
import { sanitize, type SafeText } from '../core/sanitize.js';
import { shellWord } from '../core/shell-word.js';
import type { Deps } from '../deps.js';
import type { AuditLog } from '../guard/audit-log.js';
import type { HttpUpstream } from '../guard/http-upstream.js';
import type { ToolCallRecord } from '../guard/relay.js';
import { POLICIES, type Policy } from '../guard/policy.js';
import type { GlobalOptions } from '../app/options.js';
import { checkedLockFromHead, loadLockHead, loadProject, type Project } from '../app/project.js';

export interface RunOptions extends GlobalOptions {
  policy?: Policy;
  /** Default: env MCPM_AUDIT_LOG. Relative to the project directory. */
  auditLog?: string;
  /** Extra key patterns to redact in the audit log, on top of the defaults. */
  redact?: string[];
}

/**
 * The host's side of the session: process.stdin/stdout unless a test passes streams. Created when
 * first needed, after the server was started: they take milliseconds a host would wait for.
 */
export interface RunIo {
  stdin: Readable & { isTTY?: boolean };
  stdout: Writable;
}

/** How long a refused run waits for the host's first request, to answer it with the reason. */
const REFUSAL_ANSWER_WAIT_MS = 1000;

export async function run(name: string, options: RunOptions, deps: Deps, hostIo?: RunIo): Promise<ExitStatus> {
  const io = () => (hostIo ??= { stdin: process.stdin, stdout: process.stdout });
  const policy = options.policy ?? 'block';
  if (!POLICIES.includes(policy)) throw new McpmError('USAGE', `--policy must be one of ${POLICIES.join(', ')}`);

  // Load and decide, before anything is started. Any refusal is also told to the host, as the
  // answer to its first request, so the host shows the reason instead of "server disconnected".
  let session: Session;
  try {
    const prepared = await prepare(name, options, deps);
    if ('refusal' in prepared) {
      deps.stderr.write(`mcpm: ${sanitize(prepared.refusal.message)}\nhint: ${sanitize(prepared.refusal.hint)}\n`);
      await answerFirstRequest(io(), `mcpm: ${prepared.refusal.message} (${prepared.refusal.hint})`);
      return 1;
    }
    const auditFile = options.auditLog ?? deps.env['MCPM_AUDIT_LOG'];
    let audit: Session['audit'];
    if (auditFile) {
      const { AuditLog, auditLine, redactPatterns } = await import('../guard/audit-log.js');
      const patterns = redactPatterns(options.redact ?? []);
      const log = await AuditLog.open(resolvePath(prepared.project.dir, auditFile), (m) => deps.stderr.write(`mcpm: ${sanitize(m)}\n`));
      audit = { log, record: (record) => log.append(auditLine(name, record, patterns)) };
    }
    let proc: ServerProcess | undefined;
    const serverStderr = new HeldChunks();
    if (prepared.launch.transport === 'stdio') {
      const { env, ...spawn } = prepared.launch.spawn;
      try {
        proc = await spawnServer({ ...spawn, env: buildServerEnv(env, deps.env), signal: deps.signal, onStderr: (chunk) => serverStderr.push(chunk) });
      } catch (error) {
        await audit?.log.close();
        throw error;
      }
    }
    // The server's locked definitions are checked against their integrities while it starts;
    // nothing it sends is relayed before. A lock that fails here ends the server unheard. (The
    // other entries are not this run's business: verify --offline checks them.)
    let entry: LockEntry;
    try {
      entry = checkedLockFromHead(prepared.lockHead, prepared.project.lockLabel, name).servers.get(name)!;
    } catch (error) {
      await proc?.close();
      await audit?.log.close();
      throw error;
    }
    const review = reviewCommand(options, prepared.project);
    session = { name, project: prepared.project, entry, policy, deps, io: io(), audit, launch: prepared.launch, proc, serverStderr, reviewCommand: review };
  } catch (error) {
    if (isMcpmError(error)) await answerFirstRequest(io(), `mcpm: ${error.message}${error.hint ? ` (${error.hint})` : ''}`);
    throw error;
  }
  return relaySession(session);
}

type Launch =
  /** `spawn.env` holds only the configured variables, resolved; the inherited allowlist is added at spawn. */
  | { transport: 'stdio'; spawn: Omit<SpawnOptions, 'signal'> }
  | { transport: 'http'; url: URL; headers: Record<string, string> };

interface Ready {
  project: Project;
  /** Holds the entry of the server, whose definitions are read after the spawn. */
  lockHead: LockHead;
  launch: Launch;
}
/** A refusal's text is raw (it quotes config text): escaped where it is written, once. */
type Prepared = { refusal: { message: string; hint: string } } | Ready;

async function prepare(name: string, options: RunOptions, deps: Deps): Promise<Prepared> {
  const project = await loadProject(options, deps);
  const lockHead = await loadLockHead(project);
  const quoted = jsonQuote(name);
  const config = project.servers.get(name);
  if (!config) {
    throw new McpmError('USAGE', `no server named ${quoted} in ${project.configFiles.join(', ') || 'the config'}`, 'run "mcpm ls" to see the configured servers');
  }
  const locked = lockHead?.launches.get(name);
  if (!lockHead || !locked) {
    const why = lockHead === null ? `${project.lockLabel} does not exist` : `it is not in ${project.lockLabel}`;
    return {
      refusal: {
        message: `server ${quoted} was not started: ${why}, so nothing it serves has been reviewed`,
        hint: `run "${reviewCommand(options, project)} install ${shellWord(name)}" to lock it, then review ${project.lockLabel}`,
      },
    };
  }
  const difference = launchDifference(config.launch, locked);
  if (difference !== undefined) {
    return {
      refusal: {
        message: `server ${quoted} was not started: ${difference} in ${config.source} differ from ${project.lockLabel}`,
        hint: `review the change with "${reviewCommand(options, project)} diff ${shellWord(name)}", then run "${reviewCommand(options, project)} approve ${shellWord(name)}"`,
      },
    };
  }
  if (config.launch.transport === 'sse') {
    throw new McpmError(
      'USAGE',
      `server ${quoted} uses the legacy HTTP+SSE transport, which mcpm run does not guard`,
      'use the Streamable HTTP endpoint of the server ("type": "http"), or leave it out of the guard and check it with "mcpm verify"',
    );
  }
  // A guarded entry (mcpm guard): the host expanded the entry's env and passed it to us; take it as given.
  // Loaded only for a guarded entry or a remote server: every module on this path is start-up a host waits for.
  const { config: toResolve, fromHost } = project.guarded?.has(name)
    ? (await import('../adapters/hosts/sidecar.js')).splitHostEnv(config, deps.env)
    : { config, fromHost: {} };
  const resolved = resolveServerConfig(toResolve, deps.env, { projectDir: project.dir });
  if (resolved.transport !== 'stdio') {
    let url: URL;
    try {
      url = new URL(resolved.url);
    } catch {
      throw new McpmError('CONFIG_INVALID', `${config.source}: server ${quoted}: "url" is not a valid URL`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new McpmError('CONFIG_INVALID', `${config.source}: server ${quoted}: "url" must be http: or https:`);
    }
    return { project, lockHead, launch: { transport: 'http', url, headers: resolved.headers } };
  }
  return {
    project,
    lockHead,
    launch: {
      transport: 'stdio',
      spawn: {
        name,
        command: resolved.command,
        args: resolved.args,
        ...(resolved.cwd === undefined ? {} : { cwd: resolved.cwd }),
        env: { ...resolved.env, ...fromHost },
        projectDir: project.dir,
      },
    },
  };
}

interface Session {
  name: string;
  project: Project;
  entry: LockEntry;
  policy: Policy;
  deps: Deps;
  io: RunIo;
  /** The audit log and how one tool call becomes its line (redaction included); absent when not auditing. */
  audit: { log: AuditLog; record(record: ToolCallRecord): void } | undefined;
  launch: Launch;
  /** The spawned server, for a stdio launch. */
  proc: ServerProcess | undefined;
  /** The server's stderr from its first byte, held until the session relays it. */
  serverStderr: HeldChunks;
  /** `mcpm …` with the options that reach this project from anywhere, for hints. */
  reviewCommand: string;
}

/** What the session needs of the server, local or remote. */
interface ServerSide {
  /** A host line, as received. */
  send(bytes: Buffer): void;
  /** Ends the server: stdin EOF, SIGTERM, SIGKILL of its group; or DELETE of the HTTP session. */
  close(): void;
  /** Stops and resumes reading the server while the host's stdout is backed up. */
  pause(): void;
  resume(): void;
  /** Settles once no more server lines will come: the process's exit, or null for a remote server. */
  finished: Promise<ExitInfo | null>;
  /** After the session: stop feeding stderr. */
  dispose(): void;
}

interface SideHandlers {
  line(bytes: Buffer): void;
  tooLong(): void;
  notice(text: SafeText): void;
  pauseHost(): void;
  resumeHost(): void;
}

async function relaySession(session: Session): Promise<ExitStatus> {
  const { name, project, entry, policy, deps, io, audit } = session;
  // The guard's own modules load here, after the server was started: their compile time overlaps
  // with the server's start-up instead of delaying it (spawn → first list is what a host waits for).
  const guard = await loadGuard();
  const { GuardRelay, LineFramer, MAX_SERVER_LINE_BYTES, NoticeLimiter, WireCheck } = guard;
  const now = () => deps.now().getTime();
  const notices = new NoticeLimiter((line) => deps.stderr.write(line), now);
  const where = { server: name, lockLabel: project.lockLabel, reviewCommand: session.reviewCommand };
  const wire = new WireCheck({ ...where, entry, policy });

  let hostGone = false;
  let ended: { reason: SafeText; status: 1 | 3 } | undefined;
  let signalled: NodeJS.Signals | undefined;
  // The relay and the server side refer to each other; the side is created right after the relay.
  const holder: { side?: ServerSide } = {};
  let hostPaused = false;
  let hostBackedUp = false;

  const relay = new GuardRelay(wire, where, {
    toHost: (bytes) => {
      // Backpressure: a host that does not read pauses the server instead of buffering without bound.
      if (!io.stdout.writable) return;
      if (!io.stdout.write(bytes) && !hostBackedUp) {
        hostBackedUp = true;
        holder.side?.pause();
        io.stdout.once('drain', () => {
          hostBackedUp = false;
          holder.side?.resume();
        });
      }
    },
    toServer: (bytes) => holder.side?.send(bytes),
    notice: (text) => notices.notice(text),
    toolCall: (record) => audit?.record(record),
    end: (reason, status) => {
      ended = { reason, status };
      stopReadingHost();
      holder.side?.close();
    },
    now,
    schedule: (callback, ms) => {
      const timer = setTimeout(callback, ms);
      timer.unref();
      return () => clearTimeout(timer);
    },
  });

  const handlers: SideHandlers = {
    line: (bytes) => relay.serverLine(bytes),
    tooLong: () => relay.serverLineTooLong(),
    notice: (text) => notices.notice(text),
    pauseHost: () => {
      if (hostPaused) return;
      hostPaused = true;
      io.stdin.pause();
    },
    resumeHost: () => {
      if (!hostPaused) return;
      hostPaused = false;
      if (!hostGone && !ended) io.stdin.resume();
    },
  };
  const side: ServerSide =
    session.launch.transport === 'stdio'
      ? stdioSide(session.proc!, session.serverStderr, handlers, deps, guard)
      : httpSide(
          new (await import('../guard/http-upstream.js')).HttpUpstream({
            server: name,
            url: session.launch.url,
            headers: session.launch.headers,
            maxMessageBytes: MAX_SERVER_LINE_BYTES,
            onLine: handlers.line,
            onTooLong: handlers.tooLong,
            notice: handlers.notice,
          }),
          handlers,
        );
  holder.side = side;

  const hostFramer = new LineFramer((line) => relay.hostLine(line));
  const onHostData = (chunk: Buffer) => hostFramer.push(chunk);
  const onHostEnd = () => {
    if (hostGone) return;
    hostGone = true;
    hostFramer.flush();
    // The host is done (stdio shutdown, §1.7): end the server's stdin, then SIGTERM, then SIGKILL
    // its whole process group (D5), as process.ts's close() does; or end the HTTP session.
    side.close();
  };
  function stopReadingHost() {
    io.stdin.off('data', onHostData);
    io.stdin.pause();
  }
  io.stdin.on('data', onHostData);
  io.stdin.once('end', onHostEnd);
  io.stdin.once('close', onHostEnd);
  io.stdin.on('error', onHostEnd);
  io.stdout.on('error', () => {
    // EPIPE: the host closed our stdout; nobody is listening any more.
    stopReadingHost();
    onHostEnd();
  });

  const onSignal = (signal: NodeJS.Signals) => {
    signalled ??= signal;
    stopReadingHost();
    side.close();
  };
  const onTerm = () => onSignal('SIGTERM');
  const onHup = () => onSignal('SIGHUP');
  const onAbort = () => side.close();
  process.once('SIGTERM', onTerm);
  process.once('SIGHUP', onHup);
  deps.signal.addEventListener('abort', onAbort, { once: true });

  const exitInfo = await side.finished;

  process.off('SIGTERM', onTerm);
  process.off('SIGHUP', onHup);
  deps.signal.removeEventListener('abort', onAbort);
  side.dispose();
  if (!relay.isEnded && !hostGone) {
    // The server went away on its own: the host still waits for answers it will never get.
    relay.failPending(sanitize(`mcpm: server ${jsonQuote(name)} ${exitInfo ? 'exited' : 'closed the session'} before answering`));
  }
  relay.dispose();
  notices.flush();
  stopReadingHost();
  io.stdin.off('end', onHostEnd);
  io.stdin.off('close', onHostEnd);
  // Whatever the host still sends has nowhere to go; let the process exit.
  io.stdin.destroy();
  await audit?.log.close();

  if (ended) {
    deps.stderr.write(`mcpm: ${ended.reason.replace(/^mcpm:? /, '')}\n`);
    return ended.status;
  }
  if (deps.signal.aborted) return 130;
  if (signalled) return (128 + (osConstants.signals[signalled] ?? 15)) as ExitStatus;
  return exitInfo ? statusOfExit(exitInfo, hostGone) : 0;
}

function stdioSide(proc: ServerProcess, serverStderr: HeldChunks, handlers: SideHandlers, deps: Deps, guard: GuardModules): ServerSide {
  const { LineFramer, lineContent, MAX_SERVER_LINE_BYTES, MAX_STDERR_LINE_BYTES } = guard;
  const framer = new LineFramer(handlers.line, { maxLineBytes: MAX_SERVER_LINE_BYTES, onTooLong: handlers.tooLong });
  const stderrFramer = new LineFramer(
    (line, truncated) => {
      const text = lineContent(line).toString('utf8');
      deps.stderr.write(`${sanitize(text)}${truncated ? ' ⟨line cut by mcpm⟩' : ''}\n`);
    },
    { maxLineBytes: MAX_STDERR_LINE_BYTES, overflow: 'truncate' },
  );
  // The server's stderr goes to ours line by line, escaped (C2: it must not paint the terminal or
  // inject escape sequences into a log viewer), beginning with what it wrote before the session.
  serverStderr.release((chunk) => stderrFramer.push(chunk));

  let outputDone = false;
  let exitInfo: ExitInfo | undefined;
  let finish: (info: ExitInfo) => void = () => {};
  const finished = new Promise<ExitInfo>((resolve) => (finish = resolve));
  const maybeFinish = () => {
    if (exitInfo && outputDone) finish(exitInfo);
  };
  const onOutputEnd = () => {
    if (outputDone) return;
    outputDone = true;
    framer.flush();
    // A server that closed its stdout can no longer answer: stop it rather than wait on it.
    void proc.close();
    maybeFinish();
  };
  proc.stdout.on('data', (chunk: Buffer) => framer.push(chunk));
  proc.stdout.once('end', onOutputEnd);
  proc.stdout.once('close', onOutputEnd);
  void proc.exited.then((info) => {
    exitInfo = info;
    maybeFinish();
  });

  let waitingForDrain = false;
  return {
    send(bytes) {
      if (!proc.stdin.writable) return;
      if (!proc.stdin.write(bytes) && !waitingForDrain) {
        waitingForDrain = true;
        handlers.pauseHost();
        proc.stdin.once('drain', () => {
          waitingForDrain = false;
          handlers.resumeHost();
        });
      }
    },
    close: () => void proc.close(),
    pause: () => proc.stdout.pause(),
    resume: () => proc.stdout.resume(),
    finished,
    dispose() {
      stderrFramer.flush();
      serverStderr.release(() => {});
    },
  };
}

function httpSide(upstream: HttpUpstream, handlers: SideHandlers): ServerSide {
  return {
    send(bytes) {
      if (!upstream.send(bytes)) {
        handlers.pauseHost();
        upstream.onDrain(handlers.resumeHost);
      }
    },
    close: () => void upstream.close(),
    pause: () => {},
    resume: () => {},
    finished: upstream.finished.then(() => null),
    dispose: () => {},
  };
}

/** Chunks kept until a consumer takes over; from then on each goes straight to it. */
class HeldChunks {
  private held: Buffer[] | undefined = [];
  private consumer: ((chunk: Buffer) => void) | undefined;

  push(chunk: Buffer): void {
    if (this.consumer) this.consumer(chunk);
    else this.held?.push(chunk);
  }

  release(consumer: (chunk: Buffer) => void): void {
    this.consumer = consumer;
    for (const chunk of this.held ?? []) consumer(chunk);
    this.held = undefined;
  }
}

/**
 * The guard exits with the server's status, as the host would have seen it without mcpm. A server
 * that mcpm had to signal after the host hung up ended as asked: 0. A server killed by a signal
 * mcpm did not send reports 128 + the signal number, as shells do.
 */
function statusOfExit(info: ExitInfo, hostGone: boolean): ExitStatus {
  // ExitStatus lists mcpm's own statuses; a relayed server status may be any byte.
  if (info.code !== null) return info.code as ExitStatus;
  if (hostGone) return 0;
  const number = info.signal ? osConstants.signals[info.signal] : undefined;
  return (128 + (number ?? 0)) as ExitStatus;
}

/**
 * Reads the host's first line (waiting at most REFUSAL_ANSWER_WAIT_MS) and, when it is a request,
 * answers it with a JSON-RPC error carrying `message`: hosts show that text, while an exit alone
 * reads as "server disconnected". Nothing is read from a terminal.
 */
async function answerFirstRequest(io: RunIo, message: string): Promise<void> {
  if (io.stdin.isTTY) return;
  const { GUARD_ERROR, idKey, LineFramer, lineContent } = await loadGuard();
  const line = await new Promise<Buffer | undefined>((resolve) => {
    let settled = false;
    const framer = new LineFramer((l) => done(l), { maxLineBytes: 1024 * 1024, onTooLong: () => done(undefined) });
    const onData = (chunk: Buffer) => framer.push(chunk);
    const onEnd = () => done(undefined);
    const timer = setTimeout(() => done(undefined), REFUSAL_ANSWER_WAIT_MS);
    function done(l: Buffer | undefined) {
      if (settled) return;
      settled = true;
      framer.stop();
      clearTimeout(timer);
      io.stdin.off('data', onData);
      io.stdin.off('end', onEnd);
      io.stdin.off('error', onEnd);
      io.stdin.pause();
      resolve(l);
    }
    io.stdin.on('data', onData);
    io.stdin.once('end', onEnd);
    io.stdin.once('error', onEnd);
  });
  io.stdin.destroy();
  if (!line) return;
  let request: unknown;
  try {
    request = JSON.parse(lineContent(line).toString('utf8'));
  } catch {
    return;
  }
  if (!isJsonObject(request)) return;
  const { id, method } = request;
  if (typeof method !== 'string' || id === undefined || id === null) return;
  const error = { code: GUARD_ERROR.NOT_STARTED, message: sanitize(message) };
  await new Promise<void>((resolve) => {
    // A host that has gone away has nothing left to be told (EPIPE): the write's callback still settles.
    io.stdout.once('error', () => {});
    io.stdout.write(`{"jsonrpc":"2.0","id":${idKey(id)},"error":${JSON.stringify(error)}}\n`, () => resolve());
  });
}

/**
 * The command a person runs to review this server from any directory: the host or the files this
 * run was given, else the project directory (hosts start `mcpm run` wherever they like).
 */
function reviewCommand(options: RunOptions, project: Project): string {
  const parts = ['mcpm'];
  if (options.host) parts.push('--host', shellWord(options.host));
  for (const file of options.config ?? []) parts.push('--config', shellWord(resolvePath(project.dir, file)));
  if (options.lockfile) parts.push('--lockfile', shellWord(project.lockFile));
  if (!options.host && (options.config ?? []).length === 0) parts.push('-C', shellWord(project.dir));
  return parts.join(' ');
}

type GuardModules = typeof import('../guard/relay.js') & typeof import('../guard/wire-check.js');

async function loadGuard(): Promise<GuardModules> {
  const [relay, wire] = await Promise.all([import('../guard/relay.js'), import('../guard/wire-check.js')]);
  return { ...relay, ...wire };
}
