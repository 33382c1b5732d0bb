/**
 * The guard's relay: raw line framing in both directions, and the routing of each line between the
 * host (mcpm's stdin/stdout) and the server (the child's stdin/stdout). No streams or processes
 * here: session.ts feeds lines in and writes what comes out, so this file can be tested with
 * plain buffers.
 *
 * Lines are forwarded as the bytes that came in, never re-serialised (the SDK's
 * transports, which a proxy built on them would use, reorder keys, drop `id:null` errors and extra keys). Only a response the
 * guard must judge (wire-check.ts) is replaced, by a line mcpm writes itself.
 *
 * What is parsed, and how (the hot-path trade-off):
 * - Host → server: the host is trusted, and its lines are forwarded as they are, even malformed. A
 *   line is parsed (JSON.parse) only if it can be a request: it contains `"method"`, or a `\u`
 *   escape (the only other way to spell that key). Responses to the server's own requests
 *   (sampling, elicitation, roots) and everything else go through untouched, unparsed.
 * - Server → host: every line is decoded as UTF-8 (fatal) and checked with JSON.parse, because a line
 *   that is not JSON must never reach the host, and the guard must know whether the line answers a
 *   request it inspects. JSON.parse is native and far cheaper than the strict parser, and for the
 *   fields routing needs (`id`, `method`) it agrees with the hosts, which are JSON.parse (Node,
 *   Electron) or last-key-wins parsers too. The strict parser (`parseStrictJson`: duplicate keys,
 *   lone surrogates, integers past 2^53, depth) runs only on the lines the guard inspects, the
 *   responses to `initialize`, `server/discover` and the four list methods; a line it refuses is
 *   never forwarded (the host gets a JSON-RPC error for that request instead). A response to an id
 *   the host is not waiting for is dropped, so a list cannot slip through under someone else's id.
 */
import { isUtf8 } from 'node:buffer';
import { formatBytes, lineContent, MAX_MESSAGE_BYTES } from '../adapters/line-framer.js';
import type { JsonObject, JsonValue } from '../core/json-strict.js';
import { isJsonObject, jsonQuote, parseStrictJson } from '../core/json-strict.js';
import { sanitize, trusted, type SafeText } from '../core/sanitize.js';
import {
  describeEvent,
  GUARD_ERROR,
  INSPECTED_METHODS,
  LIST_CHANGED_METHODS,
  type GuardEvent,
  type RpcError,
  type Verdict,
  type WireCheck,
} from './wire-check.js';

export { LineFramer, lineContent, type LineFramerOptions } from '../adapters/line-framer.js';

/** Per line from the server: a newline-free stream must not grow without bound. */
export const MAX_SERVER_LINE_BYTES = MAX_MESSAGE_BYTES;
/** Per line of the server's stderr; the rest of a longer line is replaced by a marker. */
export const MAX_STDERR_LINE_BYTES = 8 * 1024;
/** A list_changed of one kind is forwarded at most this often; the last of a burst is always sent. */
export const LIST_CHANGED_INTERVAL_MS = 1000;
/** Host requests awaiting an answer that the guard remembers; the oldest are forgotten beyond it. */
export const MAX_PENDING_REQUESTS = 65_536;

const METHOD_KEY = Buffer.from('"method"');
const UNICODE_ESCAPE = Buffer.from('\\u');

/** A host line that may be a request: only such lines are parsed (see the file comment). */
export function mayBeRequest(line: Buffer): boolean {
  return line.includes(METHOD_KEY) || line.includes(UNICODE_ESCAPE);
}

export type CallOutcome = 'ok' | 'error' | 'blocked';

/** One tools/call as the audit log records it. */
export interface ToolCallRecord {
  /** Epoch ms when the host sent the call. */
  startedAt: number;
  tool: string | undefined;
  arguments: JsonValue | undefined;
  client: { name?: string; version?: string } | undefined;
  outcome: CallOutcome;
  durationMs: number;
  /** Bytes of the response line the host received. */
  responseBytes: number;
}

export interface RelayHandlers {
  toHost(bytes: Buffer): void;
  toServer(bytes: Buffer): void;
  /** One line for stderr, already sanitised, without a newline. Rate limiting is the caller's. */
  notice(text: SafeText): void;
  toolCall(record: ToolCallRecord): void;
  /** The guard ends the session: stop relaying, stop the server. Called once. */
  end(reason: SafeText, status: 1 | 3): void;
  /** Epoch ms. */
  now(): number;
  /** For the trailing list_changed of a burst; returns a cancel function. */
  schedule(callback: () => void, ms: number): () => void;
}

interface Pending {
  method: string;
  startedAt: number;
  tool?: string;
  arguments?: JsonValue;
}

type ServerDecision = { kind: 'forward' } | { kind: 'replace'; message: JsonObject } | { kind: 'drop' };

/** Routes lines between one host and one guarded server. */
export class GuardRelay {
  private readonly pending = new Map<string, Pending>();
  private client: { name?: string; version?: string } | undefined;
  private readonly listChanged = new Map<string, { at: number; owed: boolean; cancel?: () => void }>();
  private ended = false;
  /** Bytes of the server line being routed (the whole batch for a batch), for the audit record. */
  private currentLineBytes = 0;

  constructor(
    private readonly wire: WireCheck,
    private readonly where: { server: string; lockLabel: string; reviewCommand?: string },
    private readonly handlers: RelayHandlers,
  ) {}

  get isEnded(): boolean {
    return this.ended;
  }

  /** How many host requests are still unanswered (for tests). */
  get pendingCount(): number {
    return this.pending.size;
  }

  // ---------------------------------------------------------------- host → server

  /** One line from the host, with its newline. */
  hostLine(line: Buffer): void {
    if (this.ended) return;
    if (!mayBeRequest(line)) {
      this.handlers.toServer(line);
      return;
    }
    let value: unknown;
    try {
      value = JSON.parse(lineContent(line).toString('utf8'));
    } catch {
      // The host is trusted: its lines go to the server as they are, even when they are not JSON.
      this.handlers.toServer(line);
      return;
    }
    if (Array.isArray(value)) {
      this.hostBatch(line, value);
      return;
    }
    const answer = this.hostMessage(value);
    if (answer === undefined) this.handlers.toServer(line);
    else if (answer !== null) this.handlers.toHost(answer);
  }

  /** A JSON-RPC batch (2025-03-26 allowed them): blocked calls are taken out and answered together. */
  private hostBatch(line: Buffer, items: unknown[]): void {
    const forwarded: unknown[] = [];
    const answers: string[] = [];
    for (const item of items) {
      const answer = this.hostMessage(item);
      if (answer === null) return;
      if (answer === undefined) forwarded.push(item);
      else answers.push(lineContent(answer).toString('utf8'));
    }
    if (answers.length === 0) this.handlers.toServer(line);
    else {
      if (forwarded.length > 0) this.handlers.toServer(Buffer.from(`${JSON.stringify(forwarded)}\n`));
      this.handlers.toHost(Buffer.from(`[${answers.join(',')}]\n`));
    }
  }

  /** undefined: forward; a Buffer: do not forward, answer the host with this line; null: the session ended. */
  private hostMessage(value: unknown): Buffer | undefined | null {
    if (!isJsonObject(value)) return undefined;
    const method = value['method'];
    if (typeof method !== 'string') return undefined;
    const params = value['params'] as JsonValue | undefined;
    if (!Object.hasOwn(value, 'id') || value['id'] === null) {
      // The host gives up on a request: its late answer will be dropped as unsolicited, which is
      // what the host does with it anyway, and the pending entry does not leak.
      if (method === 'notifications/cancelled' && isJsonObject(params) && Object.hasOwn(params, 'requestId')) {
        this.forget(idKey(params['requestId']));
      }
      return undefined;
    }
    const id = idKey(value['id']);
    this.noteClient(method, params);
    const verdict = this.wire.checkRequest(method, params);
    const call = method === 'tools/call' && isJsonObject(params) ? params : undefined;
    const tool = call && typeof call['name'] === 'string' ? call['name'] : undefined;
    if (verdict.action === 'forward') {
      if (this.pending.size >= MAX_PENDING_REQUESTS) this.forget(this.pending.keys().next().value as string);
      // Only a tools/call needs a start time (for the audit log); the clock is not read otherwise.
      const entry: Pending = { method, startedAt: 0 };
      if (method === 'tools/call') {
        entry.startedAt = this.handlers.now();
        entry.tool = tool;
        entry.arguments = call?.['arguments'] as JsonValue | undefined;
      }
      this.pending.set(id, entry);
      return undefined;
    }
    if (verdict.action === 'rewrite') throw new Error('Assertion failed: a host request was rewritten');
    const answer = errorLine(id, verdict.error);
    if (method === 'tools/call') {
      this.handlers.toolCall({
        startedAt: this.handlers.now(),
        tool,
        arguments: call?.['arguments'] as JsonValue | undefined,
        client: this.client,
        outcome: 'blocked',
        durationMs: 0,
        responseBytes: answer.length,
      });
    }
    this.report(verdict.events);
    if (verdict.action === 'end') {
      this.handlers.toHost(answer);
      this.endSession(verdict.error.message, 1);
      return null;
    }
    return answer;
  }

  private noteClient(method: string, params: JsonValue | undefined): void {
    if (this.client !== undefined || !isJsonObject(params)) return;
    let info: unknown;
    if (method === 'initialize') info = params['clientInfo'];
    else {
      // 2026-07-28: every request may carry the client's identity in _meta.
      const meta = params['_meta'];
      if (isJsonObject(meta)) info = meta['io.modelcontextprotocol/clientInfo'];
    }
    if (!isJsonObject(info)) return;
    const client: { name?: string; version?: string } = {};
    if (typeof info['name'] === 'string') client.name = info['name'];
    if (typeof info['version'] === 'string') client.version = info['version'];
    this.client = client;
  }

  // ---------------------------------------------------------------- server → host

  /** One line from the server's stdout, with its newline. */
  serverLine(line: Buffer): void {
    if (this.ended) return;
    const content = lineContent(line);
    // isUtf8 is native and strict (overlong forms, surrogates); a BOM stays in the text, so
    // JSON.parse refuses it below, as a host would.
    if (!isUtf8(content)) {
      this.dropped('a line that is not valid UTF-8', content);
      return;
    }
    const text = content.toString('utf8');
    this.currentLineBytes = line.length;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      // Blank lines are not worth a notice (checked only here: this is the path of every response).
      if (text.trim() !== '') this.dropped('a line that is not JSON', content);
      return;
    }
    if (Array.isArray(value)) {
      this.serverBatch(line, text, value);
      return;
    }
    const decision = this.serverMessage(value, () => parseStrictJson(text));
    if (this.ended) return;
    if (decision.kind === 'forward') this.handlers.toHost(line);
    else if (decision.kind === 'replace') this.handlers.toHost(messageLine(decision.message));
  }

  private serverBatch(line: Buffer, text: string, items: unknown[]): void {
    if (items.length === 0) {
      this.dropped('an empty batch', lineContent(line));
      return;
    }
    let strict: JsonValue | undefined;
    const strictItem = (index: number) => () => {
      strict ??= parseStrictJson(text);
      return (strict as JsonValue[])[index]!;
    };
    const out: unknown[] = [];
    let changed = false;
    items.forEach((item, index) => {
      if (this.ended) return;
      const decision = this.serverMessage(item, strictItem(index));
      if (decision.kind === 'forward') out.push(item);
      else {
        changed = true;
        if (decision.kind === 'replace') out.push(decision.message);
      }
    });
    if (this.ended) return;
    if (!changed) this.handlers.toHost(line);
    else if (out.length > 0) this.handlers.toHost(Buffer.from(`${JSON.stringify(out)}\n`));
  }

  /** `strict` re-reads the message with the strict parser; it throws StrictJsonError. */
  private serverMessage(value: unknown, strict: () => JsonValue): ServerDecision {
    if (!isJsonObject(value) || value['jsonrpc'] !== '2.0') {
      this.dropped('a message that is not JSON-RPC 2.0', undefined);
      return { kind: 'drop' };
    }
    const method = value['method'];
    if (typeof method === 'string') {
      // Requests (sampling, elicitation, roots, ping) and notifications (progress, cancelled,
      // logging) pass untouched; only list_changed is paced.
      if (!Object.hasOwn(value, 'id') && LIST_CHANGED_METHODS.has(method)) return this.paceListChanged(method);
      return { kind: 'forward' };
    }
    if (!Object.hasOwn(value, 'id')) {
      this.dropped('a message that is neither a request, a notification nor a response', undefined);
      return { kind: 'drop' };
    }
    // A parse-error answer (id null) refers to no request; it tells the host something went wrong.
    if (value['id'] === null) return { kind: 'forward' };
    const id = idKey(value['id']);
    const pending = this.pending.get(id);
    if (!pending) {
      this.dropped(`a response to id ${id.length > 40 ? `${id.slice(0, 40)}…` : id}, which the host is not waiting for`, undefined);
      return { kind: 'drop' };
    }
    this.pending.delete(id);
    if (pending.method === 'tools/call') this.recordCall(pending, value);
    if (!INSPECTED_METHODS.has(pending.method)) return { kind: 'forward' };

    let message: JsonValue;
    try {
      message = strict();
    } catch (error) {
      const problem = `it breaks the strict JSON rules (${error instanceof Error ? error.message : String(error)})`;
      return this.apply(id, this.wire.badResponse(pending.method, problem));
    }
    if (!isJsonObject(message)) throw new Error('Assertion failed: strict parse disagrees with JSON.parse');
    return this.apply(id, this.wire.checkResponse(pending.method, message));
  }

  private apply(id: string, verdict: Verdict): ServerDecision {
    if (verdict.action === 'forward') return { kind: 'forward' };
    this.report(verdict.events);
    if (verdict.action === 'rewrite') return { kind: 'replace', message: verdict.message };
    this.handlers.toHost(errorLine(id, verdict.error));
    if (verdict.action === 'end') this.endSession(verdict.error.message, 1);
    return { kind: 'drop' };
  }

  private recordCall(pending: Pending, value: Record<string, unknown>): void {
    const result = value['result'];
    const failed = Object.hasOwn(value, 'error') || (isJsonObject(result) && result['isError'] === true);
    this.auditCall(pending, failed ? 'error' : 'ok', this.currentLineBytes);
  }

  /** The audit record of a pending tools/call that ends now, with `responseBytes` sent to the host. */
  private auditCall(pending: Pending, outcome: CallOutcome, responseBytes: number): void {
    this.handlers.toolCall({
      startedAt: pending.startedAt,
      tool: pending.tool,
      arguments: pending.arguments,
      client: this.client,
      outcome,
      durationMs: Math.max(0, this.handlers.now() - pending.startedAt),
      responseBytes,
    });
  }


  private paceListChanged(method: string): ServerDecision {
    const now = this.handlers.now();
    const state = this.listChanged.get(method);
    if (state === undefined || now - state.at >= LIST_CHANGED_INTERVAL_MS) {
      this.listChanged.set(method, { at: now, owed: false });
      return { kind: 'forward' };
    }
    if (!state.owed) {
      // One trailing notification per burst, so the host still re-lists after the last change.
      state.owed = true;
      state.cancel = this.handlers.schedule(
        () => {
          if (this.ended) return;
          this.listChanged.set(method, { at: this.handlers.now(), owed: false });
          this.handlers.toHost(Buffer.from(`${JSON.stringify({ jsonrpc: '2.0', method })}\n`));
        },
        LIST_CHANGED_INTERVAL_MS - (now - state.at),
      );
    }
    return { kind: 'drop' };
  }

  // ---------------------------------------------------------------- both

  /**
   * The server is gone or the guard stops: every request the host still waits for gets an error,
   * so the host does not hang until its own timeout. Tools calls among them are audited as errors.
   */
  failPending(reason: SafeText): void {
    for (const [id, pending] of this.pending) {
      const answer = errorLine(id, { code: GUARD_ERROR.REFUSED, message: reason });
      if (pending.method === 'tools/call') this.auditCall(pending, 'error', answer.length);
      this.handlers.toHost(answer);
    }
    this.pending.clear();
  }

  /** Stops pacing timers; call when the session is over. */
  dispose(): void {
    for (const state of this.listChanged.values()) state.cancel?.();
    this.listChanged.clear();
  }

  private forget(id: string): void {
    const pending = this.pending.get(id);
    if (!pending) return;
    this.pending.delete(id);
    // Cancelled or evicted: a late answer is dropped as unsolicited, so the host receives no bytes.
    if (pending.method === 'tools/call') this.auditCall(pending, 'error', 0);
  }

  private endSession(reason: SafeText, status: 1 | 3): void {
    if (this.ended) return;
    this.failPending(reason);
    this.ended = true;
    this.dispose();
    this.handlers.end(reason, status);
  }

  /** The server broke the line cap: the session ends rather than buffer without bound. */
  serverLineTooLong(): void {
    this.endSession(
      trusted(`mcpm: server ${jsonQuote(this.where.server)} sent a line over ${formatBytes(MAX_SERVER_LINE_BYTES)}; the session was ended`),
      3,
    );
  }

  private report(events: readonly GuardEvent[]): void {
    for (const event of events) this.handlers.notice(trusted(`mcpm: ${describeEvent(event, this.where)}`));
  }

  /** A server line that is not forwarded; the start of it is shown, escaped, to help debug the server. */
  private dropped(what: string, content: Buffer | undefined): void {
    const sample = content === undefined ? '' : `: ${content.subarray(0, 120).toString('utf8')}${content.length > 120 ? '…' : ''}`;
    this.handlers.notice(sanitize(`mcpm: server ${jsonQuote(this.where.server)} sent ${what}; dropped it${sample}`));
  }
}

/** Ids are numbers or strings; the JSON text keys them, so 1 and "1" stay apart. */
export function idKey(id: unknown): string {
  // Numbers print the same either way; String is cheaper on the path of every message.
  return typeof id === 'number' ? String(id) : (JSON.stringify(id) ?? 'undefined');
}

function errorLine(id: string, error: RpcError): Buffer {
  return Buffer.from(`{"jsonrpc":"2.0","id":${id},"error":${JSON.stringify({ code: error.code, message: error.message })}}\n`);
}

function messageLine(message: JsonObject): Buffer {
  return Buffer.from(`${JSON.stringify(message)}\n`);
}

/**
 * A rate limit for stderr notices, so a flood of blocked calls cannot flood the host's log: an
 * identical line is printed once per `repeatWindowMs`, and at most `burst` lines are printed at
 * once, refilled at `perSecond`. What was held back is counted and reported with the next line
 * printed, or by flush() at the end of the session.
 */
export class NoticeLimiter {
  private tokens: number;
  private last: number;
  private suppressed = 0;
  private readonly recent = new Map<string, number>();

  constructor(
    private readonly write: (line: string) => void,
    private readonly now: () => number,
    private readonly limits = { burst: 20, perSecond: 2, repeatWindowMs: 60_000 },
  ) {
    this.tokens = limits.burst;
    this.last = now();
  }

  notice(text: SafeText): void {
    const now = this.now();
    const seen = this.recent.get(text);
    if (seen !== undefined && now - seen < this.limits.repeatWindowMs) {
      this.suppressed += 1;
      return;
    }
    this.tokens = Math.min(this.limits.burst, this.tokens + ((now - this.last) / 1000) * this.limits.perSecond);
    this.last = now;
    if (this.tokens < 1) {
      this.suppressed += 1;
      return;
    }
    this.tokens -= 1;
    if (this.recent.size >= 1000) this.recent.clear();
    this.recent.set(text, now);
    this.flush();
    this.write(`${text}\n`);
  }

  flush(): void {
    if (this.suppressed === 0) return;
    this.write(`mcpm: ${this.suppressed} more message${this.suppressed === 1 ? '' : 's'} like the ones above were not shown (rate limit)\n`);
    this.suppressed = 0;
  }
}
