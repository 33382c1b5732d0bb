/**
 * The guard's relay: raw line framing in both directions, and the routing of each line between the
 * host (mcpm's stdin/stdout) and the server (the child's stdin/stdout). No streams or processes
 * here: session.ts feeds lines in and writes what comes out, so this file can be tested with
 * plain buffers.
 *
 * Lines are forwarded as the bytes that came in, never re-serialised (the SDK's transports, which a
 * proxy built on them would use, reorder keys, drop `id:null` errors and extra keys), as long as
 * every host reads them as mcpm did. A line a host could frame differently (a raw `\r`, U+2028,
 * …) goes on with those characters escaped; a response the guard must judge (wire-check.ts) is
 * replaced by a line mcpm writes itself; a message that is not exactly one clean request,
 * notification or response is dropped (line-check.ts).
 *
 * What is parsed, and how (the hot-path trade-off):
 * - Host → server: the host is trusted, and its lines are forwarded as they are, even malformed. A
 *   line is parsed (JSON.parse) only if it can be a request: it contains `"method"`, or a `\u`
 *   escape (the only other way to spell that key). Responses to the server's own requests
 *   (sampling, elicitation, roots) and everything else go through untouched, unparsed. A call
 *   (tools/call, prompts/get, resources/read) in a line the server could read as another message
 *   is not forwarded: the server might run another call than the one judged.
 * - Server → host: every line is decoded as UTF-8 (fatal) and checked with JSON.parse, because a line
 *   that is not JSON must never reach the host, and the guard must know whether the line answers a
 *   request it inspects. JSON.parse is native and far cheaper than the strict parser. Every line
 *   then pays four native searches for line breaks and a proof that it names no key twice
 *   (line-check.ts: its keys counted, or its text printed back, or scanned when neither proves
 *   it), so that the fields routing needs (`id`, `method`, `result`) read the same to every host
 *   parser. The strict parser (`parseStrictJson`: duplicate keys, lone surrogates, integers past
 *   2^53, depth) runs only on the lines the guard inspects, the responses to `initialize`,
 *   `server/discover` and the four list methods; a line it refuses is never forwarded (the host
 *   gets a JSON-RPC error for that request instead). A line exactly as JSON.stringify prints it
 *   (as the SDKs send) is not read twice: printed again, JSON.parse's reading proves it strict
 *   (parsePrintedJson), so a list of 1,000 tools costs one parse. A response to an
 *   id the host is not waiting for is dropped, so a list cannot slip through under someone else's id.
 *   A large line (64 KiB or more) is first read through its skeleton, its long strings left out
 *   undecoded (large-line.ts): when it answers a request the guard does not inspect (a tool's
 *   result of megabytes), that is all the guard needs, and the line goes on as it came.
 * - A large line's start goes on to the host while the rest still comes, when the host waits only
 *   for answers the guard does not inspect, and until it asks for one the guard does
 *   (serverPartial; line-prefix.ts says how much): the host cannot read a message from it until
 *   the guard has judged the whole line and sent its end. When the judged line does not begin
 *   with what went ahead (it is dropped or re-written), the host's copy is ended with a bare
 *   newline, an unfinished object every host skips as unreadable, and what the guard sends
 *   instead follows. Only a hostile or broken server gets there; what went
 *   ahead is never read as a message by any host framing (test/unit/guard/large-line.test.ts).
 * - Server-initiated requests (sampling, elicitation, roots, …) are told once per kind and audited;
 *   the kinds given to --deny are answered with an error and never reach the host.
 */
import { isUtf8 } from 'node:buffer';
import { contentEnd, formatBytes, lineContent, MAX_MESSAGE_BYTES } from '../adapters/line-framer.js';
import { denyKindOf, type DenyKind } from '../core/deny.js';
import { valueSpan } from '../core/json-offsets.js';
import type { JsonObject, JsonValue } from '../core/json-strict.js';
import { isJsonObject, jsonQuote, parsePrintedJson, parseStrictJson } from '../core/json-strict.js';
import { sanitize, trusted, type SafeText } from '../core/sanitize.js';
import { foldedMember } from '../core/folded-keys.js';
import { LARGE_LINE_BYTES, lineSkeleton, LONG_STRING_BYTES } from './large-line.js';
import { LinePrefix } from './line-prefix.js';
import { CALL_PARAMS, duplicateKey, envelopeOf, escapeLineBreaks, hasLineBreaks, jsonLine, RESULT_MEMBERS, type RpcId } from './line-check.js';
import {
  CALL_METHODS,
  describeEvent,
  GUARD_ERROR,
  INSPECTED_METHODS,
  LIST_CHANGED_METHODS,
  SERVER_INFO_META,
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

/** Other audit log records: server-initiated requests, and messages dropped as unclean. */
export type AuditEvent =
  /** `via`: asked inside a 2026-07-28 input_required result rather than as a request of its own. */
  | { type: 'server-request'; at: number; method: string; outcome: 'forwarded' | 'denied'; params: JsonValue | undefined; via?: 'input_required' }
  | { type: 'dropped'; at: number; reason: string };

export interface RelayHandlers {
  toHost(bytes: Buffer): void;
  toServer(bytes: Buffer): void;
  /** One line for stderr, already sanitised, without a newline. Rate limiting is the caller's. */
  notice(text: SafeText): void;
  /** Each tools/call as it ends (the audit log, telemetry); absent when neither is on: no record is made and the clock is not read. */
  toolCall?(record: ToolCallRecord): void;
  audit?(event: AuditEvent): void;
  /** What the guard withheld, blocked or replaced, as it was told on stderr (telemetry). */
  guardEvent?(event: GuardEvent): void;
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

type ServerDecision =
  | { kind: 'forward' }
  | { kind: 'replace'; message: JsonObject }
  /** Forward with the value at `path` (a served serverInfo) replaced by `value`, every other byte kept. */
  | { kind: 'patch'; path: readonly string[]; value: JsonValue }
  | { kind: 'drop' };

export interface RelayOptions {
  /** Kinds of server-initiated requests answered with an error instead of reaching the host. */
  deny?: readonly DenyKind[];
  /** Which server lines are read through their skeleton (large-line.ts): the defaults, unless a test compares both paths. */
  skeleton?: { lineBytes: number; stringBytes: number };
}

/** Kinds of server request remembered as told; a server inventing methods gets the rate limit beyond. */
const MAX_NOTICED_KINDS = 64;

/** Routes lines between one host and one guarded server. */
export class GuardRelay {
  private readonly pending = new Map<string, Pending>();
  private client: { name?: string; version?: string } | undefined;
  private readonly listChanged = new Map<string, { at: number; owed: boolean; cancel?: () => void }>();
  private ended = false;
  /** Bytes of the server line being routed (the whole batch for a batch), for the audit record. */
  private currentLineBytes = 0;
  private readonly deny: ReadonlySet<DenyKind | undefined>;
  private readonly noticedKinds = new Set<string>();
  private readonly skeleton: { lineBytes: number; stringBytes: number };
  /**
   * The server line in progress once it is large (line-prefix.ts): `prefix` scans it when its start
   * may go ahead to the host (undefined: it waits to be judged whole), and its safeBytes are the
   * bytes that went; `seen`, how many of the line's parts it has scanned; `queued`, what else is for
   * the host until the line is done, which must not land inside it.
   */
  private lineInProgress: { prefix: LinePrefix | undefined; seen: number; queued: Buffer[] } | undefined;

  constructor(
    private readonly wire: WireCheck,
    private readonly where: { server: string; lockLabel: string; reviewCommand?: string },
    private readonly handlers: RelayHandlers,
    options: RelayOptions = {},
  ) {
    this.deny = new Set(options.deny ?? []);
    this.skeleton = options.skeleton ?? { lineBytes: LARGE_LINE_BYTES, stringBytes: LONG_STRING_BYTES };
  }

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
    const text = line.toString('utf8', 0, contentEnd(line));
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      // The host is trusted: its lines go to the server as they are, even when they are not JSON.
      this.handlers.toServer(line);
      return;
    }
    // The host's lines are forwarded as the host wrote them, but judged as the server's are: a call
    // in a line that the server could read as another message is answered here, never forwarded.
    let lineProblem: string | null | undefined;
    const ambiguity = (item: unknown): string | undefined => {
      const envelope = envelopeOf(item);
      if (envelope.kind === 'unclean') return envelope.problem;
      const params = (item as JsonObject)['params'];
      const folded = isJsonObject(params) ? foldedMember(params, CALL_PARAMS) : undefined;
      if (folded !== undefined) return `params with the member ${jsonQuote(folded.key)}, which some servers read as ${jsonQuote(folded.readAs)}`;
      lineProblem ??= hostLineProblem(text, value) ?? null;
      return lineProblem ?? undefined;
    };
    if (Array.isArray(value)) {
      this.hostBatch(line, value, ambiguity);
      return;
    }
    const answer = this.hostMessage(value, ambiguity);
    if (answer === undefined) this.handlers.toServer(line);
    else if (answer !== null) this.toHost(answer);
  }

  /** A JSON-RPC batch (2025-03-26 allowed them): blocked calls are taken out and answered together. */
  private hostBatch(line: Buffer, items: unknown[], ambiguity: (item: unknown) => string | undefined): void {
    const forwarded: unknown[] = [];
    const answers: string[] = [];
    for (const item of items) {
      const answer = this.hostMessage(item, ambiguity);
      if (answer === null) return;
      if (answer === undefined) forwarded.push(item);
      else answers.push(lineContent(answer).toString('utf8'));
    }
    if (answers.length === 0) this.handlers.toServer(line);
    else {
      if (forwarded.length > 0) this.handlers.toServer(jsonLine(forwarded));
      this.toHost(Buffer.from(`[${answers.join(',')}]\n`));
    }
  }

  /** undefined: forward; a Buffer: do not forward, answer the host with this line; null: the session ended. */
  private hostMessage(value: unknown, ambiguity: (item: unknown) => string | undefined): Buffer | undefined | null {
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
    const rawId = value['id'];
    if (typeof rawId === 'number' && !Number.isSafeInteger(rawId)) {
      // Past 2^53 two ids read as one number (…992 and …993), and the guard keys answers by the
      // number: an answer to one could be judged as the other's. MCP ids are strings or integers.
      const refused = `refused a ${method} request of the host: its id is a number that is not an integer up to 2^53, so mcpm cannot tell its answer from another's`;
      this.handlers.notice(sanitize(`mcpm: ${refused}`));
      return errorLine('null', { code: INVALID_REQUEST, message: sanitize(`mcpm ${refused}`) });
    }
    const id = idKey(rawId);
    this.noteClient(method, params);
    const verdict = this.wire.checkRequest(method, params, CALL_METHODS.has(method) ? ambiguity(value) : undefined);
    const call = method === 'tools/call' && isJsonObject(params) ? params : undefined;
    const tool = call && typeof call['name'] === 'string' ? call['name'] : undefined;
    if (verdict.action === 'forward') {
      if (this.pending.size >= MAX_PENDING_REQUESTS) this.forget(this.pending.keys().next().value as string);
      // Only a tools/call needs a start time, and only for its record (the audit log, telemetry): the
      // clock is not read otherwise (twice a call, it was a few percent of a busy session's CPU).
      const entry: Pending = { method, startedAt: 0 };
      if (method === 'tools/call' && this.handlers.toolCall !== undefined) {
        entry.startedAt = this.handlers.now();
        entry.tool = tool;
        entry.arguments = call?.['arguments'] as JsonValue | undefined;
      }
      this.pending.set(id, entry);
      // The large line in progress may be the answer to this request (a server can write an answer
      // to an id before the host sends it): from now on it is judged whole, like any answer the
      // guard inspects. What went ahead before went while the host waited for no such answer.
      if (INSPECTED_METHODS.has(method)) this.lineInProgress?.prefix?.stop();
      return undefined;
    }
    if (verdict.action === 'rewrite') throw new Error('Assertion failed: a host request was rewritten');
    const answer = errorLine(id, verdict.error);
    if (method === 'tools/call' && this.handlers.toolCall !== undefined) {
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
      this.toHost(answer);
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

  /** Bytes for the host: held while part of a server line has gone ahead, so they land after it. */
  private toHost(bytes: Buffer): void {
    const line = this.lineInProgress;
    if (line !== undefined && aheadOf(line) > 0) line.queued.push(bytes);
    else this.handlers.toHost(bytes);
  }

  /**
   * The server line in progress has grown: `parts` are its bytes so far (earlier calls saw a
   * prefix of the same array), `size` their length. Once the line is large and the host waits
   * only for answers the guard does not inspect (a tools/call, say), its start goes ahead to the
   * host as far as line-prefix.ts allows: the host cannot read a message from it before serverLine
   * has judged the whole line and added the rest. A list the guard inspects is always judged whole:
   * a request for one stops the line's start where it is (hostMessage).
   */
  serverPartial(parts: readonly Buffer[], size: number): void {
    if (this.ended) return;
    let line = this.lineInProgress;
    if (line === undefined) {
      if (size < this.skeleton.lineBytes) return;
      line = { prefix: this.awaitsOnlyUninspected() ? new LinePrefix() : undefined, seen: 0, queued: [] };
      this.lineInProgress = line;
    }
    const prefix = line.prefix;
    if (prefix === undefined) return;
    for (; line.seen < parts.length && !prefix.isStopped; line.seen++) {
      const before = prefix.safeBytes;
      const after = prefix.feed(parts[line.seen]!);
      if (after > before) for (const piece of slicesOf(parts, before, after)) this.handlers.toHost(piece);
    }
  }

  /**
   * Ends the line in progress once the guard has judged it; `out` is what it sends for the line
   * (undefined: nothing). When part of the line went ahead and `out` begins with those bytes, the
   * rest follows. Otherwise the host's copy is ended with a bare newline, which leaves it an
   * unfinished object no host reads as a message, and what the guard sends instead follows.
   */
  private finishLine(line: Buffer, out: Buffer | undefined, transient: boolean): void {
    const progress = this.lineInProgress;
    // The path of every small line: nothing went ahead, nothing waits.
    if (progress === undefined && !transient) {
      if (out !== undefined) this.handlers.toHost(out);
      return;
    }
    this.lineInProgress = undefined;
    const ahead = progress === undefined ? 0 : aheadOf(progress);
    // A transient line is the framer's to reuse once this call returns: what is kept of it is copied.
    const kept = (bytes: Buffer): Buffer => (transient && out === line ? Buffer.from(bytes) : bytes);
    if (ahead === 0) {
      if (out !== undefined) this.handlers.toHost(kept(out));
    } else if (out !== undefined && out.length > ahead && (out === line || out.subarray(0, ahead).equals(line.subarray(0, ahead)))) {
      this.handlers.toHost(kept(out.subarray(ahead)));
    } else {
      this.handlers.toHost(NEWLINE);
      this.handlers.notice(sanitize(`mcpm: server ${jsonQuote(this.where.server)}: the first ${ahead} bytes of that line had gone ahead to the host, which got them as a line it cannot read`));
      if (out !== undefined) this.handlers.toHost(kept(out));
    }
    for (const bytes of progress?.queued ?? []) this.handlers.toHost(bytes);
  }

  /** The session ends before the line in progress does: a start that went ahead is ended unreadable. */
  private abandonLine(): void {
    const progress = this.lineInProgress;
    if (progress === undefined) return;
    this.lineInProgress = undefined;
    if (aheadOf(progress) > 0) this.handlers.toHost(NEWLINE);
    for (const bytes of progress.queued) this.handlers.toHost(bytes);
  }

  /**
   * One line from the server's stdout, with its newline. What goes on to the host is the line as
   * judged: as it came when it is clean, with its line breaks escaped when a host could split it
   * (line-check.ts), or a line mcpm wrote; never bytes the guard read differently from a host.
   */
  serverLine(line: Buffer, transient = false): void {
    if (this.ended) return;
    const out = this.judgedLine(line);
    if (this.ended) return;
    this.finishLine(line, out, transient);
  }

  /** What goes to the host for one server line: the line, a line mcpm wrote, or nothing. */
  private judgedLine(line: Buffer): Buffer | undefined {
    const end = contentEnd(line);
    // isUtf8 is native and strict (overlong forms, surrogates); a BOM stays in the text, so
    // JSON.parse refuses it below, as a host would. The line's end (\r\n, \n) is ASCII: the line
    // is UTF-8 exactly when its content is.
    if (!isUtf8(line)) {
      const content = lineContent(line);
      this.refusedLine('a line that is not valid UTF-8', content, () => lenientValues(content.toString('utf8')));
      return undefined;
    }
    this.currentLineBytes = line.length;
    const skeleton = end >= this.skeleton.lineBytes && this.awaitsUninspected() ? this.skeletonOf(line.subarray(0, end), this.lineInProgress?.prefix?.cleanBytes ?? 0) : undefined;
    if (skeleton !== undefined) {
      const decision = this.serverMessage(skeleton.value, strictUnused, () => duplicateKey(skeleton.text, skeleton.value));
      // The line has no character a host splits at (lineSkeleton refuses them): it goes on as it came.
      if (decision.kind === 'forward') return line;
      if (decision.kind !== 'drop') throw new Error('Assertion failed: a skeleton-read response needs a rewrite');
      return undefined;
    }
    const text = line.toString('utf8', 0, end);
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      // Blank lines are not worth a notice (checked only here: this is the path of every response).
      if (text.trim() !== '') this.refusedLine('a line that is not JSON', lineContent(line), () => lenientValues(text));
      return undefined;
    }
    if (Array.isArray(value)) return this.serverBatch(line, text, value);
    const decision = this.serverMessage(value, () => parsePrintedJson(text, value) ?? parseStrictJson(text), () => duplicateKey(text, value));
    switch (decision.kind) {
      case 'forward':
        return hasLineBreaks(text) ? textLine(escapeLineBreaks(text)) : line;
      case 'patch':
        return textLine(escapeLineBreaks(patchedText(text, decision.path, decision.value)));
      case 'replace':
        return jsonLine(decision.message);
      case 'drop':
        return undefined;
    }
  }

  /** Whether every answer the host waits for is one the guard does not inspect (and there is one): a large line can only be one of those, or be dropped. */
  private awaitsOnlyUninspected(): boolean {
    if (this.pending.size === 0) return false;
    for (const pending of this.pending.values()) if (INSPECTED_METHODS.has(pending.method)) return false;
    return true;
  }

  /** Whether the host waits for an answer the guard does not inspect: else no skeleton can do (a large tools/list answer). */
  private awaitsUninspected(): boolean {
    for (const pending of this.pending.values()) if (!INSPECTED_METHODS.has(pending.method)) return true;
    return false;
  }

  /**
   * A large line read through its skeleton (large-line.ts), when what the guard does with the
   * message needs none of the strings left out: a response, to a request the guard does not inspect
   * (a tools/call, say), whose id is not one of them, with no `resultType` (input requests) and no
   * serverInfo copy in its result. Undefined: the line is read in full.
   */
  private skeletonOf(content: Buffer, clean: number): { value: unknown; text: string } | undefined {
    const skeleton = lineSkeleton(content, this.skeleton.stringBytes, clean);
    if (skeleton === undefined) return undefined;
    const text = skeleton.toString('utf8');
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      return undefined;
    }
    const envelope = envelopeOf(value);
    // A long string id reads as "" in the skeleton.
    if (envelope.kind !== 'response' || envelope.id === '') return undefined;
    const pending = this.pending.get(idKey(envelope.id));
    if (pending === undefined || INSPECTED_METHODS.has(pending.method)) return undefined;
    const result = (value as JsonObject)['result'];
    if (isJsonObject(result)) {
      const meta = result['_meta'];
      // By which members are there, not their values: a value here may be a string left out.
      if (Object.hasOwn(result, 'resultType') || (isJsonObject(meta) && Object.hasOwn(meta, SERVER_INFO_META))) return undefined;
    }
    return { value, text };
  }

  private serverBatch(line: Buffer, text: string, items: unknown[]): Buffer | undefined {
    if (items.length === 0) {
      this.dropped('an empty batch', lineContent(line));
      return undefined;
    }
    const duplicate = duplicateKey(text, items);
    if (duplicate !== undefined) {
      // Which item a reader would take the second key for is anyone's guess: none goes on.
      this.unclean(`a batch with the key ${jsonQuote(duplicate)} twice in one object`, answeredIds(items));
      return undefined;
    }
    let strict: JsonValue | undefined;
    const strictItem = (index: number) => () => {
      strict ??= parsePrintedJson(text, items) ?? parseStrictJson(text);
      return (strict as JsonValue[])[index]!;
    };
    const out: unknown[] = [];
    let changed = false;
    items.forEach((item, index) => {
      if (this.ended) return;
      const decision = this.serverMessage(item, strictItem(index), undefined);
      if (decision.kind === 'forward') out.push(item);
      else {
        changed = true;
        if (decision.kind === 'replace') out.push(decision.message);
        else if (decision.kind === 'patch') out.push(withValueAt(item as JsonObject, decision.path, decision.value));
      }
    });
    if (this.ended) return undefined;
    if (!changed) return hasLineBreaks(text) ? textLine(escapeLineBreaks(text)) : line;
    return out.length > 0 ? jsonLine(out) : undefined;
  }

  /**
   * `strict` re-reads the message with the strict parser (it throws StrictJsonError); `duplicate`
   * finds a key given twice in the line (undefined for a batch item: the batch was scanned whole).
   */
  private serverMessage(value: unknown, strict: () => JsonValue, duplicate: (() => string | undefined) | undefined): ServerDecision {
    const envelope = envelopeOf(value);
    if (envelope.kind === 'unclean') return this.unclean(envelope.problem, envelope.answers === undefined ? [] : [envelope.answers]);
    const message = value as JsonObject;
    const pending = envelope.kind === 'response' ? this.pending.get(idKey(envelope.id)) : undefined;
    // The strict parser refuses duplicate keys in the responses it reads; every other line is scanned.
    if (duplicate && !(pending && INSPECTED_METHODS.has(pending.method))) {
      const key = duplicate();
      if (key !== undefined) return this.unclean(`a message with the key ${jsonQuote(key)} twice in one object`, envelope.kind === 'response' ? [envelope.id] : []);
    }
    const holder = envelope.kind === 'response' ? message['result'] : message['params'];
    const folded = isJsonObject(holder) ? foldedMember(holder, RESULT_MEMBERS) : undefined;
    if (folded !== undefined) {
      const where = envelope.kind === 'response' ? 'result' : 'params';
      return this.unclean(`a message whose ${where} has the member ${jsonQuote(folded.key)}, which some hosts read as ${jsonQuote(folded.readAs)}`, envelope.kind === 'response' ? [envelope.id] : []);
    }
    switch (envelope.kind) {
      case 'notification': {
        if (LIST_CHANGED_METHODS.has(envelope.method)) {
          const paced = this.paceListChanged(envelope.method);
          if (paced.kind !== 'forward') return paced;
        }
        // Progress, logging, cancelled and the rest pass; only a serverInfo they carry is held to the lock.
        return this.serverInfoCopy(message, 'params', undefined);
      }
      case 'request':
        return this.serverRequest(envelope.id, envelope.method, message);
      case 'response':
        return this.serverResponse(idKey(envelope.id), pending, message, strict);
    }
  }

  /**
   * A request from the server to the host (2025 revisions; 2026-07-28 servers ask through an
   * input_required result instead, see inputRequests). Pings pass silently. Sampling, elicitation,
   * roots and anything else are told once per kind on stderr and audited; a kind that is denied
   * is answered to the server with an error, and the host never sees it.
   */
  private serverRequest(id: RpcId, method: string, message: JsonObject): ServerDecision {
    if (method !== 'ping') {
      const kind = denyKindOf(method);
      const denied = kind !== undefined && this.deny.has(kind);
      this.noteServerRequest(method, denied ? 'denied' : 'passed', undefined);
      this.handlers.audit?.({ type: 'server-request', at: this.handlers.now(), method, outcome: denied ? 'denied' : 'forwarded', params: message['params'] });
      if (denied) {
        const error = { code: GUARD_ERROR.DENIED, message: sanitize(`mcpm denied this ${method} request: server ${jsonQuote(this.where.server)} may not ask the host for ${kind}`) };
        this.handlers.toServer(errorLine(idKey(id), error));
        return { kind: 'drop' };
      }
    }
    return this.serverInfoCopy(message, 'params', undefined);
  }

  private serverResponse(id: string, pending: Pending | undefined, message: JsonObject, strict: () => JsonValue): ServerDecision {
    if (!pending) {
      const shown = id.length > 40 ? `${id.slice(0, 40)}…` : id;
      // The id of a request the host waits for, spelled as the other type ("7" for 7): some hosts
      // match ids by their number and would take it; it answers no request, but that one is told so.
      const respelled = otherSpelling(id);
      if (respelled !== undefined && this.pending.has(respelled)) {
        return this.unclean(`a response to id ${shown}, where the host sent the id ${respelled}`, [JSON.parse(respelled) as RpcId]);
      }
      this.dropped(`a response to id ${shown}, which the host is not waiting for`, undefined);
      return { kind: 'drop' };
    }
    this.pending.delete(id);
    if (this.deniedInputRequests(id, pending, message['result'])) return { kind: 'drop' };
    if (pending.method === 'tools/call') this.recordCall(pending, message);
    if (!INSPECTED_METHODS.has(pending.method)) return this.serverInfoCopy(message, 'result', id);

    let parsed: JsonValue;
    try {
      parsed = strict();
    } catch (error) {
      const problem = `it breaks the strict JSON rules (${error instanceof Error ? error.message : String(error)})`;
      return this.apply(id, this.wire.badResponse(pending.method, problem));
    }
    if (!isJsonObject(parsed)) throw new Error('Assertion failed: strict parse disagrees with JSON.parse');
    return this.apply(id, this.wire.checkResponse(pending.method, parsed));
  }

  /**
   * 2026-07-28 (multi round-trip requests): a tools/call, prompts/get or resources/read may be
   * answered with `resultType: "input_required"` and `inputRequests` (sampling, elicitation,
   * roots requests) for the host to fulfil before it retries. Each is told and audited as a server
   * request; when one is of a denied kind the host gets an error for its request instead of the
   * result. True when the response was answered that way (and so not forwarded).
   */
  private deniedInputRequests(id: string, pending: Pending, result: unknown): boolean {
    if (!isJsonObject(result) || result['resultType'] !== 'input_required') return false;
    const requests = result['inputRequests'];
    if (!isJsonObject(requests)) return false;
    const asked = Object.keys(requests)
      .map((key) => requests[key])
      .filter(isJsonObject)
      .flatMap((request) => (typeof request['method'] === 'string' ? [{ method: request['method'], params: request['params'] }] : []));
    const refused = asked.find((r) => this.deny.has(denyKindOf(r.method)));
    const at = this.handlers.now();
    for (const request of asked) {
      const fate = refused === undefined ? 'passed' : this.deny.has(denyKindOf(request.method)) ? 'denied' : 'withheld';
      this.noteServerRequest(request.method, fate, pending.method);
      // What the host got: none of the answer's requests when one of them is denied.
      const outcome = refused !== undefined ? 'denied' : 'forwarded';
      this.handlers.audit?.({ type: 'server-request', at, method: request.method, outcome, params: request.params, via: 'input_required' });
    }
    if (refused === undefined) return false;
    const kind = denyKindOf(refused.method)!;
    const answer = errorLine(id, {
      code: GUARD_ERROR.DENIED,
      message: sanitize(`mcpm denied the ${pending.method} answer of server ${jsonQuote(this.where.server)}: it asks the host for ${kind} (${refused.method}), which is denied`),
    });
    if (pending.method === 'tools/call') this.auditCall(pending, 'error', answer.length);
    this.toHost(answer);
    return true;
  }

  /**
   * A serverInfo in the `_meta` of a result or params the guard does not otherwise inspect: the
   * host may show or log any copy it is given, so each is held to the lock (2026-07-28 servers
   * SHOULD put one in every result). `id`: the request a response answers (for refuse).
   */
  private serverInfoCopy(message: JsonObject, member: 'result' | 'params', id: string | undefined): ServerDecision {
    const holder = message[member];
    const meta = isJsonObject(holder) ? holder['_meta'] : undefined;
    if (!isJsonObject(meta) || !Object.hasOwn(meta, SERVER_INFO_META)) return { kind: 'forward' };
    const verdict = this.wire.checkServerInfoCopy(meta[SERVER_INFO_META]);
    if (verdict.action === 'forward') return { kind: 'forward' };
    this.report(verdict.events);
    if (verdict.action === 'rewrite') return { kind: 'patch', path: [member, '_meta', SERVER_INFO_META], value: verdict.message };
    if (id !== undefined) this.toHost(errorLine(id, verdict.error));
    this.endSession(verdict.error.message, 1);
    return { kind: 'drop' };
  }

  /**
   * Says once per session for each kind of server request what happened to it: `passed` on,
   * `denied` (its kind), or `withheld` with an input_required answer that also asks for a denied kind.
   */
  private noteServerRequest(method: string, fate: 'passed' | 'denied' | 'withheld', inAnswerTo: string | undefined): void {
    const kind = denyKindOf(method);
    const label = kind ?? method;
    if (this.noticedKinds.has(label)) return;
    if (this.noticedKinds.size < MAX_NOTICED_KINDS) this.noticedKinds.add(label);
    const what = `${kind === undefined ? 'a request' : `${kind === 'elicitation' ? 'an' : 'a'} ${kind} request`} (${method}${inAnswerTo === undefined ? '' : `, in its input_required answer to ${inAnswerTo}`})`;
    const answered = inAnswerTo === undefined ? 'answered it with an error' : `answered the ${inAnswerTo} with an error`;
    const next =
      fate === 'denied'
        ? `${answered}: ${kind} is denied for this server`
        : fate === 'withheld'
          ? `${answered}: the same answer asks for a kind that is denied for this server`
          : `passed it on${kind === undefined ? '' : ` (mcpm run --deny ${kind} refuses them)`}`;
    this.handlers.notice(sanitize(`mcpm: server ${jsonQuote(this.where.server)} sent the host ${what}; ${next}`));
  }

  /**
   * A message that is not one clean request, notification or response: dropped, said on stderr and
   * in the audit log. A request the host waits for that it claims to answer gets an error instead,
   * so the host does not wait for an answer that will not come.
   */
  private unclean(problem: string, answers: readonly RpcId[]): ServerDecision {
    this.dropped(problem, undefined);
    this.failAnswers(problem, answers);
    return { kind: 'drop' };
  }

  /**
   * A line that is not JSON as it is (`problem` says why), dropped. When a lenient reading of it
   * (`lenient`: lenientValues) finds answers to requests the host waits for, a host that reads
   * leniently would have taken them: each of those requests gets an error, so the host does not
   * wait for it. Nothing of the line goes on either way.
   */
  private refusedLine(problem: string, content: Buffer, lenient: () => unknown[]): void {
    this.dropped(problem, content);
    const answers = answeredIds(lenient().flatMap((value) => (Array.isArray(value) ? value : [value])));
    if (answers.some((answered) => this.pending.has(idKey(answered)))) this.failAnswers(problem, answers);
  }

  /** Audits a dropped server message and answers the requests it claimed to answer with an error. */
  private failAnswers(problem: string, answers: readonly RpcId[]): void {
    this.handlers.audit?.({ type: 'dropped', at: this.handlers.now(), reason: problem });
    for (const answered of answers) {
      const id = idKey(answered);
      const pending = this.pending.get(id);
      if (!pending) continue;
      this.pending.delete(id);
      const answer = errorLine(id, { code: GUARD_ERROR.BAD_RESPONSE, message: sanitize(`mcpm dropped the ${pending.method} answer of server ${jsonQuote(this.where.server)}: it was ${problem}`) });
      if (pending.method === 'tools/call') this.auditCall(pending, 'error', answer.length);
      this.toHost(answer);
    }
  }

  private apply(id: string, verdict: Verdict): ServerDecision {
    if (verdict.action === 'forward') return { kind: 'forward' };
    this.report(verdict.events);
    if (verdict.action === 'rewrite') return { kind: 'replace', message: verdict.message };
    this.toHost(errorLine(id, verdict.error));
    if (verdict.action === 'end') this.endSession(verdict.error.message, 1);
    return { kind: 'drop' };
  }

  private recordCall(pending: Pending, value: Record<string, unknown>): void {
    // The path of every answered tools/call: nothing to work out when nothing records it.
    if (this.handlers.toolCall === undefined) return;
    const result = value['result'];
    const failed = Object.hasOwn(value, 'error') || (isJsonObject(result) && result['isError'] === true);
    this.auditCall(pending, failed ? 'error' : 'ok', this.currentLineBytes);
  }

  /** The audit record of a pending tools/call that ends now, with `responseBytes` sent to the host. */
  private auditCall(pending: Pending, outcome: CallOutcome, responseBytes: number): void {
    if (this.handlers.toolCall === undefined) return;
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
          this.toHost(Buffer.from(`${JSON.stringify({ jsonrpc: '2.0', method })}\n`));
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
      this.toHost(answer);
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
    this.abandonLine();
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
    for (const event of events) {
      this.handlers.notice(trusted(`mcpm: ${describeEvent(event, this.where)}`));
      this.handlers.guardEvent?.(event);
    }
  }

  /** A server line that is not forwarded; the start of it is shown, escaped, to help debug the server. */
  private dropped(what: string, content: Buffer | undefined): void {
    const sample = content === undefined ? '' : `: ${content.subarray(0, 120).toString('utf8')}${content.length > 120 ? '…' : ''}`;
    this.handlers.notice(sanitize(`mcpm: server ${jsonQuote(this.where.server)} sent ${what}; dropped it${sample}`));
  }
}

/** Ids are numbers or strings; the JSON text keys them, so 1 and "1" stay apart. */
export function idKey(id: unknown): string {
  // Numbers print the same either way; String is cheaper on the path of every message. JSON has
  // no Infinity (a 1e400 id): JSON.stringify writes it as null, which answers no request.
  if (typeof id === 'number') return Number.isFinite(id) ? String(id) : 'null';
  return JSON.stringify(id) ?? 'undefined';
}

/**
 * The idKey of the same id as the other JSON type: a string of an integer up to 2^53 as its
 * number, a number as its string; undefined for any other id.
 */
function otherSpelling(key: string): string | undefined {
  if (key.startsWith('"')) {
    const text = JSON.parse(key) as string;
    return /^(0|-?[1-9][0-9]*)$/.test(text) && Number.isSafeInteger(Number(text)) ? String(Number(text)) : undefined;
  }
  return /^-?[0-9]/.test(key) ? JSON.stringify(key) : undefined;
}

/** The ids of the requests that `messages` (server messages, read) claim to answer, well-formed or not. */
function answeredIds(messages: readonly unknown[]): RpcId[] {
  return messages.map(envelopeOf).flatMap((e) => (e.kind === 'response' ? [e.id] : e.kind === 'unclean' && e.answers !== undefined ? [e.answers] : []));
}

/** What a UTF-8 byte order mark reads as. */
const BOM = '\uFEFF';

/**
 * The JSON values a lenient host could read in `text`, a line that is not JSON as it is: the line
 * without a leading byte order mark, or else each of its pieces between bare `\r`s (a line end to
 * Node's `readline` and Python's text pipes). Bytes that were not UTF-8 are U+FFFD in `text`.
 */
function lenientValues(text: string): unknown[] {
  const read = (piece: string): unknown[] => {
    try {
      return [JSON.parse(piece.startsWith(BOM) ? piece.slice(1) : piece)];
    } catch {
      return [];
    }
  };
  const whole = read(text);
  return whole.length > 0 || !text.includes('\r') ? whole : text.split('\r').flatMap(read);
}

/** JSON-RPC's code for a request the guard cannot take as it is (an id it cannot key). */
const INVALID_REQUEST = -32600;

/** `id` is the JSON text of the id (idKey), which may hold a U+2028 of the host's or server's. */
function errorLine(id: string, error: RpcError): Buffer {
  return textLine(escapeLineBreaks(`{"jsonrpc":"2.0","id":${id},"error":${JSON.stringify({ code: error.code, message: error.message })}}`));
}

function strictUnused(): never {
  throw new Error('Assertion failed: a skeleton-read response is not one the guard inspects');
}

const NEWLINE = Buffer.from('\n');

/** How many bytes of a line in progress went ahead to the host: what its prefix found safe, none without one. */
function aheadOf(line: { prefix: LinePrefix | undefined }): number {
  return line.prefix?.safeBytes ?? 0;
}

/** Bytes [from, to) of the concatenation of `parts`, as views of the parts (no copy). */
function slicesOf(parts: readonly Buffer[], from: number, to: number): Buffer[] {
  const pieces: Buffer[] = [];
  let at = 0;
  for (const part of parts) {
    const start = Math.max(from, at);
    const end = Math.min(to, at + part.length);
    if (start < end) pieces.push(part.subarray(start - at, end - at));
    at += part.length;
    if (at >= to) break;
  }
  return pieces;
}

function textLine(text: string): Buffer {
  return Buffer.from(`${text}\n`);
}

/**
 * Why a host line could read as another message to a server (line-check.ts), or undefined. Only a
 * raw `\r` counts among the line breaks: servers on Python's text-mode stdin (the MCP SDK's) end
 * a line there, and no JSON serialiser writes one; U+2028 is written raw by JSON.stringify in the
 * arguments of ordinary calls, and no common server framing splits at it.
 */
function hostLineProblem(text: string, parsed: unknown): string | undefined {
  if (text.includes('\r')) return 'a raw carriage return (\\r)';
  const duplicate = duplicateKey(text, parsed);
  return duplicate === undefined ? undefined : `the key ${jsonQuote(duplicate)} twice in one object`;
}

/** `text` with the value at `path` replaced by `value`, every other byte as it was. */
function patchedText(text: string, path: readonly string[], value: JsonValue): string {
  const span = valueSpan(text, path);
  if (!span) throw new Error(`Assertion failed: ${JSON.stringify(path)} parsed but not located`);
  return `${text.slice(0, span.start)}${JSON.stringify(value)}${text.slice(span.end)}`;
}

/** A copy of `object` with the value at `path` replaced (for a batch, which is written anew anyway). */
function withValueAt(object: JsonObject, path: readonly string[], value: JsonValue): JsonObject {
  const [key, ...rest] = path;
  const copy = Object.assign(Object.create(null) as JsonObject, object);
  copy[key!] = rest.length === 0 ? value : withValueAt(object[key!] as JsonObject, rest, value);
  return copy;
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
