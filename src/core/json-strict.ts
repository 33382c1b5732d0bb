/**
 * The one JSON parser for anything a server sends or a lock file holds. `JSON.parse` resolves
 * ambiguities silently (last duplicate key wins, lone surrogates survive until hashing turns them into
 * U+FFFD, 2^53+1 becomes 2^53, 200,000 nested arrays later overflow a recursive hasher), so two texts
 * a host may treat differently could hash the same. This parser refuses every such input instead.
 *
 * Numbers are IEEE doubles, as RFC 8785 hashes them. Every number the canonical printer can write
 * (Number::toString of a finite double) reads back as the same double, so a lock mcpm wrote always
 * reads back and hashes the same.
 */
import { codePointLabel } from './sanitize.js';

export type JsonValue = null | boolean | number | string | JsonValue[] | JsonObject;
/** Always created with a null prototype: keys such as `__proto__` are ordinary own keys. */
export interface JsonObject {
  [key: string]: JsonValue;
}

export interface StrictJsonLimits {
  /** Nesting depth of arrays and objects; deeper input is rejected, never recursed into. */
  maxDepth?: number;
}

export const DEFAULT_MAX_DEPTH = 128;

/**
 * Thrown for any input the strict parser refuses; `offset`, `line` and `column` locate it (1-based
 * line/column), `pointer` names the value it is in (RFC 6901, '' for the whole document): a server's
 * message is one long line, where a column alone says little.
 */
export class StrictJsonError extends Error {
  override readonly name = 'StrictJsonError';
  /** The message without its position, for callers that print the position their own way (`mcp.lock:3:5: …`). */
  readonly reason: string;
  constructor(
    message: string,
    readonly offset: number,
    readonly line: number,
    readonly column: number,
    reason?: string,
    readonly pointer = '',
  ) {
    super(message);
    this.reason = reason ?? message;
  }
}

/**
 * Parses JSON text strictly: duplicate keys, lone surrogates (raw or escaped), numbers past the
 * largest double, integers that would be written back as another integer (past 2^53), and nesting
 * deeper than `maxDepth` are errors, never silently resolved.
 */
export function parseStrictJson(text: string, limits?: StrictJsonLimits): JsonValue {
  return new Parser(text, limits?.maxDepth ?? DEFAULT_MAX_DEPTH).parse();
}

/**
 * parseStrictJson's result, read by the native parser when that provably gives the same value;
 * undefined when it cannot tell, and the caller then gives the text to parseStrictJson (which also
 * says where a problem is). Both read the grammar of RFC 8259, and both round a number to the
 * nearest double; JSON.parse differs only where the strict rules refuse, and each of those is ruled out:
 * - lone surrogates, raw or escaped: a search of the text first (any escaped one declines);
 * - duplicate keys: every string token of the text is a key or a string value of the result unless
 *   a later duplicate key replaced it, so the text has as many string tokens as the result has
 *   keys and strings only when there is none (countStrings, scanText);
 * - nesting deeper than `maxDepth`: counted on the text before JSON.parse runs (scanText), so
 *   a hostile `[[[[…` is declined without being built (JSON.parse would build millions of levels);
 * - numbers: one out of range is Infinity, and declines; an integer past 2^53 is accepted by the
 *   strict rules only when written as the double's own text, so the whole text must then be exactly
 *   `JSON.stringify(value, null, 2)` plus a newline, as mcpm writes its lock (isWrittenJson).
 * Below 2^53 any spelling reads as the same double in both.
 */
export function parseNativeJson(text: string, limits?: StrictJsonLimits): JsonValue | undefined {
  return readNativeJson(text, limits)?.value;
}

/** parseNativeJson's value, and whether its objects list their keys in order. */
export interface NativeRead {
  value: JsonValue;
  /**
   * Every object in `value` lists its keys (for-in, Object.keys, JSON.stringify) in strictly
   * ascending UTF-16 code-unit order, as a lock mcpm wrote does when read back (unless a key is
   * integer-like: V8 lists those first).
   */
  sortedKeys: boolean;
}

/** As parseNativeJson, telling also whether every object's keys are in code-unit order (one walk does both). */
export function readNativeJson(text: string, limits?: StrictJsonLimits): NativeRead | undefined {
  const maxDepth = limits?.maxDepth ?? DEFAULT_MAX_DEPTH;
  if (SURROGATE_PRINTED.test(text)) return undefined;
  const tokens = scanText(text, maxDepth);
  if (tokens === TOO_DEEP) return undefined;
  let value: JsonValue;
  try {
    value = JSON.parse(text) as JsonValue;
  } catch {
    return undefined;
  }
  return counted(text, value, tokens, maxDepth);
}

/**
 * readNativeJson's proof for `value`, JSON.parse's reading of `text`, which has `tokens` string
 * tokens (scanText) and no surrogate; its objects are given a null prototype in place.
 */
function counted(text: string, value: JsonValue, tokens: number, maxDepth: number): NativeRead | undefined {
  const walk = newWalk(maxDepth);
  withNullPrototype(value, 1, walk);
  if (walk.tooDeep || walk.nonFinite || walk.strings !== tokens) return undefined;
  if (walk.largeNumbers && !isWrittenJson(text, value)) return undefined;
  return { value, sortedKeys: !walk.unsorted };
}

/**
 * Up to this length a message is given to JSON.parse before its text is looked at. Nested as deep
 * as its length allows, such a text costs JSON.parse about 0.1 s and 80 MB, no more than a flat
 * list of the largest message (16 MiB of `[],`) costs anyway; a longer one is counted first
 * (scanText), so that 16 MiB of `[` is refused without being built (2 s, 560 MB).
 */
const PARSED_FIRST_LENGTH = 1024 * 1024;

/**
 * parseStrictJson's result for a message a server sent, by the cheapest proof that holds. JSON.parse
 * reads it once and a walk gives its objects a null prototype, counting their keys and finding
 * any number the strict rules may read otherwise and any nesting too deep. Then, as the cheapest
 * proof first:
 * - no number of 2^53 or more and as many key ends in the text as keys in the value (keyEnds): no
 *   key twice. A colon-and-quote scan over the text, with no copy of it; it proves any message
 *   whose strings do not begin with a colon or hold `\"` before one;
 * - the text prints back from the value exactly, as `JSON.stringify` writes a message (every MCP
 *   SDK does): no key twice, and every number spelled as the value prints it (printsBack);
 * - as many string tokens as keys and strings in the value (scanText, which costs four times the
 *   parse itself on a first lock's listings, cold).
 * What none proves goes to the strict parser, which reads it or refuses it, saying where. Throws
 * StrictJsonError for text that is not JSON, or that the strict rules refuse.
 *
 * Counting comes before printing back because printing makes a copy of the text only to compare
 * it: 0.5 MB for a first lock of 4 servers × 800 tools.
 */
export function parseMessageJson(text: string, limits?: StrictJsonLimits): JsonValue {
  const maxDepth = limits?.maxDepth ?? DEFAULT_MAX_DEPTH;
  if (text.length > PARSED_FIRST_LENGTH) return parseNativeJson(text, limits) ?? parseStrictJson(text, limits);
  let parsed: JsonValue;
  try {
    parsed = JSON.parse(text) as JsonValue;
  } catch {
    return parseStrictJson(text, limits); // not JSON: it throws, and says where
  }
  if (SURROGATE_PRINTED.test(text)) return parseStrictJson(text, limits);
  const walk = newWalk(maxDepth);
  withNullPrototype(parsed, 1, walk);
  if (walk.tooDeep || walk.nonFinite) return parseStrictJson(text, limits);
  if (!walk.largeNumbers && keyEnds(text) === walk.keys) return parsed;
  if (printsBack(parsed, text)) return parsed;
  const tokens = scanText(text, maxDepth);
  if (tokens === walk.strings && (!walk.largeNumbers || isWrittenJson(text, parsed))) return parsed;
  return parseStrictJson(text, limits);
}

/**
 * How many times `text` (valid JSON) has a `"`, then JSON whitespace, then `:`: at least once for
 * each key it names, as each key ends so. A string can hold more (`"\":"`, or a value that
 * begins with a colon), never fewer. So when the value JSON.parse read from the text has as many
 * keys, counted over every object, the text names no key twice: JSON.parse makes one property of a
 * key named twice, and the text's count would be higher.
 *
 * Counted from the colons: each colon has at most one such `"` before it and each `"` at most one
 * such colon after it, so the count is the same as from the quotes, and a message has about half
 * as many colons as quotes (every string value adds two quotes): on the guard's path of every
 * message, this took 70 to 100 ns a message where a walk over the quotes took 170 to 200.
 */
export function keyEnds(text: string): number {
  let count = 0;
  for (let i = text.indexOf(':'); i !== -1; i = text.indexOf(':', i + 1)) {
    let before = i - 1;
    // charCodeAt(-1) is NaN: a colon first in the text ends no key.
    let c = text.charCodeAt(before);
    while (c === Ch.Space || c === Ch.Tab || c === Ch.Lf || c === Ch.Cr) c = text.charCodeAt(--before);
    if (c === Ch.Quote) count++;
  }
  return count;
}

const TOO_DEEP = -1;

/**
 * For text JSON.parse then accepts (it declines anything else): the number of string tokens in it,
 * or TOO_DEEP when some array or object sits deeper than `maxDepth` containers. Brackets inside
 * strings are skipped. A string ends at the first quote after an even run of backslashes (none
 * counts), as in JSON's grammar. The text is never read character by character: each of the five
 * characters that matter is found with indexOf, and the nearest is taken (a lock is mostly
 * strings and indentation). Each search starts where the last one of its character ended or past
 * the string that hid it, so the whole is linear. For any text, the scan reads strings as
 * JSON.parse does up to where that fails, so it counts at least the nesting JSON.parse can build.
 */
function scanText(text: string, maxDepth: number): number {
  const n = text.length;
  const find = (ch: string, from: number): number => {
    const at = text.indexOf(ch, from);
    return at === -1 ? n : at;
  };
  let depth = 0;
  let strings = 0;
  let quote = find('"', 0);
  let openBracket = find('[', 0);
  let closeBracket = find(']', 0);
  let openBrace = find('{', 0);
  let closeBrace = find('}', 0);
  for (;;) {
    const open = Math.min(openBracket, openBrace);
    const close = Math.min(closeBracket, closeBrace);
    const next = Math.min(quote, open, close);
    if (next === n) return strings;
    if (next === quote) {
      strings++;
      let end = text.indexOf('"', quote + 1);
      for (;;) {
        if (end === -1) return strings; // unterminated: JSON.parse declines it
        let backslashes = 0;
        while (text.charCodeAt(end - 1 - backslashes) === Ch.Backslash) backslashes++;
        if (backslashes % 2 === 0) break;
        end = text.indexOf('"', end + 1);
      }
      quote = find('"', end + 1);
      // Brackets inside the string are not nesting: look again past it.
      if (openBracket < end) openBracket = find('[', end);
      if (closeBracket < end) closeBracket = find(']', end);
      if (openBrace < end) openBrace = find('{', end);
      if (closeBrace < end) closeBrace = find('}', end);
    } else if (next === open) {
      if (++depth > maxDepth) return TOO_DEEP;
      if (next === openBracket) openBracket = find('[', next + 1);
      else openBrace = find('{', next + 1);
    } else {
      depth--;
      if (next === closeBracket) closeBracket = find(']', next + 1);
      else closeBrace = find('}', next + 1);
    }
  }
}

/** Whether `text` is exactly `JSON.stringify(value, null, 2)` and a newline: how mcpm writes a lock. */
export function isWrittenJson(text: string, value: JsonValue): boolean {
  const written = JSON.stringify(value, null, 2);
  return text.length === written.length + 1 && text.endsWith('\n') && text.startsWith(written);
}

interface Walk {
  readonly maxDepth: number;
  /** Keys and string values seen. */
  strings: number;
  /** Keys seen, of every object. */
  keys: number;
  tooDeep: boolean;
  /** A number whose magnitude is 2^53 or more. */
  largeNumbers: boolean;
  nonFinite: boolean;
  /** An object whose keys are not listed in strictly ascending code-unit order. */
  unsorted: boolean;
}

function newWalk(maxDepth: number): Walk {
  return { maxDepth, strings: 0, keys: 0, tooDeep: false, largeNumbers: false, nonFinite: false, unsorted: false };
}

/**
 * JsonObjects have no prototype (`__proto__` is an ordinary key); JSON.parse's objects do. A walk
 * after the parse rather than a reviver: V8 parses several times faster without one. The objects
 * are changed in place, not copied into Object.create(null): V8 keeps such an object in its fast
 * layout (one shape shared by every object with the same keys), while Object.create(null) makes a
 * dictionary, slower to build and, later, to walk and to print (for a 7.8 MB lock: 10 ms instead of
 * 70 here, and its canonical text printed in half the time). `depth`: of `value`, 1 for the top.
 */
function withNullPrototype(value: JsonValue, depth: number, walk: Walk): void {
  if (typeof value === 'string') {
    walk.strings++;
    return;
  }
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) walk.nonFinite = true;
    else if (Math.abs(value) >= 2 ** 53) walk.largeNumbers = true;
    return;
  }
  if (typeof value !== 'object' || value === null) return;
  // As parseStrictJson counts: the top container is at depth 1, and maxDepth containers may nest.
  if (depth > walk.maxDepth) {
    walk.tooDeep = true;
    return;
  }
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) withNullPrototype(value[i]!, depth + 1, walk);
    return;
  }
  // First, so that for-in then sees own keys only, whatever Object.prototype holds.
  Object.setPrototypeOf(value, null);
  let previous: string | undefined;
  for (const key in value) {
    walk.strings++;
    walk.keys++;
    if (previous !== undefined && !(previous < key)) walk.unsorted = true;
    previous = key;
    withNullPrototype(value[key]!, depth + 1, walk);
  }
}

/**
 * parseStrictJson's result for a line printed by `JSON.stringify(value)` (no spaces: how the MCP
 * SDKs write a message), made from `parsed`, the caller's own `JSON.parse(text)`, which it takes
 * over: its objects are given a null prototype in place. Undefined for any other text, which the
 * caller then gives to parseStrictJson (`parsed` may then have lost some prototypes, nothing else).
 * As for a written lock, printing `parsed` again and finding `text` rules out duplicate keys and
 * every number spelling but Number::toString's; escaped surrogates are ruled out before, nesting
 * deeper than `maxDepth` on the walk. A server answers every tools/list of a session this way:
 * no second parse of a list of 1,000 tools (166 KB), and no copy of it.
 */
export function parsePrintedJson(text: string, parsed: unknown, limits?: StrictJsonLimits): JsonValue | undefined {
  if (SURROGATE_PRINTED.test(text) || !printsBack(parsed, text)) return undefined;
  return printed(parsed as JsonValue, limits?.maxDepth ?? DEFAULT_MAX_DEPTH);
}

/** `parsed`, printed back to its own text, with null prototypes; undefined if nested too deep. */
function printed(parsed: JsonValue, maxDepth: number): JsonValue | undefined {
  // Printed back to the same text, so every number is finite and spelled as printed; only depth is left.
  const walk = newWalk(maxDepth);
  withNullPrototype(parsed, 1, walk);
  return walk.tooDeep ? undefined : parsed;
}

/**
 * Whether `JSON.stringify(parsed)` is `text` exactly: then `text` names no key twice in one object
 * (the printed text never does) and spells every number as Number::toString does. False for a
 * value nested too deep to print (RangeError), far past any depth limit.
 */
export function printsBack(parsed: unknown, text: string): boolean {
  try {
    return JSON.stringify(parsed) === text;
  } catch {
    return false;
  }
}

/**
 * A surrogate escape (JSON.stringify writes a lone surrogate as `\udxxx`, the strict parser refuses
 * it) or a raw lone surrogate: text the native parser would read but the strict rules refuse.
 */
const SURROGATE_PRINTED = /\\u[dD][89a-fA-F]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * A string as a JSON literal made only of printable ASCII, for error messages: names and keys come
 * from servers and lock files, and an error is printed straight to a terminal. Very long strings are
 * cut, visibly, so one 10 MB name cannot flood the screen.
 */
export function jsonQuote(value: string, maxLength = 80): string {
  const cut = value.length > maxLength;
  const shown = JSON.stringify(cut ? value.slice(0, maxLength) : value).replace(
    /[^\x20-\x7e]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
  return cut ? `${shown.slice(0, -1)}…" (${value.length} characters)` : shown;
}

const enum Ch {
  Tab = 0x09,
  Lf = 0x0a,
  Cr = 0x0d,
  Space = 0x20,
  Quote = 0x22,
  Plus = 0x2b,
  Comma = 0x2c,
  Minus = 0x2d,
  Dot = 0x2e,
  Zero = 0x30,
  Nine = 0x39,
  Colon = 0x3a,
  UpperE = 0x45,
  OpenBracket = 0x5b,
  Backslash = 0x5c,
  CloseBracket = 0x5d,
  LowerE = 0x65,
  OpenBrace = 0x7b,
  CloseBrace = 0x7d,
  Bom = 0xfeff,
}

/** An open array, or an open object with the key whose value is being parsed. */
type Frame = { array: JsonValue[]; object: null; key: '' } | { array: null; object: JsonObject; key: string };

/**
 * Iterative, so the depth limit is the only limit on nesting and a hostile `[[[[…` costs one array
 * push per level, not a stack frame.
 */
class Parser {
  private pos = 0;
  /** The open containers, outermost first; a field so that an error can name where it is. */
  private readonly stack: Frame[] = [];
  /** True while an object key is read: the top frame's `key` is then the previous one. */
  private inKey = false;

  constructor(
    private readonly text: string,
    private readonly maxDepth: number,
  ) {}

  parse(): JsonValue {
    const { text } = this;
    if (text.charCodeAt(0) === Ch.Bom) this.fail('unexpected byte order mark', 0);
    const { stack } = this;
    for (;;) {
      let value: JsonValue;
      this.skipWhitespace();
      const c = text.charCodeAt(this.pos);
      if (c === Ch.OpenBracket || c === Ch.OpenBrace) {
        if (stack.length >= this.maxDepth) this.fail(`nesting deeper than ${this.maxDepth} levels`, this.pos);
        this.pos++;
        this.skipWhitespace();
        if (c === Ch.OpenBracket) {
          const array: JsonValue[] = [];
          if (text.charCodeAt(this.pos) !== Ch.CloseBracket) {
            stack.push({ array, object: null, key: '' });
            continue;
          }
          this.pos++;
          value = array;
        } else {
          const object = Object.create(null) as JsonObject;
          if (text.charCodeAt(this.pos) !== Ch.CloseBrace) {
            const frame: Frame = { array: null, object, key: '' };
            stack.push(frame);
            frame.key = this.parseKey(object);
            continue;
          }
          this.pos++;
          value = object;
        }
      } else {
        value = this.parseScalar(c);
      }

      // Attach the finished value to its parent; close every container it completes.
      for (;;) {
        const top = stack[stack.length - 1];
        if (top === undefined) {
          this.skipWhitespace();
          if (this.pos < text.length) this.fail('unexpected data after the JSON value', this.pos);
          return value;
        }
        this.skipWhitespace();
        const next = text.charCodeAt(this.pos);
        if (top.array !== null) {
          top.array.push(value);
          if (next === Ch.Comma) {
            this.pos++;
            break;
          }
          if (next !== Ch.CloseBracket) this.failUnexpected("',' or ']'");
          this.pos++;
          value = top.array;
        } else {
          top.object[top.key] = value;
          if (next === Ch.Comma) {
            this.pos++;
            this.skipWhitespace();
            top.key = this.parseKey(top.object);
            break;
          }
          if (next !== Ch.CloseBrace) this.failUnexpected("',' or '}'");
          this.pos++;
          value = top.object;
        }
        stack.pop();
      }
    }
  }

  /** Parses `"key" :` and refuses a key the object already has. */
  private parseKey(object: JsonObject): string {
    this.inKey = true;
    const start = this.pos;
    if (this.text.charCodeAt(start) !== Ch.Quote) this.failUnexpected('a string key');
    const key = this.parseString();
    // A duplicate is refused rather than resolved: JSON.parse keeps the last value, other parsers
    // the first, so a reviewer and a host could each see a different definition.
    if (Object.hasOwn(object, key)) this.fail(`duplicate key ${jsonQuote(key)}`, start);
    this.skipWhitespace();
    if (this.text.charCodeAt(this.pos) !== Ch.Colon) this.failUnexpected("':'");
    this.pos++;
    this.inKey = false;
    return key;
  }

  private parseScalar(c: number): JsonValue {
    if (c === Ch.Quote) return this.parseString();
    if (c === Ch.Minus || (c >= Ch.Zero && c <= Ch.Nine)) return this.parseNumber();
    if (this.text.startsWith('true', this.pos)) {
      this.pos += 4;
      return true;
    }
    if (this.text.startsWith('false', this.pos)) {
      this.pos += 5;
      return false;
    }
    if (this.text.startsWith('null', this.pos)) {
      this.pos += 4;
      return null;
    }
    return this.failUnexpected('a JSON value');
  }

  private parseString(): string {
    const { text } = this;
    const start = this.pos;
    let pos = start + 1;
    let chunkStart = pos;
    let out = '';
    for (;;) {
      const c = text.charCodeAt(pos);
      if (c === Ch.Quote) break;
      if (Number.isNaN(c)) this.fail('unterminated string', start);
      if (c < Ch.Space) this.fail(`unescaped control character ${codePointLabel(c)} in string`, pos);
      if (c >= 0xd800 && c <= 0xdfff) {
        // Raw surrogates must form a pair: a lone one would be hashed as U+FFFD.
        const low = text.charCodeAt(pos + 1);
        if (c > 0xdbff || !(low >= 0xdc00 && low <= 0xdfff)) this.fail(`lone surrogate ${codePointLabel(c)} in string`, pos);
        pos += 2;
        continue;
      }
      if (c !== Ch.Backslash) {
        pos++;
        continue;
      }
      out += text.slice(chunkStart, pos);
      const escape = text.charCodeAt(pos + 1);
      switch (escape) {
        case Ch.Quote:
          out += '"';
          break;
        case Ch.Backslash:
          out += '\\';
          break;
        case 0x2f:
          out += '/';
          break;
        case 0x62:
          out += '\b';
          break;
        case 0x66:
          out += '\f';
          break;
        case 0x6e:
          out += '\n';
          break;
        case 0x72:
          out += '\r';
          break;
        case 0x74:
          out += '\t';
          break;
        case 0x75: {
          const unit = this.hex4(pos + 2);
          if (unit >= 0xd800 && unit <= 0xdfff) {
            // An escaped surrogate pairs only with the escape right after it, never with a raw one.
            const low = unit <= 0xdbff && text.startsWith('\\u', pos + 6) ? this.hex4(pos + 8) : -1;
            if (!(low >= 0xdc00 && low <= 0xdfff)) this.fail(`lone surrogate \\u${hex(unit)} in string`, pos);
            out += String.fromCharCode(unit, low);
            pos += 6;
          } else {
            out += String.fromCharCode(unit);
          }
          pos += 4;
          break;
        }
        default:
          if (Number.isNaN(escape)) this.fail('unterminated string', start);
          this.fail(`invalid escape ${describe(text, pos + 1)} in string`, pos);
      }
      pos += 2;
      chunkStart = pos;
    }
    this.pos = pos + 1;
    return chunkStart === start + 1 ? text.slice(chunkStart, pos) : out + text.slice(chunkStart, pos);
  }

  private hex4(at: number): number {
    const digits = this.text.slice(at, at + 4);
    if (!/^[0-9a-fA-F]{4}$/.test(digits)) this.fail('invalid \\u escape in string', at - 2);
    return parseInt(digits, 16);
  }

  private parseNumber(): number {
    const { text } = this;
    const start = this.pos;
    let pos = start;
    if (text.charCodeAt(pos) === Ch.Minus) pos++;
    const first = text.charCodeAt(pos);
    if (first === Ch.Zero) {
      pos++;
      if (isDigit(text.charCodeAt(pos))) this.fail('leading zero in number', start);
    } else if (isDigit(first)) {
      while (isDigit(text.charCodeAt(pos))) pos++;
    } else {
      this.pos = pos;
      this.failUnexpected('a digit');
    }
    if (text.charCodeAt(pos) === Ch.Dot) {
      pos++;
      if (!isDigit(text.charCodeAt(pos))) {
        this.pos = pos;
        this.failUnexpected('a digit after the decimal point');
      }
      while (isDigit(text.charCodeAt(pos))) pos++;
    }
    const e = text.charCodeAt(pos);
    if (e === Ch.LowerE || e === Ch.UpperE) {
      pos++;
      const sign = text.charCodeAt(pos);
      if (sign === Ch.Plus || sign === Ch.Minus) pos++;
      if (!isDigit(text.charCodeAt(pos))) {
        this.pos = pos;
        this.failUnexpected('a digit in the exponent');
      }
      while (isDigit(text.charCodeAt(pos))) pos++;
    }
    const raw = text.slice(start, pos);
    const value = Number(raw);
    // RFC 8785 has no text for Infinity: a value past the largest double cannot be locked as sent.
    if (!Number.isFinite(value)) this.fail(`number ${shorten(raw)} is out of range`, start);
    // Numbers are read as doubles, as RFC 8785 hashes them, and the lock writes them back as
    // Number::toString does. Past 2^53 that text can be another integer than the one sent:
    // 12345678901234567890 and …891 are one double, written back as 12345678901234567000, while a
    // host in Python or Rust reads each exactly, so locking them would hide a change between them.
    // An integer is therefore accepted only if it is written back as the same value. This goes by
    // value, never by spelling: 1e20 and 100000000000000000000 are both accepted (the lock writes
    // that text), 9007199254740993 and 9007199254740993.0 both refused. Below 2^53 every integer
    // is written back exactly; a fraction is a double to every reader, rounded as 0.1 is.
    if (Math.abs(value) >= 2 ** 53) {
      const sent = decimalOf(raw);
      // A negative power of ten left means a fraction (the value is not zero here).
      if (!sent.includes('e-') && sent !== decimalOf(String(value))) {
        this.fail(`number ${shorten(raw)} would be written back as ${String(value)}, a different integer`, start);
      }
    }
    this.pos = pos;
    return value;
  }

  private skipWhitespace(): void {
    const { text } = this;
    let pos = this.pos;
    for (;;) {
      const c = text.charCodeAt(pos);
      if (c !== Ch.Space && c !== Ch.Lf && c !== Ch.Cr && c !== Ch.Tab) break;
      pos++;
    }
    this.pos = pos;
  }

  private failUnexpected(expected: string): never {
    if (this.pos >= this.text.length) this.fail(`unexpected end of input, expected ${expected}`, this.pos);
    return this.fail(`unexpected ${describe(this.text, this.pos)}, expected ${expected}`, this.pos);
  }

  private fail(reason: string, offset: number): never {
    const { line, column } = lineAndColumn(this.text, offset);
    const pointer = this.pointer();
    const where = pointer === '' ? '' : ` in ${jsonQuote(pointer, 120)}`;
    throw new StrictJsonError(`${reason}${where} at line ${line}, column ${column}`, offset, line, column, reason, pointer);
  }

  /** RFC 6901 pointer of the value being read: an array's next index, an object's current key. */
  private pointer(): string {
    let pointer = '';
    const { stack } = this;
    for (let i = 0; i < stack.length; i++) {
      const frame = stack[i]!;
      if (frame.array !== null) pointer += `/${frame.array.length}`;
      else if (!(this.inKey && i === stack.length - 1)) pointer += `/${frame.key.replace(/~/g, '~0').replace(/\//g, '~1')}`;
    }
    return pointer;
  }
}

/**
 * A JSON number's exact value as `[-]digits e exponent` with no leading or trailing zeros in the
 * digits ('0' for zero), so two spellings of one value give one string.
 */
function decimalOf(raw: string): string {
  const [, sign, whole, fraction = '', exponent = '0'] = /^(-?)(\d+)(?:\.(\d+))?(?:[eE]([+-]?\d+))?$/.exec(raw)!;
  const digits = (whole! + fraction).replace(/^0+/, '');
  const significant = digits.replace(/0+$/, '');
  if (significant === '') return '0';
  return `${sign}${significant}e${Number(exponent) - fraction.length + digits.length - significant.length}`;
}

function isDigit(c: number): boolean {
  return c >= Ch.Zero && c <= Ch.Nine;
}

function hex(unit: number): string {
  return unit.toString(16).padStart(4, '0');
}

function describe(text: string, at: number): string {
  const c = text.charCodeAt(at);
  return c > Ch.Space && c < 0x7f ? `'${text[at]}'` : `character ${codePointLabel(c)}`;
}

function shorten(raw: string): string {
  return raw.length > 40 ? `${raw.slice(0, 40)}… (${raw.length} digits)` : raw;
}

/** 1-based; columns count UTF-16 code units, as editors that jump to `file:line:col` mostly do. */
export function lineAndColumn(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = text.indexOf('\n'); i !== -1 && i < offset; i = text.indexOf('\n', i + 1)) {
    line++;
    lineStart = i + 1;
  }
  return { line, column: offset - lineStart + 1 };
}
