/**
 * One guarded session of `mcpm run`, as streams: the host's stdin and stdout on one side, the
 * server (a spawned process's pipes, or a Streamable HTTP upstream) on the other, the relay
 * (relay.ts) in between. This file owns what streams need: backpressure both ways, the end of
 * either side, a broken stdout, the signals that end a session. It reports how the session ended;
 * which exit status that is, the command decides (commands/run.ts). Streams, clock and signal
 * source are passed in, so a session can be driven with in-memory streams.
 *
 * stdout carries nothing but forwarded or synthesised JSON-RPC: every message of mcpm's own goes
 * to stderr, which hosts keep as the server's log (Claude Desktop: mcp-server-NAME.log).
 */
import type { Readable, Writable } from 'node:stream';
import type { ExitInfo, ServerProcess } from '../adapters/process.js';
import type { SessionTraffic } from '../adapters/tiering.js';
import { isJsonObject, jsonQuote } from '../core/json-strict.js';
import type { DenyKind } from '../core/deny.js';
import type { LockEntry } from '../core/lockfile.js';
import { sanitize, type SafeText } from '../core/sanitize.js';
import type { HeldChunks } from './held-chunks.js';
import type { BearerAuth } from '../adapters/oauth/provider.js';
import type { HttpUpstream, HttpUpstreamOptions } from './http-upstream.js';
import type { SseUpstream } from './sse-upstream.js';
import type { Policy } from './policy.js';
import {
  GuardRelay,
  idKey,
  LineFramer,
  lineContent,
  MAX_SERVER_LINE_BYTES,
  MAX_STDERR_LINE_BYTES,
  NoticeLimiter,
  type AuditEvent,
  type ToolCallRecord,
} from './relay.js';
import { coalescedWrites } from './coalesced-writes.js';
import { LARGE_LINE_BYTES } from './large-line.js';
import { escapeLineBreaks } from './line-check.js';
import { GUARD_ERROR, WireCheck, type GuardEvent } from './wire-check.js';

/** The host's side: process.stdin and process.stdout in `mcpm run`. */
export interface HostStreams {
  stdin: Readable & { isTTY?: boolean };
  stdout: Writable;
}

/** What the session needs of a spawned server; adapters/process.ts's ServerProcess has it. */
export type ServerPipes = Pick<ServerProcess, 'stdin' | 'stdout' | 'readStdout' | 'exited' | 'close'>;

export type SessionServer =
  /** `stderr` holds what the server wrote there since its spawn. */
  | { transport: 'stdio'; proc: ServerPipes; stderr: HeldChunks }
  /** `http`: Streamable HTTP; `sse`: the legacy HTTP+SSE transport. `auth`: the login of `mcpm login`, if any. */
  | { transport: 'http' | 'sse'; url: URL; headers: Record<string, string>; auth?: BearerAuth; loginCommand: string };

/** The signals, other than Ctrl-C, that end a session: `process` in `mcpm run`. */
export type SessionSignal = 'SIGTERM' | 'SIGHUP';
export interface SignalSource {
  once(signal: SessionSignal, listener: () => void): unknown;
  off(signal: SessionSignal, listener: () => void): unknown;
}

export interface SessionOptions {
  /** For messages: the server's name, the lock's label, `mcpm …` with the options that reach the project. */
  where: { server: string; lockLabel: string; reviewCommand: string };
  entry: LockEntry;
  policy: Policy;
  host: HostStreams;
  server: SessionServer;
  /** mcpm's stderr: the guard's notices, the server's stderr (escaped), why the guard ended the session. */
  stderr: { write(text: string): unknown };
  /** Epoch ms. */
  now(): number;
  /** Aborted on Ctrl-C (SIGINT). */
  interrupt: AbortSignal;
  signals: SignalSource;
  /** Kinds of server-initiated requests answered with an error (`--deny`, the server's config). */
  deny?: readonly DenyKind[];
  onToolCall?(record: ToolCallRecord): void;
  /** Server requests and dropped messages, for the audit log. */
  onAuditEvent?(event: AuditEvent): void;
  /** Items withheld, calls blocked, fields replaced. */
  onGuardEvent?(event: GuardEvent): void;
  /** Told of each host line, and of each chunk a large server line grows by, after the relay (adapters/tiering.ts). */
  traffic?: SessionTraffic;
}

export type SessionOutcome =
  /** The guard ended the session (policy refuse, a line over the limit); the reason went to stderr. */
  | { kind: 'ended'; reason: SafeText; status: 1 | 3 }
  /** Ctrl-C. */
  | { kind: 'interrupted' }
  | { kind: 'signalled'; signal: SessionSignal }
  /** The server process exited; `hostGone`: after the host had hung up (so mcpm ended it). */
  | { kind: 'server-exited'; exit: ExitInfo; hostGone: boolean }
  /** The remote server's session is over. */
  | { kind: 'remote-closed' };

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
  /** `transient`: the bytes are the framer's to reuse after the call (LineFramer's reuseBuffer). */
  line(bytes: Buffer, transient?: boolean): void;
  /** The bytes so far of a server line that has not ended (stdio only). */
  partial(parts: readonly Buffer[], size: number): void;
  /** Whether every part given to `partial` that went on to the host has been written (LineFramer's partsReleased). */
  partsReleased(): boolean;
  tooLong(): void;
  notice(text: SafeText): void;
  pauseHost(): void;
  resumeHost(): void;
}

/** Bytes the host may leave unread before the server is paused: a large answer is read on meanwhile. */
export const HOST_BACKLOG_BYTES = 1024 * 1024;

/** Relays one session until the server side is finished; resolves with how it ended. Never rejects for I/O errors. */
export async function runSession(options: SessionOptions): Promise<SessionOutcome> {
  const { where, host, stderr, interrupt, signals } = options;
  const notices = new NoticeLimiter((line) => stderr.write(line), options.now);
  const wire = new WireCheck({ ...where, entry: options.entry, policy: options.policy });

  let hostGone = false;
  let ended: { reason: SafeText; status: 1 | 3 } | undefined;
  let signalled: SessionSignal | undefined;
  // The relay and the server side refer to each other; the side is created right after the relay.
  const holder: { side?: ServerSide } = {};
  let hostPaused = false;
  let hostBackedUp = false;

  const toHost = coalescedWrites((bytes) => {
    // Backpressure: a host that does not read pauses the server instead of buffering without bound.
    if (!host.stdout.writable) return;
    // Not at the stream's first refusal (its high-water mark is 16 KiB): a pause and a resume per
    // pipe-full of a large answer the host is reading would add their round trips to it.
    if (!host.stdout.write(bytes) && host.stdout.writableLength >= HOST_BACKLOG_BYTES && !hostBackedUp) {
      hostBackedUp = true;
      holder.side?.pause();
      host.stdout.once('drain', () => {
        hostBackedUp = false;
        holder.side?.resume();
      });
    }
  }, (writes) => {
    host.stdout.cork();
    writes();
    host.stdout.uncork();
  });
  // A remote server takes each message as a request of its own: only a stdio server's lines are joined.
  const toServer = options.server.transport === 'stdio' ? coalescedWrites((bytes) => holder.side?.send(bytes)) : { write: (bytes: Buffer) => holder.side?.send(bytes), flush: () => {} };
  // Absent when nothing records tool calls: the relay then makes no record and reads no clock for them.
  const { onToolCall } = options;
  const relay = new GuardRelay(wire, where, {
    toHost: toHost.write,
    toServer: toServer.write,
    notice: (text) => notices.notice(text),
    ...(onToolCall === undefined ? {} : { toolCall: onToolCall }),
    audit: (event) => options.onAuditEvent?.(event),
    guardEvent: (event) => options.onGuardEvent?.(event),
    end: (reason, status) => {
      ended = { reason, status };
      stopReadingHost();
      toServer.flush();
      toHost.flush();
      holder.side?.close();
    },
    now: options.now,
    schedule: (callback, ms) => {
      const timer = setTimeout(callback, ms);
      timer.unref();
      return () => clearTimeout(timer);
    },
  }, { deny: options.deny ?? [] });

  const handlers: SideHandlers = {
    line: (bytes, transient) => relay.serverLine(bytes, transient),
    partial: (parts, size) => {
      relay.serverPartial(parts, size);
      if (size >= LARGE_LINE_BYTES) options.traffic?.largeServerLine();
    },
    // Bytes handed to a stream are read from where they are until it has written them.
    partsReleased: () => toHost.isEmpty() && host.stdout.writableLength === 0,
    tooLong: () => relay.serverLineTooLong(),
    notice: (text) => notices.notice(text),
    pauseHost: () => {
      if (hostPaused) return;
      hostPaused = true;
      host.stdin.pause();
    },
    resumeHost: () => {
      if (!hostPaused) return;
      hostPaused = false;
      if (!hostGone && !ended) host.stdin.resume();
    },
  };
  const server = options.server;
  let side: ServerSide;
  if (server.transport === 'stdio') {
    side = stdioSide(server.proc, server.stderr, handlers, stderr);
  } else {
    const upstream: HttpUpstreamOptions = {
      server: where.server,
      url: server.url,
      headers: server.headers,
      maxMessageBytes: MAX_SERVER_LINE_BYTES,
      onLine: handlers.line,
      onTooLong: handlers.tooLong,
      notice: handlers.notice,
      loginCommand: server.loginCommand,
      ...(server.auth === undefined ? {} : { auth: server.auth }),
    };
    side = httpSide(
      server.transport === 'sse' ? new (await import('./sse-upstream.js')).SseUpstream(upstream) : new (await import('./http-upstream.js')).HttpUpstream(upstream),
      handlers,
    );
  }
  holder.side = side;

  const hostFramer = new LineFramer((line) => {
    relay.hostLine(line);
    options.traffic?.hostLine();
  });
  const onHostData = (chunk: Buffer) => hostFramer.push(chunk);
  const onHostEnd = () => {
    if (hostGone) return;
    hostGone = true;
    hostFramer.flush();
    toServer.flush();
    // The host is done, which is how the stdio transport shuts a server down: end the server's
    // stdin, then SIGTERM, then SIGKILL its whole process group (so nothing it started outlives
    // the session), as process.ts's close() does; or end the HTTP session.
    side.close();
  };
  function stopReadingHost() {
    host.stdin.off('data', onHostData);
    host.stdin.pause();
  }
  host.stdin.on('data', onHostData);
  host.stdin.once('end', onHostEnd);
  host.stdin.once('close', onHostEnd);
  host.stdin.on('error', onHostEnd);
  const onStdoutError = () => {
    // EPIPE: the host closed our stdout; nobody is listening any more.
    stopReadingHost();
    onHostEnd();
    // No 'drain' will come: a server paused for a backed-up stdout is read to its end again (its
    // lines are dropped, stdout is no longer writable), or the session would wait for it forever.
    if (hostBackedUp) {
      hostBackedUp = false;
      side.resume();
    }
  };
  host.stdout.on('error', onStdoutError);

  const onSignal = (signal: SessionSignal) => {
    signalled ??= signal;
    stopReadingHost();
    side.close();
  };
  const onTerm = () => onSignal('SIGTERM');
  const onHup = () => onSignal('SIGHUP');
  const onInterrupt = () => side.close();
  signals.once('SIGTERM', onTerm);
  signals.once('SIGHUP', onHup);
  interrupt.addEventListener('abort', onInterrupt, { once: true });
  if (interrupt.aborted) onInterrupt();

  const exitInfo = await side.finished;

  signals.off('SIGTERM', onTerm);
  signals.off('SIGHUP', onHup);
  interrupt.removeEventListener('abort', onInterrupt);
  side.dispose();
  if (!relay.isEnded && !hostGone) {
    // The server went away on its own: the host still waits for answers it will never get.
    relay.failPending(sanitize(`mcpm: server ${jsonQuote(where.server)} ${exitInfo ? 'exited' : 'closed the session'} before answering`));
  }
  relay.dispose();
  notices.flush();
  stopReadingHost();
  host.stdin.off('end', onHostEnd);
  host.stdin.off('close', onHostEnd);
  // Whatever the host still sends has nowhere to go; let the process exit. (The stdout error
  // listener stays: an EPIPE while the last answers are flushed has no one left to tell.)
  host.stdin.destroy();

  if (ended) {
    stderr.write(`mcpm: ${ended.reason.replace(/^mcpm:? /, '')}\n`);
    return { kind: 'ended', ...ended };
  }
  if (interrupt.aborted) return { kind: 'interrupted' };
  if (signalled) return { kind: 'signalled', signal: signalled };
  return exitInfo ? { kind: 'server-exited', exit: exitInfo, hostGone } : { kind: 'remote-closed' };
}

/** What each line of the server's own stderr begins with. */
const SERVER_STDERR_MARK = '│ ';

function stdioSide(proc: ServerPipes, serverStderr: HeldChunks, handlers: SideHandlers, stderr: SessionOptions['stderr']): ServerSide {
  const framer = new LineFramer((line, _truncated, transient) => handlers.line(line, transient), {
    maxLineBytes: MAX_SERVER_LINE_BYTES,
    onTooLong: handlers.tooLong,
    onPartial: handlers.partial,
    reuseBuffer: true,
    partsReleased: handlers.partsReleased,
    chunksReused: proc.readStdout !== undefined,
  });
  const stderrFramer = new LineFramer(
    (line, truncated) => {
      const text = lineContent(line).toString('utf8');
      stderr.write(`${SERVER_STDERR_MARK}${sanitize(text)}${truncated ? ' ⟨line cut by mcpm⟩' : ''}\n`);
    },
    { maxLineBytes: MAX_STDERR_LINE_BYTES, overflow: 'truncate' },
  );
  // The server's stderr goes to ours line by line, escaped (it must not paint the terminal or
  // inject escape sequences into a log viewer), beginning with what it wrote before the session,
  // and marked as the server's, as install and verify show it: a line of its own that begins
  // `mcpm: ` would otherwise read as one of mcpm's notices.
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
  if (proc.readStdout) proc.readStdout((bytes) => framer.push(bytes));
  else proc.stdout.on('data', (chunk: Buffer) => framer.push(chunk));
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

function httpSide(upstream: HttpUpstream | SseUpstream, handlers: SideHandlers): ServerSide {
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

/** How long a refused run waits for the host's first request, to answer it with the reason. */
export const REFUSAL_ANSWER_WAIT_MS = 1000;

/**
 * Reads the host's first line (waiting at most `waitMs`) and, when it is a request, answers it
 * with a JSON-RPC error carrying `message`: hosts show that text, while an exit alone reads as
 * "server disconnected". Nothing is read from a terminal. `message` is raw; it is escaped here.
 */
export async function answerFirstRequest(host: HostStreams, message: string, waitMs = REFUSAL_ANSWER_WAIT_MS): Promise<void> {
  if (host.stdin.isTTY) return;
  const line = await new Promise<Buffer | undefined>((resolve) => {
    let settled = false;
    const framer = new LineFramer((l) => done(l), { maxLineBytes: 1024 * 1024, onTooLong: () => done(undefined) });
    const onData = (chunk: Buffer) => framer.push(chunk);
    const onEnd = () => done(undefined);
    const timer = setTimeout(() => done(undefined), waitMs);
    function done(l: Buffer | undefined) {
      if (settled) return;
      settled = true;
      framer.stop();
      clearTimeout(timer);
      host.stdin.off('data', onData);
      host.stdin.off('end', onEnd);
      host.stdin.off('error', onEnd);
      host.stdin.pause();
      resolve(l);
    }
    host.stdin.on('data', onData);
    host.stdin.once('end', onEnd);
    host.stdin.once('error', onEnd);
  });
  host.stdin.destroy();
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
    host.stdout.once('error', () => {});
    host.stdout.write(`${escapeLineBreaks(`{"jsonrpc":"2.0","id":${idKey(id)},"error":${JSON.stringify(error)}}`)}\n`, () => resolve());
  });
}
