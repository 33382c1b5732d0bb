/**
 * Whether a line that mcpm read as one JSON-RPC message is read the same way by every host, and
 * what to send when it is not. The guard's rule: what reaches the host is exactly what was judged.
 *
 * Framing. mcpm splits at `\n` and parses with JSON.parse. Node's readline and Python's text-mode
 * pipes also end a line at a bare `\r`, and Python's `str.splitlines()` at U+0085, U+2028 and
 * U+2029 as well. In valid JSON a raw `\r` can only be whitespace between tokens, and those three
 * can only be inside strings; so a line holding one is one message to mcpm and several lines to
 * such a host, where a poisoned answer can hide after the break. Such a line is re-written: each
 * `\r` becomes a space and the others `\u` escapes, which leaves the JSON value as it was (and the
 * rest of the bytes too). A clean line, the common case, costs four native string searches.
 *
 * Duplicate keys. JSON.parse keeps the last of two equal keys; other parsers keep the first or
 * refuse the text. A message with a duplicate key anywhere reads one way to mcpm and another to
 * some host, so it is dropped (duplicateKey finds one).
 *
 * Envelope. A message must be exactly one of request, notification or response, with the members
 * JSON-RPC gives it and no other: a "response" that also has a `method` is taken as an answer by a
 * host that matches on `id` and `result`, while mcpm would route it as a request (envelopeOf).
 */
import { judgedMembers } from '../core/folded-keys.js';
import { isJsonObject, jsonQuote, keyEnds, printsBack, type JsonObject } from '../core/json-strict.js';

/** Whether the text holds a character some host framing ends a line at (see the file comment). */
export function hasLineBreaks(text: string): boolean {
  return text.includes('\r') || text.includes('\u2028') || text.includes('\u2029') || text.includes('\u0085');
}

const LINE_BREAKS = /[\r\u0085\u2028\u2029]/g;

/**
 * `text` (valid JSON) with every `\r` as a space and U+0085, U+2028, U+2029 as `\u` escapes: the
 * same JSON value, on one line for every host framing.
 */
export function escapeLineBreaks(text: string): string {
  if (!hasLineBreaks(text)) return text;
  return text.replace(LINE_BREAKS, (c) => (c === '\r' ? ' ' : `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`));
}

/**
 * A message mcpm writes itself, as one line. JSON.stringify escapes `\r` but writes U+2028 and
 * its kin raw (allowed since ES2019), so they are escaped here.
 */
export function jsonLine(value: unknown): Buffer {
  return Buffer.from(`${escapeLineBreaks(JSON.stringify(value))}\n`);
}

/** JSON's structural bytes, for the scans over raw lines here and in line-prefix.ts. */
export const QUOTE = 0x22;
export const BACKSLASH = 0x5c;
export const OPEN_BRACE = 0x7b;
export const CLOSE_BRACE = 0x7d;
export const OPEN_BRACKET = 0x5b;
export const CLOSE_BRACKET = 0x5d;
const COMMA = 0x2c;
/** Keys of one object compared by a linear search up to this many; a Set beyond. */
const LINEAR_KEYS = 16;

interface ObjectKeys {
  list: string[];
  set?: Set<string>;
}

/** Texts up to this long are first proved free of duplicates by counting or printing (duplicateKey). */
const PROVED_CHECK_CHARS = 8 * 1024;

/**
 * The first key that appears twice in one object of `text`, which JSON.parse read as `parsed`;
 * undefined when there is none. Keys are compared as decoded (`"a"` and `"\u0061"` are the same
 * key).
 *
 * A small text is first proved to have none, on the path of every message:
 * - by counting (keysCounted): as many key ends in the text as keys in `parsed`. The cheapest; it
 *   proves any message unless one of its strings begins with a colon or holds `\"` before one;
 * - by printing: a text that prints back from `parsed` exactly, as compact JSON from
 *   JSON.stringify does, has no key twice: the printed text names each key of an object once, and
 *   a second key would have made the text longer.
 *
 * Otherwise the text is scanned: strings are skipped with native searches for `"`, so the cost is
 * in the number of tokens, not of bytes (a megabyte of text content is a few microseconds).
 */
export function duplicateKey(text: string, parsed: unknown): string | undefined {
  if (text.length <= PROVED_CHECK_CHARS && (keysCounted(text, parsed) || printsBack(parsed, text))) return undefined;
  return scannedDuplicateKey(text);
}

/**
 * Whether `text` (valid JSON, read by JSON.parse as `parsed`) has as many key ends, a `"` then
 * whitespace then `:`, as `parsed` has keys: then it names no key twice.
 *
 * - Every key the text names ends so; a string can hold more (`"\":"`), so the text holds at least
 *   one key end per key it names. A key spelled with escapes (`"\u0061"`) ends like any other.
 * - JSON.parse makes one property of each key an object names, and one of a key named twice, so
 *   `parsed` has fewer keys than the text names exactly when a key is named twice.
 * - Equal counts therefore mean no key twice: a string holding a key end only adds to the text's
 *   count, which then proves nothing.
 */
function keysCounted(text: string, parsed: unknown): boolean {
  return inheritsNoKey() && keyEnds(text) === keyCount(parsed);
}

/** Keys of every object in `value`, which JSON.parse made. */
function keyCount(value: unknown): number {
  if (typeof value !== 'object' || value === null) return 0;
  let count = 0;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) count += keyCount(value[i]);
    return count;
  }
  // for-in lists inherited enumerable keys too: keysCounted first makes sure there are none.
  // A text of PROVED_CHECK_CHARS nests at most 4,096 deep, far within the stack for this walk.
  for (const key in value) count += 1 + keyCount((value as Record<string, unknown>)[key]);
  return count;
}

const PLAIN: object = {};
/** Whether a plain object inherits no enumerable key (nothing has added one to Object.prototype). */
function inheritsNoKey(): boolean {
  for (const _ in PLAIN) return false;
  return true;
}

function scannedDuplicateKey(text: string): string | undefined {
  const frames: (ObjectKeys | null)[] = [];
  /** The innermost container: an object's keys, or null for an array (or outside any). */
  let keys: ObjectKeys | null = null;
  let expectKey = false;
  const n = text.length;
  let i = 0;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      let end = text.indexOf('"', i + 1);
      // A quote preceded by an odd number of backslashes is escaped: the string goes on.
      while (end !== -1) {
        let b = end - 1;
        while (text.charCodeAt(b) === BACKSLASH) b--;
        if ((end - 1 - b) % 2 === 0) break;
        end = text.indexOf('"', end + 1);
      }
      if (end === -1) return undefined; // not valid JSON after all: nothing more to compare
      if (expectKey && keys !== null) {
        let key = text.slice(i + 1, end);
        if (key.includes('\\')) key = JSON.parse(text.slice(i, end + 1)) as string;
        if (keys.set) {
          if (keys.set.has(key)) return key;
          keys.set.add(key);
        } else {
          if (keys.list.includes(key)) return key;
          keys.list.push(key);
          if (keys.list.length > LINEAR_KEYS) keys.set = new Set(keys.list);
        }
        expectKey = false;
      }
      i = end + 1;
      continue;
    }
    if (c === OPEN_BRACE) {
      frames.push(keys);
      keys = { list: [] };
      expectKey = true;
    } else if (c === OPEN_BRACKET) {
      frames.push(keys);
      keys = null;
      expectKey = false;
    } else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
      keys = frames.pop() ?? null;
      expectKey = false;
    } else if (c === COMMA) {
      expectKey = keys !== null;
    }
    i++;
  }
  return undefined;
}

export type RpcId = string | number;

export type Envelope =
  | { kind: 'request'; id: RpcId; method: string }
  | { kind: 'notification'; method: string }
  | { kind: 'response'; id: RpcId }
  /** `answers`: the id of a message that carries `result` or `error`, the request it claims to answer. */
  | { kind: 'unclean'; problem: string; answers?: RpcId };

const REQUEST_MEMBERS: ReadonlySet<string> = new Set(['jsonrpc', 'id', 'method', 'params']);
const RESPONSE_MEMBERS: ReadonlySet<string> = new Set(['jsonrpc', 'id', 'result', 'error']);

/**
 * What one parsed message is. A message with a member JSON-RPC does not define is not clean
 * either: nothing judges such a member, yet it reaches the host (where SDK-based hosts refuse the
 * whole message), and a poisoned answer can ride in it.
 */
export function envelopeOf(value: unknown): Envelope {
  if (!isJsonObject(value) || value['jsonrpc'] !== '2.0') return { kind: 'unclean', problem: 'a message that is not JSON-RPC 2.0' };
  const hasResult = Object.hasOwn(value, 'result');
  const hasError = Object.hasOwn(value, 'error');
  const hasId = Object.hasOwn(value, 'id');
  const id = value['id'];
  if (Object.hasOwn(value, 'method')) {
    const method = value['method'];
    if (typeof method !== 'string') return { kind: 'unclean', problem: 'a message whose "method" is not a string', ...(hasResult || hasError ? answering(id) : {}) };
    if (hasResult || hasError) {
      return { kind: 'unclean', problem: `a message that is both a request and a response (it has "method" and "${hasResult ? 'result' : 'error'}")`, ...answering(id) };
    }
    const extra = memberOutside(value, REQUEST_MEMBERS);
    if (extra !== undefined) return { kind: 'unclean', problem: `a ${hasId ? 'request' : 'notification'} with a member JSON-RPC does not define (${jsonQuote(extra)})` };
    if (!hasId) return { kind: 'notification', method };
    if (!isRpcId(id)) return { kind: 'unclean', problem: 'a request whose id is not a string or a number' };
    return { kind: 'request', id, method };
  }
  if (!hasResult && !hasError) return { kind: 'unclean', problem: 'a message that is neither a request, a notification nor a response' };
  if (!hasId || id === null) return { kind: 'unclean', problem: 'a response with no id (or id null), which answers no request' };
  if (!isRpcId(id)) return { kind: 'unclean', problem: 'a response whose id is not a string or a number' };
  if (hasResult && hasError) return { kind: 'unclean', problem: 'a response with both "result" and "error"', ...answering(id) };
  if (hasError && !isJsonObject(value['error'])) return { kind: 'unclean', problem: 'a response whose "error" is not an object', ...answering(id) };
  const extra = memberOutside(value, RESPONSE_MEMBERS);
  if (extra !== undefined) return { kind: 'unclean', problem: `a response with a member JSON-RPC does not define (${jsonQuote(extra)})`, ...answering(id) };
  return { kind: 'response', id };
}

/**
 * The request an unclean message with a `result` or an `error` claims to answer: made only for such a
 * message (envelopeOf runs for every message of a session).
 */
function answering(id: unknown): { answers?: RpcId } {
  return isRpcId(id) ? { answers: id } : {};
}

function isRpcId(id: unknown): id is RpcId {
  return typeof id === 'string' || typeof id === 'number';
}

function memberOutside(message: JsonObject, allowed: ReadonlySet<string>): string | undefined {
  for (const key in message) if (Object.hasOwn(message, key) && !allowed.has(key)) return key;
  return undefined;
}

/**
 * What the guard reads in a result (or a server message's params) by its exact key: the lists it
 * compares with the lock, the server-level fields, the `_meta` that carries a serverInfo copy, and
 * the 2026-07-28 input requests that `--deny` judges.
 */
export const RESULT_MEMBERS = judgedMembers(['_meta', 'capabilities', 'inputRequests', 'instructions', 'nextCursor', 'prompts', 'protocolVersion', 'resourceTemplates', 'resources', 'resultType', 'serverInfo', 'tools']);

/** What the guard reads in the params of a host's call: the item it names, and what it passes. */
export const CALL_PARAMS = judgedMembers(['arguments', 'name', 'uri']);
