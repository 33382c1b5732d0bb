/**
 * RFC 8785 (JCS) text and the `sha256-` integrities built on it: the only place that hashes.
 *
 * The printer is our own rather than json-canonicalize's. That package treats any object with a
 * non-null `toJSON` property as already serialised and hands it to `JSON.stringify`, so a server that
 * puts a `"toJSON"` key into an input schema gets that whole subtree written in insertion order, not
 * sorted: the same definition sent with its keys in another order would hash differently. It also
 * reports an object referenced twice (not a cycle) as circular, and it recurses. This printer is
 * iterative, sorts every object, and has no special keys; the tests compare it with
 * json-canonicalize on inputs without those hazards.
 */
import { createRequire } from 'node:module';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, concatBytes, utf8ToBytes } from '@noble/hashes/utils.js';
import { DEFAULT_MAX_DEPTH, type JsonObject, type JsonValue } from './json-strict.js';
import { VALUE_HASH } from './launch/values.js';
import { sortInPlace } from './small-sort.js';

/** `sha256-<base64>`, the SRI form. */
export type Integrity = `sha256-${string}`;

export const CANONICALIZATION = 'RFC8785';
export const HASH_ALGORITHM = 'sha256';

/**
 * Values are hashed after the lock or snapshot wraps them (a definition sits 3 levels down in a
 * snapshot and 6 in a lock), so the printer allows that much more than the parser. Deeper values
 * cannot come from parsed input; they mean a bug or a cycle.
 */
export const MAX_PRINT_DEPTH = DEFAULT_MAX_DEPTH + 8;

/** RFC 8785 (JCS) text of a value. Throws on depth beyond the strict parser's cap instead of overflowing the stack. */
export function canonicalize(value: JsonValue): string {
  if (typeof value !== 'object' || value === null) return scalar(value);
  // Known native (inKeyOrder, or an earlier print): what writeSortedJson would write, without its
  // set-up, once per definition of a first lock.
  const height = nativeHeights.get(value);
  if (height !== undefined && height <= MAX_PRINT_DEPTH) return JSON.stringify(value);
  // Not kept per object: keeping every definition's text alive costs more than printing it again
  // (the garbage collector copies them from generation to generation); a lock's reader hashes each
  // text inside its server's snapshot as it reads it (printWithIntegrity, IntegrityWriter). Parts
  // already in key order are written natively (writeSortedJson's nativeSubtrees).
  return writeSortedJson(value);
}

/** RFC 8785 text as printWithIntegrity printed it: the only text an IntegrityWriter takes as it is. */
export type CanonicalText = string & { readonly canonical: unique symbol };

/**
 * canonicalize(value) and integrityOf(value) at once, for a caller that then hashes a larger value
 * around this one (IntegrityWriter). `sortedKeys`: every object in `value` is known to list its
 * keys in code-unit order (readNativeJson found them so) and holds only what JSON.parse makes, so
 * the order need not be checked again and JSON.stringify writes the RFC 8785 text.
 */
export function printWithIntegrity(value: JsonObject, sortedKeys = false): { text: CanonicalText; integrity: Integrity } {
  const text = (sortedKeys ? JSON.stringify(value) : canonicalize(value)) as CanonicalText;
  const integrity: Integrity = `sha256-${sha256Base64(text)}`;
  integrities.set(value, integrity);
  return { text, integrity };
}

/**
 * integrityOf of an object written member by member, for one too large to print at once (a
 * server's snapshot is megabytes): the hash reads the same RFC 8785 text, in pieces, and the whole
 * text is never put together. Members must come in code-unit order of their keys at every level,
 * as canonicalize writes them; anything else is a bug, and throws.
 */
export class IntegrityWriter {
  readonly #hash: import('node:crypto').Hash = nativeCrypto().createHash('sha256');
  /** Text written and not yet hashed: small pieces are joined before they are hashed. */
  #pending = '{';
  /** The last key written in each open object, innermost last (undefined: none yet). */
  readonly #keys: Array<string | undefined> = [undefined];

  /** Writes `"key":` followed by the canonical text of `value`. */
  member(key: string, value: JsonValue): void {
    this.#key(key);
    this.#pending += canonicalize(value);
  }

  /**
   * Writes `"key":{"definition":<text>,"integrity":"<integrity>"}`, a snapshot item as snapshotToJson
   * has it, `text` as printWithIntegrity printed it: the definition is hashed from that text, not
   * printed again (a 10 MB lock has thousands of items). An integrity's JSON text is itself in
   * quotes: `sha256-` and base64 need no escape.
   */
  item(key: string, text: CanonicalText, integrity: Integrity): void {
    this.#key(key);
    // Joined, then hashed a few dozen KiB at a time: each update is a call into native code, which
    // cost more than the hashing itself for the small definitions most items have.
    this.#pending += `{"definition":${text},"integrity":"${integrity}"}`;
    if (this.#pending.length >= HASHED_AT) {
      this.#hash.update(this.#pending, 'utf8');
      this.#pending = '';
    }
  }

  /** Writes `"key":{` and writes the next members into that object, until close(). */
  open(key: string): void {
    this.#key(key);
    this.#pending += '{';
    this.#keys.push(undefined);
  }

  close(): void {
    if (this.#keys.length <= 1) throw new Error('Assertion failed: IntegrityWriter.close() without open()');
    this.#keys.pop();
    this.#pending += '}';
  }

  /** The integrity of the whole object; the writer is then done. */
  digest(): Integrity {
    if (this.#keys.length !== 1) throw new Error('Assertion failed: IntegrityWriter.digest() inside an open object');
    this.#hash.update(`${this.#pending}}`, 'utf8');
    return `sha256-${this.#hash.digest('base64')}`;
  }

  #key(key: string): void {
    const level = this.#keys.length - 1;
    const previous = this.#keys[level];
    if (previous !== undefined && !(previous < key)) throw new Error(`Assertion failed: key ${JSON.stringify(key)} written after ${JSON.stringify(previous)}`);
    this.#keys[level] = key;
    this.#pending += `${previous === undefined ? '' : ','}${JSON.stringify(key)}:`;
  }
}

/** Code units of text an IntegrityWriter joins before it hashes them. */
const HASHED_AT = 64 * 1024;

/**
 * The containers in `value` that JSON.stringify, native and several times faster, writes exactly
 * as writeSortedJson does: those whose every object already has its keys in code-unit order, as a
 * lock's definitions (written sorted) do when read back and as mcpm builds its own objects. Then
 * the key order is the same, and so are the string escapes and number forms (see integrityOf).
 * `whole`: the value itself is one; else `marks` holds the largest such containers below it, the
 * ones writeSortedJson meets on its walk. One pass, so a deep value is not walked once per level.
 * Refused alike: anything writeSortedJson refuses (not JSON: NaN, undefined, a hole, a function; a
 * container at `maxDepth` or deeper), and any object whose prototype is neither null nor
 * Object.prototype, where JSON.stringify could find an inherited `toJSON`.
 */
function nativeSubtrees(value: JsonValue, maxDepth: number): { whole: boolean; marks: ReadonlyMap<object, number> } {
  // Each container with the deepest place it was found native at: one referenced twice (mcpm's own
  // objects may share a definition) is native at that depth and any shallower one, never deeper.
  let marks: Map<object, number> | undefined;
  // Containers found native whose parent is not known yet: kept only if the parent is not native.
  const pending: object[] = [];
  let pendingTop = 0;
  // The depth of the deepest container seen: `value`, if found native, is native at any depth where
  // that fits (nativeHeights).
  let deepest = 0;
  const visit = (v: JsonValue, depth: number): boolean => {
    if (typeof v !== 'object' || v === null) return nativeScalar(v);
    if (depth >= maxDepth) return false;
    const height = nativeHeights.get(v);
    if (height !== undefined && depth + height <= maxDepth) {
      deepest = Math.max(deepest, depth + height - 1);
      return true;
    }
    if (depth > deepest) deepest = depth;
    const from = pendingTop;
    let native = true;
    if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) {
        const item = v[i]!;
        if (!visit(item, depth + 1)) native = false;
        else if (typeof item === 'object' && item !== null) pending[pendingTop++] = item;
      }
    } else {
      const prototype = Object.getPrototypeOf(v) as unknown;
      if (prototype !== null && prototype !== Object.prototype) return false;
      let previous: string | undefined;
      // for-in, not Object.keys: no array per object. It lists the own keys in Object.keys order,
      // then any inherited enumerable ones (none, with these prototypes).
      for (const key in v) {
        if (previous !== undefined && !(previous < key)) native = false;
        const item = v[key]!;
        if (!visit(item, depth + 1)) native = false;
        else if (typeof item === 'object' && item !== null) pending[pendingTop++] = item;
        previous = key;
      }
    }
    if (!native) {
      marks ??= new Map();
      for (let i = from; i < pendingTop; i++) marks.set(pending[i]!, Math.max(depth + 1, marks.get(pending[i]!) ?? 0));
    }
    // Not pending.length = from: shortening an array is a call into the runtime, per container.
    pendingTop = from;
    return native;
  };
  const whole = visit(value, 0);
  if (whole && typeof value === 'object' && value !== null) nativeHeights.set(value, deepest + 1);
  return { whole, marks: marks ?? NONE };
}

/**
 * `value` with every object's keys in code-unit order: the same JSON value (jsonEqual), so every
 * integrity, change and finding is the same, but the printers here then write it natively instead
 * of sorting each object themselves. Objects already in order are kept, not copied. Integer-like
 * keys cannot be reordered (JavaScript lists them first, by value): such an object stays out of
 * order, and the printers sort it as before. Values nested deeper than the printers accept are
 * returned as they are, for the printers to refuse.
 *
 * The walk that orders the value also tells whether nativeSubtrees would find it native, by the
 * same rules, and if so records it (nativeHeights): a first lock's definitions, ordered as they
 * arrive, are then printed for their integrities without being walked a second time.
 */
export function inKeyOrder(value: JsonValue): JsonValue {
  const ordered = orderKeys(value, 0);
  if (orderedHeight > 0) nativeHeights.set(ordered as object, orderedHeight);
  return ordered;
}

/**
 * Set by orderKeys for the value it returned: the levels of containers in it (0 for a scalar) when
 * JSON.stringify writes it as writeSortedJson does, or -1.
 */
let orderedHeight = 0;

/** A scalar JSON.stringify writes as writeSortedJson does: any JSON scalar but a non-finite number; nothing else is JSON. */
function nativeScalar(value: unknown): boolean {
  return typeof value === 'string' || typeof value === 'boolean' || value === null || (typeof value === 'number' && Number.isFinite(value));
}

function orderKeys(value: JsonValue, depth: number): JsonValue {
  if (typeof value !== 'object' || value === null) {
    orderedHeight = nativeScalar(value) ? 0 : -1;
    return value;
  }
  if (depth >= MAX_PRINT_DEPTH) {
    orderedHeight = -1;
    return value;
  }
  // Scalars are judged here, not in a call each: they are most of a listing's values, and this
  // runs for every one of a first lock's, mostly before V8 compiles it.
  let height = 0;
  if (Array.isArray(value)) {
    let copy: JsonValue[] | undefined;
    for (let i = 0; i < value.length; i++) {
      // A hole reads as undefined: not JSON, so not native, as nativeSubtrees finds it.
      const item = value[i]!;
      if (typeof item !== 'object' || item === null) {
        if (!nativeScalar(item)) height = -1;
        continue;
      }
      const ordered = orderKeys(item, depth + 1);
      height = orderedHeight < 0 || height < 0 ? -1 : Math.max(height, orderedHeight);
      if (ordered !== item) (copy ??= value.slice())[i] = ordered;
    }
    orderedHeight = height < 0 ? -1 : height + 1;
    return copy ?? value;
  }
  const keys = Object.keys(value);
  const sorted = inCodeUnitOrder(keys);
  let copy: JsonObject | undefined;
  if (!sorted) {
    sortInPlace(keys);
    copy = withKeys(value, keys);
  }
  // Indexed loops here, not for-of: the interpreter allocates an iterator result per step of a for-of.
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i]!;
    const item = value[key]!;
    if (typeof item !== 'object' || item === null) {
      if (!nativeScalar(item)) height = -1;
      continue;
    }
    const ordered = orderKeys(item, depth + 1);
    height = orderedHeight < 0 || height < 0 ? -1 : Math.max(height, orderedHeight);
    if (ordered !== item) {
      copy ??= withKeys(value, keys);
      copy[key] = ordered;
    }
  }
  // Native as nativeSubtrees tells it: a prototype that hides no toJSON, and the keys as listed in
  // code-unit order. A copy (no prototype, keys added in that order) lists them so unless one is
  // integer-like, which JavaScript lists first: only then are its keys looked at again.
  if (height < 0) orderedHeight = -1;
  else if (copy !== undefined) orderedHeight = !sorted && mayBeIndex(keys) && !inCodeUnitOrder(Object.keys(copy)) ? -1 : height + 1;
  else {
    const prototype = Object.getPrototypeOf(value) as unknown;
    orderedHeight = prototype !== null && prototype !== Object.prototype ? -1 : height + 1;
  }
  return copy ?? value;
}

/** Whether a key of `keys` may be integer-like (an array index, which JavaScript lists first): one starting with a digit. */
function mayBeIndex(keys: readonly string[]): boolean {
  for (let i = 0; i < keys.length; i++) {
    const c = keys[i]!.charCodeAt(0);
    if (c >= 0x30 && c <= 0x39) return true;
  }
  return false;
}

/** Whether `keys` are strictly ascending in code-unit order, as an object mcpm built or read from a lock lists them. */
export function inCodeUnitOrder(keys: readonly string[]): boolean {
  for (let i = 1; i < keys.length; i++) if (!(keys[i - 1]! < keys[i]!)) return false;
  return true;
}

/**
 * A JsonObject (no prototype) with `keys` of `from`, in that order. Built as a literal whose
 * prototype is removed after, as parseNativeJson's objects are: V8 keeps such an object in its fast
 * layout (Object.create(null) makes a dictionary, slower to print). A `__proto__` key would set the
 * literal's prototype instead of adding a member: that object (rare, and hostile) is a dictionary.
 */
function withKeys(from: JsonObject, keys: readonly string[]): JsonObject {
  if (keys.includes('__proto__')) {
    const copy = Object.create(null) as JsonObject;
    for (let i = 0; i < keys.length; i++) copy[keys[i]!] = from[keys[i]!]!;
    return copy;
  }
  const copy: Record<string, JsonValue> = {};
  for (let i = 0; i < keys.length; i++) copy[keys[i]!] = from[keys[i]!]!;
  return Object.setPrototypeOf(copy, null) as JsonObject;
}

/**
 * Containers nativeSubtrees found native, with their height (levels of containers, themselves
 * included): native again at any depth where that fits under the limit, so they are not walked
 * again. A first lock's definition, put in key order, is printed for its item integrity, then
 * inside its server's snapshot for the server integrity, then in the lock. Sound because JSON
 * values here are never changed after they are built (as for `integrities`).
 */
const nativeHeights = new WeakMap<object, number>();

// node:crypto takes milliseconds to load (4 to 6 ms on a 2-CPU VM: 16 internal modules, 370 KB of
// fresh memory), and `mcpm run` decides whether to start a server without it: it is loaded at the
// first integrity or value hash, after the spawn. (SHA-256 in JavaScript instead, for a small
// server's few KiB, was slower still: cold, interpreted, 5 ms before the first answer.)
let crypto: typeof import('node:crypto') | undefined;

function nativeCrypto(): typeof import('node:crypto') {
  return (crypto ??= createRequire(import.meta.url)('node:crypto') as typeof import('node:crypto'));
}

function sha256Base64(text: string): string {
  const native = nativeCrypto();
  // crypto.hash (Node 20.12+) is the one-shot form, a few times cheaper per small input than createHash.
  return typeof native.hash === 'function' ? native.hash('sha256', text, 'base64') : native.createHash('sha256').update(text, 'utf8').digest('base64');
}

/**
 * The first `length` hex digits of the SHA-256 of `text` as UTF-8 (lone surrogates as U+FFFD, as
 * node:crypto encodes them): a path or URL made into a file name (guard's sidecars, the lock index,
 * allow-list checkouts). Computed in JavaScript, not node:crypto: `mcpm run` finds the sidecar and
 * the index before it starts a server, and a name is tens of bytes, hashed in microseconds, where
 * loading node:crypto costs a host milliseconds at every session start.
 */
export function nameDigest(text: string, length: number): string {
  return bytesToHex(sha256(utf8ToBytes(text))).slice(0, length);
}

/**
 * integrityOf returns `sha256-` followed by the standard base64 (with `=` padding) of the SHA-256
 * digest of exactly these bytes: the UTF-8 encoding of `canonicalize(value)`, that is RFC 8785 text
 * with no whitespace, object members ordered by the UTF-16 code units of their names, strings
 * escaped as `JSON.stringify` does (so the text is always well-formed Unicode and a lone surrogate
 * is written as `\udXXX`, never as U+FFFD), and numbers in ECMAScript shortest round-trip form
 * (`-0` as `0`, `1e+21`). Nothing else is mixed in: no length prefix, no trailing newline.
 *
 * A per-item integrity covers that item's definition as served. A server's integrity covers
 * `snapshotToJson(snapshot)` (snapshot.ts), which holds every definition and its item integrity.
 */
export function integrityOf(value: JsonValue): Integrity {
  if (typeof value === 'object' && value !== null) {
    const known = integrities.get(value);
    if (known !== undefined) return known;
  }
  const integrity: Integrity = `sha256-${sha256Base64(canonicalize(value))}`;
  if (typeof value === 'object' && value !== null) integrities.set(value, integrity);
  return integrity;
}

/**
 * valueDigest returns the unpadded base64url of scrypt(value as UTF-8, salt as its base64url text,
 * VALUE_HASH): the digest in an env or header value's stored form (launch/values.ts). Memoised per
 * process, since one run binds the same value for every command step that asks.
 */
export function valueDigest(value: string, salt: string): Promise<string> {
  const key = `${salt}\0${value}`;
  let digest = valueDigests.get(key);
  if (digest === undefined) {
    const { N, r, p, keyLength } = VALUE_HASH;
    const scrypt = nativeCrypto().scrypt;
    digest = new Promise((resolve, reject) => {
      scrypt(value, salt, keyLength, { N, r, p }, (error, key) => (error ? reject(error) : resolve(key.toString('base64url'))));
    });
    valueDigests.set(key, digest);
  }
  return digest;
}

const valueDigests = new Map<string, Promise<string>>();

/** A fresh salt for valueDigest: VALUE_HASH.saltBytes random bytes, base64url. */
export function freshValueSalt(): string {
  return nativeCrypto().randomBytes(VALUE_HASH.saltBytes).toString('base64url');
}

/**
 * What records, in mcpm's cache, that each value of a server hashes to the digest the lock has for
 * it, with its salt (adapters/value-matches.ts): the SHA-256 of a key of this user's own followed by
 * the JSON text of every [salt, digest, value], in the order given, cut to 128 bits, in hex.
 * - Keyed, so that without the key a tag neither confirms a guessed value faster than the lock's
 *   scrypt does, nor can be made to match.
 * - The key first and the digest cut in half, rather than HMAC: nobody without the key can extend
 *   a tag to a longer text (that needs the whole 256-bit state, and HMAC's second pass exists to
 *   hide it), and it is one pass of the code nameDigest has already run. `mcpm run` computes one
 *   before it starts a server, in JavaScript (node:crypto takes milliseconds to load): the first
 *   HMAC of a process took 2 ms on a 2-CPU VM, this 0.4.
 * - One for all of a server's values, as JSON text, so that no two lists have the same one (a lone
 *   surrogate is escaped, where scrypt's UTF-8 makes it U+FFFD: such values are only ever hashed again).
 */
export function valueMatchTag(key: Uint8Array, values: ReadonlyArray<{ salt: string; digest: string; value: string }>): string {
  const text = JSON.stringify(['mcpm value match 1', ...values.map(({ salt, digest, value }) => [salt, digest, value])]);
  return bytesToHex(sha256(concatBytes(key, utf8ToBytes(text)))).slice(0, 32);
}

/** A fresh key for valueMatchTag: 32 random bytes. */
export function freshValueMatchKey(): Uint8Array {
  return new Uint8Array(nativeCrypto().randomBytes(32));
}

/** Parsed JSON values are never changed, and a loaded lock checks each definition's integrity more than once. */
const integrities = new WeakMap<object, Integrity>();

/** Standard base64's alphabet, by char code. */
const BASE64 = new Uint8Array(128);
for (const c of 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/') BASE64[c.charCodeAt(0)] = 1;

/**
 * True for the exact form integrityOf writes (a 32-byte digest in padded base64):
 * /^sha256-[A-Za-z0-9+/]{43}=$/, checked without a regular expression (a lock's reader checks one
 * per item, and the regex cost half a microsecond each).
 */
export function isIntegrity(value: unknown): value is Integrity {
  if (typeof value !== 'string' || value.length !== 51 || !value.startsWith('sha256-') || value.charCodeAt(50) !== 0x3d) return false;
  for (let i = 7; i < 50; i++) if (BASE64[value.charCodeAt(i)] !== 1) return false;
  return true;
}

export interface Layout {
  /** One level of indentation, e.g. two spaces. */
  indent: string;
  eol: '\n' | '\r\n';
  /** The text ends with a line break, as a file's does (the lock's). */
  finalEol?: boolean;
}

interface Frame {
  readonly array: readonly JsonValue[] | null;
  readonly object: JsonObject | null;
  /** Sorted keys of `object`; the length to walk for `array`. */
  readonly keys: readonly string[];
  next: number;
}

/**
 * Writes a value with every object's keys in UTF-16 code-unit order: canonical (RFC 8785) without
 * `layout`, one key or element per line with it (the lock's layout; empty `{}` and `[]` stay
 * inline). Keys are walked with `Object.keys`, so integer-like keys keep code-unit order and a
 * `__proto__` own key is written like any other. With `layout`, strings are also written with
 * every invisible code point escaped (escapeInvisible): that text is for people to review. Parts
 * whose objects are already in key order are written by JSON.stringify (nativeSubtrees): the same
 * text, several times faster.
 */
export function writeSortedJson(value: JsonValue, layout?: Layout, maxDepth = MAX_PRINT_DEPTH): string {
  const indents = [''];
  const lineAt = (depth: number): string => {
    if (!layout) return '';
    while (indents.length <= depth) indents.push(indents[indents.length - 1] + layout.indent);
    return layout.eol + indents[depth];
  };
  const colon = layout ? ': ' : ':';
  const quote = layout ? (text: string) => escapeInvisible(JSON.stringify(text)) : JSON.stringify;
  // JSON.stringify indents as the layout does (`{}` and `[]` inline too) for 1 to 10 spaces.
  const native = !layout || /^ {1,10}$/.test(layout.indent) ? nativeSubtrees(value, maxDepth) : { whole: false, marks: NONE };
  const printNative = (v: JsonValue, depth: number): string => {
    if (!layout) return JSON.stringify(v);
    // JSON.stringify indents from column 0. Printed inside `depth` one-element arrays, `v`'s lines
    // get the indentation of its own depth, and the arrays' text around it is a known length to
    // cut off: one native call, where re-indenting every line of a server's snapshot cost more
    // than printing it.
    let wrapped: JsonValue = v;
    for (let i = 0; i < depth; i++) wrapped = [wrapped];
    let text = JSON.stringify(wrapped, null, layout.indent);
    // JSON.stringify hands back a large text in pieces, which the first search of it (escapeInvisible)
    // copies into one: the whole value's final line break is joined before that, not after, when
    // it would make pieces again, for the file's writer to copy all of a lock's megabytes once more.
    if (depth === 0 && layout.finalEol) text += '\n';
    const width = layout.indent.length;
    const head = 2 * depth + (width * depth * (depth + 1)) / 2; // "[\n" and the indentation, at each level
    const tail = 2 * depth + (width * depth * (depth - 1)) / 2; // "\n", the indentation and "]"
    const printed = escapeInvisible(text.slice(head, text.length - tail));
    // Strings hold no raw line break (JSON.stringify escapes it): each one is the layout's own.
    return layout.eol === '\n' ? printed : printed.replace(/\n/g, layout.eol);
  };
  if (native.whole) return printNative(value, 0);
  const stack: Frame[] = [];
  let out = '';
  let current: JsonValue | undefined = value;
  for (;;) {
    if (typeof current === 'object' && current !== null) {
      if (stack.length >= maxDepth) throw new Error(`value nested deeper than ${maxDepth} levels`);
      if ((native.marks.get(current) ?? -1) >= stack.length) {
        out += printNative(current, stack.length);
      } else if (Array.isArray(current)) {
        if (current.length === 0) out += '[]';
        else {
          out += '[';
          stack.push({ array: current, object: null, keys: EMPTY, next: 0 });
        }
      } else {
        // In UTF-16 code-unit order, as RFC 8785 asks.
        const keys = sortInPlace(Object.keys(current));
        if (keys.length === 0) out += '{}';
        else {
          out += '{';
          stack.push({ array: null, object: current, keys, next: 0 });
        }
      }
    } else {
      out += typeof current === 'string' ? quote(current) : scalar(current);
    }

    for (;;) {
      const top = stack[stack.length - 1];
      if (top === undefined) return layout?.finalEol ? out + layout.eol : out;
      const length = top.array ? top.array.length : top.keys.length;
      if (top.next < length) {
        if (top.next > 0) out += ',';
        out += lineAt(stack.length);
        if (top.array) {
          current = top.array[top.next];
        } else {
          const key = top.keys[top.next]!;
          out += quote(key) + colon;
          current = top.object![key];
        }
        top.next++;
        break;
      }
      stack.pop();
      out += lineAt(stack.length) + (top.array ? ']' : '}');
    }
  }
}

const EMPTY: readonly string[] = [];
const NONE: ReadonlyMap<object, number> = new Map();

/**
 * Code points a reader of the file cannot see or that change how the text around them shows:
 * format characters (bidi controls, zero-width, tag characters), C1 controls and DEL, private use,
 * unassigned, line and paragraph separators, and the other default-ignorable ones (variation
 * selectors, Hangul fillers). A pull request diff of the lock shows them as `\uXXXX`, so 61 tag
 * characters after "Echoes its input." cannot hide an instruction from the reviewer.
 */
const INVISIBLE_SOURCE = String.raw`[\p{Cc}\p{Cf}\p{Co}\p{Cn}\p{Zl}\p{Zp}\p{Default_Ignorable_Code_Point}]`;
// Compiled on first use: Unicode property classes take milliseconds, and most strings are ASCII.
let invisibleInJson: RegExp | undefined;

/**
 * JSON text with each invisible code point written as its `\uXXXX` escape (a surrogate pair for
 * those above U+FFFF). The value read back is the same string, so integrities do not change. Only
 * for JSON text: of the code points matched, only a line feed occurs in JSON's own syntax (a
 * layout's line break, kept as it is); C0 controls and lone surrogates in strings are already
 * escaped by JSON.stringify.
 */
export function escapeInvisible(json: string): string {
  // Printable ASCII and line breaks hide nothing. JSON.stringify escapes every C0 control, so the
  // only raw one is a layout's line feed: text of one UTF-8 byte per code unit (counted natively,
  // several times faster than a regular expression, even for short strings) and no DEL is that.
  if (Buffer.byteLength(json, 'utf8') === json.length && !json.includes('\x7f')) return json;
  invisibleInJson ??= new RegExp(INVISIBLE_SOURCE, 'gu');
  return json.replace(invisibleInJson, (ch) => {
    // A raw line feed in JSON text is the layout's own (JSON.stringify escapes one in a string).
    if (ch === '\n') return ch;
    let out = '';
    for (let i = 0; i < ch.length; i++) out += `\\u${ch.charCodeAt(i).toString(16).padStart(4, '0')}`;
    return out;
  });
}

function scalar(value: unknown): string {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return JSON.stringify(value);
    case 'number':
      // RFC 8785 3.2.2.3: NaN and Infinity have no JSON form. JSON.stringify would write null.
      if (!Number.isFinite(value)) throw new Error(`Assertion failed: non-finite number ${value} in a JSON value`);
      return JSON.stringify(value);
    default:
      if (value === null) return 'null';
      throw new Error(`Assertion failed: ${typeof value} in a JSON value`);
  }
}
