import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { canonicalize as libraryCanonicalize } from 'json-canonicalize';
import { describe, expect, it } from 'vitest';
import {
  canonicalize,
  escapeInvisible,
  integrityOf,
  IntegrityWriter,
  isIntegrity,
  MAX_PRINT_DEPTH,
  nameDigest,
  printWithIntegrity,
  writeSortedJson,
  type Layout,
} from '../../../src/core/canonical.js';
import { isJsonObject, parseStrictJson, readNativeJson, StrictJsonError, type JsonObject, type JsonValue } from '../../../src/core/json-strict.js';
import { sortInPlace } from '../../../src/core/small-sort.js';
import { jsonText, numberText } from './json-text.js';

function nullProto(entries: Array<[string, JsonValue]>): JsonObject {
  const o = Object.create(null) as JsonObject;
  for (const [k, v] of entries) o[k] = v;
  return o;
}

function nestedArrays(depth: number): JsonValue {
  let value: JsonValue = [];
  for (let i = 1; i < depth; i++) value = [value];
  return value;
}

describe('canonicalize (RFC 8785)', () => {
  it('matches the RFC 8785 section 3.2.2 example', () => {
    const input =
      '{"numbers":[333333333.33333329,1E30,4.50,2e-3,0.000000000000000000000000001],' +
      '"string":"\\u20ac$\\u000F\\u000aA\'\\u0042\\u0022\\u005c\\\\\\"\\/","literals":[null,true,false]}';
    expect(canonicalize(parseStrictJson(input))).toBe(
      '{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],' +
        '"string":"€$\\u000f\\nA\'B\\"\\\\\\\\\\"/"}',
    );
  });

  it('sorts keys by UTF-16 code units (the RFC 8785 section 3.2.3 example)', () => {
    const input = '{"\\u20ac":"Euro Sign","\\r":"Carriage Return","\\ufb33":"Hebrew Letter Dalet With Dagesh","1":"One","\\ud83d\\ude00":"Emoji: Grinning Face","\\u0080":"Control","\\u00f6":"Latin Small Letter O With Diaeresis"}';
    expect(canonicalize(parseStrictJson(input))).toBe(
      '{"\\r":"Carriage Return","1":"One","\u0080":"Control","\u00f6":"Latin Small Letter O With Diaeresis",' +
        '"\u20ac":"Euro Sign","\ud83d\ude00":"Emoji: Grinning Face","\ufb33":"Hebrew Letter Dalet With Dagesh"}',
    );
  });

  it('orders integer-like keys as strings, unlike JSON.stringify', () => {
    const value = parseStrictJson('{"b":1,"2":2,"10":3,"1":4}');
    expect(canonicalize(value)).toBe('{"1":4,"10":3,"2":2,"b":1}');
    expect(JSON.stringify(value)).toBe('{"1":4,"2":2,"10":3,"b":1}');
  });

  it('writes __proto__, constructor and toString keys like any other', () => {
    const value = parseStrictJson('{"toString":1,"__proto__":{"x":[1]},"constructor":{"prototype":2}}');
    expect(canonicalize(value)).toBe('{"__proto__":{"x":[1]},"constructor":{"prototype":2},"toString":1}');
    expect(canonicalize(nullProto([['__proto__', 'a']]))).toBe('{"__proto__":"a"}');
    // An own __proto__ on an ordinary object (as JSON.parse makes it) is written too.
    expect(canonicalize(JSON.parse('{"__proto__":1}') as JsonValue)).toBe('{"__proto__":1}');
  });

  it('sorts an object that has a toJSON key (json-canonicalize writes it in insertion order)', () => {
    const a = parseStrictJson('{"toJSON":1,"b":{"z":1,"y":2},"a":0}');
    const b = parseStrictJson('{"a":0,"b":{"y":2,"z":1},"toJSON":1}');
    expect(canonicalize(a)).toBe('{"a":0,"b":{"y":2,"z":1},"toJSON":1}');
    expect(canonicalize(b)).toBe(canonicalize(a));
    expect(libraryCanonicalize(a)).not.toBe(libraryCanonicalize(b));
  });

  it('writes numbers in ECMAScript form', () => {
    expect(canonicalize([-0, 0, 1e21, 1e-7, 0.1, 100, 5e-324, -1.5])).toBe('[0,0,1e+21,1e-7,0.1,100,5e-324,-1.5]');
  });

  it('escapes strings as JSON.stringify does, lone surrogates included', () => {
    expect(canonicalize(['\u0000\u001f\u007f\u2028', '\ud800', '\ufffd', '😀'])).toBe(
      '["\\u0000\\u001f\u007f\u2028","\\ud800","\ufffd","😀"]',
    );
  });

  it('accepts an object reached twice that is not a cycle', () => {
    const shared = parseStrictJson('{"k":1}');
    expect(canonicalize(nullProto([['a', shared], ['ab', shared]]))).toBe('{"a":{"k":1},"ab":{"k":1}}');
  });

  it('rejects values nested deeper than the cap with a plain error, never a stack overflow', () => {
    expect(() => canonicalize(nestedArrays(200_000))).toThrow(
      new Error(`value nested deeper than ${MAX_PRINT_DEPTH} levels`),
    );
    expect(() => canonicalize(nestedArrays(MAX_PRINT_DEPTH))).not.toThrow();
    expect(() => canonicalize(nestedArrays(MAX_PRINT_DEPTH + 1))).toThrow(/nested deeper/);
  });

  it('stops on a cycle instead of looping', () => {
    const cycle = Object.create(null) as JsonObject;
    cycle.self = cycle;
    expect(() => canonicalize(cycle)).toThrow(/nested deeper/);
  });

  it.each([
    ['NaN', [Number.NaN]],
    ['Infinity', { a: Number.POSITIVE_INFINITY }],
    ['undefined', { a: undefined }],
    ['a hole', Object.assign(new Array<number>(3), { 0: 1, 2: 2 })],
    ['a function', [() => 1]],
    ['a bigint', [1n]],
  ])('calls %s in a value a bug', (_name, value) => {
    expect(() => canonicalize(value as unknown as JsonValue)).toThrow(/^Assertion failed: /);
  });

  it('agrees with json-canonicalize where that library is correct', () => {
    const noToJson = (v: unknown): boolean =>
      typeof v !== 'object' || v === null || (Array.isArray(v) ? v.every(noToJson) : !('toJSON' in v) && Object.values(v).every(noToJson));
    fc.assert(
      fc.property(fc.jsonValue({ stringUnit: 'binary', maxDepth: 6 }), (value) => {
        fc.pre(noToJson(value));
        expect(canonicalize(value as JsonValue)).toBe(libraryCanonicalize(value));
      }),
      { numRuns: 500 },
    );
  });
});

describe('integrityOf', () => {
  it('is sha256 over the UTF-8 bytes of the canonical text, in SRI form', () => {
    const value = parseStrictJson('{ "b": "é😀", "a": [1.0, 2e0] }');
    const bytes = Buffer.from('{"a":[1,2],"b":"é😀"}', 'utf8');
    const expected = `sha256-${createHash('sha256').update(bytes).digest('base64')}`;
    expect(integrityOf(value)).toBe(expected);
    expect(integrityOf({})).toBe('sha256-RBNvo1WzZ4oRRq0W9+hknpT7T8If536DEMBg9hyq/4o=');
    expect(isIntegrity(expected)).toBe(true);
  });

  it('never hashes a lone surrogate like U+FFFD', () => {
    expect(integrityOf('\ud800')).not.toBe(integrityOf('\ufffd'));
    expect(integrityOf({ d: 'a\udc00' })).not.toBe(integrityOf({ d: 'a\ufffd' }));
    // The naive way collides, which is why the canonical text escapes instead.
    const naive = (s: string) => createHash('sha256').update(s).digest('base64');
    expect(naive('\ud800')).toBe(naive('\ufffd'));
  });

  it('ignores key order and whitespace but not values', () => {
    expect(integrityOf(parseStrictJson('{"a":1,"b":2}'))).toBe(integrityOf(parseStrictJson('{ "b" : 2 ,\n"a":1 }')));
    expect(integrityOf(parseStrictJson('{"a":"x"}'))).not.toBe(integrityOf(parseStrictJson('{"a":"x "}')));
    expect(integrityOf(parseStrictJson('[1,2]'))).not.toBe(integrityOf(parseStrictJson('[2,1]')));
  });

  it('recognises only the exact SRI form', () => {
    const good = integrityOf(null);
    expect([good, good.slice(0, -1), `sha512-${good.slice(7)}`, `${good}x`, 42, undefined].map(isIntegrity)).toEqual([
      true,
      false,
      false,
      false,
      false,
      false,
    ]);
  });

  it('agrees with /^sha256-[A-Za-z0-9+/]{43}=$/ on every near miss (property over text)', () => {
    const good = integrityOf(null);
    const near = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 60 }),
      fc.tuple(fc.nat(55), fc.string({ unit: 'binary', minLength: 1, maxLength: 2 })).map(([at, s]) => `${good.slice(0, at)}${s}${good.slice(at + s.length)}`),
      fc.tuple(fc.nat(55), fc.nat(3)).map(([at, n]) => `${good.slice(0, at)}${good.slice(at + n)}`),
      fc.constantFrom(good, `${good}\n`, good.replace('=', 'A'), good.replace(/.$/, '\u0000'), `sha256-${'/'.repeat(43)}=`, `sha256-${'+'.repeat(43)}=`),
    );
    fc.assert(
      fc.property(near, (text) => {
        expect(isIntegrity(text), JSON.stringify(text)).toBe(/^sha256-[A-Za-z0-9+/]{43}=$/.test(text));
      }),
      { numRuns: 5000 },
    );
  });
});

describe('nameDigest', () => {
  it("is node:crypto's SHA-256 hex of the text as UTF-8, cut to the length asked (property over text, lone surrogates included)", () => {
    const viaCrypto = (text: string, length: number) => createHash('sha256').update(text).digest('hex').slice(0, length);
    expect(nameDigest('', 64)).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    expect(nameDigest('/home/a/.mcp.json', 32)).toBe(viaCrypto('/home/a/.mcp.json', 32));
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 300 }), fc.integer({ min: 0, max: 64 }), (text, length) => {
        expect(nameDigest(text, length)).toBe(viaCrypto(text, length));
      }),
      { numRuns: 500 },
    );
    // Lengths around SHA-256's 64-byte block and its padding, where a hand-made implementation breaks.
    for (const n of [54, 55, 56, 63, 64, 65, 119, 120, 1000]) expect(nameDigest('x'.repeat(n), 64)).toBe(viaCrypto('x'.repeat(n), 64));
  });
});

describe('writeSortedJson with a layout', () => {
  it('writes one key or element per line, empty containers inline', () => {
    const value = parseStrictJson('{"b":[1,{},[],{"y":null,"x":"s"}],"a":{},"c":[]}');
    expect(writeSortedJson(value, { indent: '  ', eol: '\n' })).toBe(
      [
        '{',
        '  "a": {},',
        '  "b": [',
        '    1,',
        '    {},',
        '    [],',
        '    {',
        '      "x": "s",',
        '      "y": null',
        '    }',
        '  ],',
        '  "c": []',
        '}',
      ].join('\n'),
    );
  });

  it('uses the given line ending everywhere and reads back to the same value', () => {
    const value = parseStrictJson('{"k":["a\\nb",{"z":1}]}');
    const text = writeSortedJson(value, { indent: '  ', eol: '\r\n' });
    expect(text.split('\r\n')).toHaveLength(8);
    expect(text.replace(/\r\n/g, '')).not.toContain('\n');
    expect(parseStrictJson(text)).toEqual(value);
  });

  it('writes scalars alone', () => {
    expect(writeSortedJson('x', { indent: '  ', eol: '\n' })).toBe('"x"');
    expect(writeSortedJson({}, { indent: '  ', eol: '\n' })).toBe('{}');
  });

  it('ends with one line break of the layout when asked (finalEol), whether printed natively or walked', () => {
    // In key order (printed natively, as a whole), out of order (walked), integer-like keys (walked),
    // invisible characters (escaped after the native print), and a scalar.
    const texts = ['{"a":[1,{"b":"c"}],"d":{}}', '{"z":1,"a":{"y":[2],"b":null}}', '{"10":1,"9":[{"2":0}]}', '{"a":"x\u200by"}', '"s"'];
    for (const text of texts) {
      for (const eol of ['\n', '\r\n'] as const) {
        const value = parseStrictJson(text);
        const written = writeSortedJson(value, { indent: '  ', eol, finalEol: true });
        expect(written).toBe(writeSortedJson(value, { indent: '  ', eol }) + eol);
        expect(written.endsWith(`${eol}${eol}`)).toBe(false);
      }
    }
  });
});

describe('parse, print, parse: every number a server may send (JSON text, not values built in JavaScript)', () => {
  /** parseStrictJson's value, or undefined when it refuses the text. */
  const parsed = (text: string): JsonValue | undefined => {
    try {
      return parseStrictJson(text);
    } catch (error) {
      if (error instanceof StrictJsonError) return undefined;
      throw error;
    }
  };

  it('reads back what it printed, with the same hash and the same bytes, in both layouts', () => {
    let accepted = 0;
    fc.assert(
      fc.property(jsonText, fc.constantFrom<'\n' | '\r\n'>('\n', '\r\n'), (text, eol) => {
        const value = parsed(text);
        if (value === undefined) return;
        accepted++;
        for (const printed of [writeSortedJson(value, { indent: '  ', eol }) + eol, canonicalize(value)]) {
          const back = parseStrictJson(printed);
          expect(integrityOf(back)).toBe(integrityOf(value));
          expect(canonicalize(back)).toBe(canonicalize(value));
          expect(writeSortedJson(back, { indent: '  ', eol }) + eol).toBe(writeSortedJson(value, { indent: '  ', eol }) + eol);
        }
      }),
      { numRuns: 1500 },
    );
    // Most texts must be accepted, or the property says little.
    expect(accepted).toBeGreaterThan(500);
  });

  it('prints each number as Number::toString, which the parser always accepts back', () => {
    fc.assert(
      fc.property(numberText, (text) => {
        const value = parsed(text);
        if (value === undefined) return;
        const printed = canonicalize(value);
        expect(printed).toBe(JSON.stringify(value));
        expect(parseStrictJson(printed)).toBe(Object.is(value, -0) ? 0 : value);
      }),
      { numRuns: 3000 },
    );
  });

  it.each([
    ['1e20', '100000000000000000000'],
    ['9007199254740992.0', '9007199254740992'],
    ['9007199254740993.5', '9007199254740994'],
    ['12345678901234567000', '12345678901234567000'],
    ['100000000000000000000000', '1e+23'],
    ['-0', '0'],
    ['-0.0e5', '0'],
    ['1E-7', '1e-7'],
    ['1e-400', '0'],
    ['5e-324', '5e-324'],
    ['1.7976931348623157e308', '1.7976931348623157e+308'],
  ])('%s is printed as %s and reads back', (text, printed) => {
    expect(canonicalize(parseStrictJson(`{"maximum":${text}}`))).toBe(`{"maximum":${printed}}`);
    expect(parseStrictJson(printed)).toBe(parseStrictJson(text) || 0);
  });
});

describe('canonicalize of values already in key order', () => {
  /** The same value with every object's keys inserted in code-unit order, as a lock read back has them. */
  const sortedCopy = (value: JsonValue): JsonValue => {
    if (Array.isArray(value)) return value.map(sortedCopy);
    if (value === null || typeof value !== 'object') return value;
    const out = Object.create(null) as JsonObject;
    for (const key of Object.keys(value).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))) out[key] = sortedCopy(value[key]!);
    return out;
  };

  it('is the text writeSortedJson writes, whether or not keys are in order (integer-like keys, surrogates, -0)', () => {
    const key = fc.oneof(fc.string({ unit: 'binary', maxLength: 4 }), fc.constantFrom('0', '1', '10', '9', '__proto__', 'toJSON', 'a', 'B'));
    const value = fc.letrec<{ v: JsonValue }>((tie) => ({
      v: fc.oneof(
        { depthSize: 'small' },
        fc.constantFrom<JsonValue>(0, -0, 1e21, 1.5e-7, -1, true, false, null, '\ud800', 'é'),
        fc.string({ unit: 'binary', maxLength: 5 }),
        fc.array(tie('v'), { maxLength: 3 }),
        fc.dictionary(key, tie('v'), { maxKeys: 4 }).map((o) => Object.assign(Object.create(null) as JsonObject, o)),
      ),
    })).v;
    fc.assert(
      fc.property(value, (v) => {
        const expected = writeSortedJson(v);
        expect(canonicalize(v)).toBe(expected);
        expect(canonicalize(sortedCopy(v))).toBe(expected);
      }),
      { numRuns: 500 },
    );
  });

  const keptCopy = (value: JsonValue): JsonValue => {
    if (Array.isArray(value)) return value.map(keptCopy);
    if (value === null || typeof value !== 'object') return value;
    const out = Object.create(null) as JsonObject;
    for (const key of Object.keys(value)) out[key] = keptCopy(value[key]!);
    return out;
  };

  it('is the same text when parts inside were canonicalised first (a snapshot around hashed definitions)', () => {
    const parts = (value: JsonValue): JsonValue[] =>
      typeof value !== 'object' || value === null ? [] : [value, ...(Array.isArray(value) ? value : Object.values(value)).flatMap(parts)];
    fc.assert(
      fc.property(fc.jsonValue({ stringUnit: 'binary', maxDepth: 5 }), fc.boolean(), fc.array(fc.nat()), (json, sorted, picks) => {
        // A fresh copy, keys in order or as generated, so nothing of it is known yet; then some parts of it first.
        const whole = sorted ? sortedCopy(json as JsonValue) : keptCopy(json as JsonValue);
        const expected = writeSortedJson(whole);
        const inside = parts(whole).slice(1);
        for (const pick of picks) if (inside.length > 0) canonicalize(inside[pick % inside.length]!);
        const wrapped = Object.assign(Object.create(null) as JsonObject, { b: whole, a: [whole] });
        expect(canonicalize(whole)).toBe(expected);
        expect(canonicalize(wrapped)).toBe(`{"a":[${expected}],"b":${expected}}`);
      }),
      { numRuns: 500 },
    );
  });
});

describe('printWithIntegrity and IntegrityWriter: a large value hashed in parts', () => {
  const key = fc.oneof(fc.string({ unit: 'binary', maxLength: 4 }), fc.constantFrom('0', '2', '10', '__proto__', 'toJSON', 'a', 'B', 'é'));
  const value = fc.letrec<{ v: JsonValue }>((tie) => ({
    v: fc.oneof(
      { depthSize: 'small' },
      fc.constantFrom<JsonValue>(0, -0, 1e21, 1.5e-7, -1, true, false, null, '\ud800', 'é', '\u2028'),
      fc.string({ unit: 'binary', maxLength: 5 }),
      fc.array(tie('v'), { maxLength: 3 }),
      fc.dictionary(key, tie('v'), { maxKeys: 4 }).map((o) => nullProto(Object.entries(o))),
    ),
  })).v;
  /** A copy no integrity was computed for yet. */
  const fresh = (v: JsonValue): JsonValue =>
    typeof v !== 'object' || v === null ? v : Array.isArray(v) ? v.map(fresh) : nullProto(Object.keys(v).map((k) => [k, fresh(v[k]!)]));

  it('prints the canonical text and integrity, and with sortedKeys a lock read back prints the same natively (property)', () => {
    let native = 0;
    fc.assert(
      fc.property(fc.dictionary(key, value, { maxKeys: 5 }), (members) => {
        const object = nullProto(Object.entries(members));
        const { text, integrity } = printWithIntegrity(fresh(object) as JsonObject);
        expect(text).toBe(writeSortedJson(object));
        expect(integrity).toBe(integrityOf(fresh(object)));
        // As the lock reader has it: the lock's layout, read natively, its key order found by the walk.
        const read = readNativeJson(`${writeSortedJson(object, { indent: '  ', eol: '\n' })}\n`);
        if (read?.sortedKeys) {
          native++;
          expect(printWithIntegrity(read.value as JsonObject, true)).toEqual({ text, integrity });
        }
      }),
      { numRuns: 500 },
    );
    // About a quarter of the runs read back natively (117–141 of 500 seen): the bound is far below, so it never flakes.
    expect(native).toBeGreaterThan(60);
  });

  it('gives integrityOf of the object written member by member, nested objects and printed texts alike (property)', () => {
    fc.assert(
      fc.property(fc.dictionary(key, value, { maxKeys: 6 }), fc.array(fc.constantFrom('member', 'open', 'item')), (members, ways) => {
        const object = nullProto(Object.entries(members));
        const writer = new IntegrityWriter();
        const sorted = (o: JsonObject): string[] => Object.keys(o).sort();
        sorted(object).forEach((k, i) => {
          const v = object[k]!;
          const way = ways[i % Math.max(ways.length, 1)] ?? 'member';
          if (way === 'item' && isJsonObject(v)) {
            // What the writer hashed is the item's stored form, so that is what the object holds.
            const printed = printWithIntegrity(fresh(v) as JsonObject);
            writer.item(k, printed.text, printed.integrity);
            object[k] = nullProto([
              ['definition', v],
              ['integrity', printed.integrity],
            ]);
          } else if (way === 'open' && isJsonObject(v)) {
            writer.open(k);
            for (const inner of sorted(v)) writer.member(inner, v[inner]!);
            writer.close();
          } else writer.member(k, v);
        });
        expect(writer.digest()).toBe(integrityOf(fresh(object)));
      }),
      { numRuns: 500 },
    );
  });

  it('refuses members out of code-unit order, a repeated key and unbalanced objects as bugs', () => {
    const outOfOrder = new IntegrityWriter();
    outOfOrder.member('b', 1);
    expect(() => outOfOrder.member('a', 1)).toThrow(/Assertion failed/);
    const repeated = new IntegrityWriter();
    repeated.member('a', 1);
    expect(() => repeated.member('a', 1)).toThrow(/Assertion failed/);
    // Integer-like keys go by code units too: "10" before "2".
    const numeric = new IntegrityWriter();
    numeric.member('10', 1);
    numeric.member('2', 1);
    expect(numeric.digest()).toBe(integrityOf(nullProto([['2', 1], ['10', 1]])));
    expect(() => new IntegrityWriter().close()).toThrow(/Assertion failed/);
    const open = new IntegrityWriter();
    open.open('a');
    expect(() => open.digest()).toThrow(/Assertion failed/);
    const empty = new IntegrityWriter();
    expect(empty.digest()).toBe(integrityOf(nullProto([])));
  });
});

describe('writeSortedJson, printing natively what is already in key order', () => {
  /** The printer spelled out, one recursive call per value: what writeSortedJson must always write. */
  const reference = (value: JsonValue, layout: Layout | undefined, maxDepth: number, depth = 0): string => {
    const line = (d: number): string => (layout ? layout.eol + layout.indent.repeat(d) : '');
    const quote = (text: string): string => (layout ? escapeInvisible(JSON.stringify(text)) : JSON.stringify(text));
    if (typeof value === 'string') return quote(value);
    if (typeof value === 'number') {
      if (!Number.isFinite(value)) throw new Error('not finite');
      return JSON.stringify(value);
    }
    if (typeof value === 'boolean' || value === null) return JSON.stringify(value);
    if (typeof value !== 'object') throw new Error('not JSON');
    if (depth >= maxDepth) throw new Error('too deep');
    if (Array.isArray(value)) {
      if (value.length === 0) return '[]';
      return `[${value.map((item) => line(depth + 1) + reference(item, layout, maxDepth, depth + 1)).join(',')}${line(depth)}]`;
    }
    const keys = Object.keys(value).sort();
    if (keys.length === 0) return '{}';
    return `{${keys.map((k) => `${line(depth + 1)}${quote(k)}${layout ? ': ' : ':'}${reference(value[k]!, layout, maxDepth, depth + 1)}`).join(',')}${line(depth)}}`;
  };
  const outcome = (print: () => string): string => {
    try {
      return print();
    } catch {
      return 'refused';
    }
  };

  /** A prototype JSON.stringify would consult and writeSortedJson must not. */
  class Hidden {
    toJSON(): string {
      return 'hidden';
    }
  }
  const key = fc.oneof(
    fc.string({ unit: 'binary', maxLength: 3 }),
    fc.constantFrom('0', '1', '10', '2', '__proto__', 'toJSON', 'a', 'b', 'B', 'é', '\u200b'),
  );
  const scalar = fc.oneof(
    fc.constantFrom<JsonValue>(0, -0, 1e21, 1.5e-7, -1, 2 ** 53, true, false, null, '\ud800', 'é', '\u200b', '\u2028', '\u0085', '\u007f', '\udb40\udc41', 'a\nb', '\r', ''),
    fc.string({ unit: 'binary', maxLength: 4 }),
  );
  /** Objects sorted or not, fast or dictionary, null prototype or Object.prototype or a toJSON one: near misses of the native path. */
  const objectOf = (entries: Record<string, JsonValue>, order: 'sorted' | 'reversed' | 'as-is', kind: 'literal' | 'null' | 'plain' | 'hidden'): JsonValue => {
    const keys = Object.keys(entries);
    if (order === 'sorted') keys.sort();
    if (order === 'reversed') keys.sort().reverse();
    const out: Record<string, JsonValue> = kind === 'null' ? (Object.create(null) as JsonObject) : kind === 'hidden' ? (new Hidden() as unknown as JsonObject) : {};
    if (kind === 'literal') Object.setPrototypeOf(out, null);
    for (const k of keys) Object.defineProperty(out, k, { value: entries[k], enumerable: true, writable: true, configurable: true });
    return kind === 'plain' ? out : (out as JsonObject);
  };
  const value = fc.letrec<{ v: JsonValue }>((tie) => ({
    v: fc.oneof(
      { depthSize: 'small' },
      scalar,
      fc.array(tie('v'), { maxLength: 3 }),
      fc
        .tuple(
          fc.dictionary(key, tie('v'), { maxKeys: 4 }),
          fc.constantFrom('sorted', 'sorted', 'reversed', 'as-is'),
          fc.constantFrom('literal', 'literal', 'null', 'plain', 'hidden'),
        )
        .map(([entries, order, kind]) => objectOf(entries, order as 'sorted', kind as 'literal')),
    ),
  })).v;
  const layout = fc.constantFrom<Layout | undefined>(undefined, { indent: '  ', eol: '\n' }, { indent: '  ', eol: '\r\n' }, { indent: ' ', eol: '\n' }, { indent: '\t', eol: '\n' });

  it('writes what a plain recursive printer writes, and refuses what it refuses (depth, shared parts at two depths)', () => {
    fc.assert(
      fc.property(value, layout, fc.integer({ min: 1, max: 7 }), (v, l, maxDepth) => {
        // The same part at two depths: within the cap at one of them only.
        const shared = [v, [[v]]] as JsonValue;
        for (const whole of [v, shared]) {
          expect(outcome(() => writeSortedJson(whole, l, maxDepth))).toBe(outcome(() => reference(whole, l, maxDepth)));
          expect(outcome(() => writeSortedJson(whole, l))).toBe(outcome(() => reference(whole, l, MAX_PRINT_DEPTH)));
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('prints a part it printed before (and found native then) as the plain printer does, at every depth and cap', () => {
    // Near misses of what is remembered: values JSON.stringify would write otherwise (NaN,
    // undefined, a function) inside, out-of-order keys, and a first print under a lower cap.
    const bad = fc.constantFrom<unknown>(NaN, Infinity, undefined, () => 1);
    const part = fc.oneof(
      value,
      fc.tuple(value, bad, fc.boolean()).map(([v, b, inObject]) => (inObject ? objectOf({ a: v, b: b as JsonValue }, 'sorted', 'literal') : ([v, b] as JsonValue))),
    );
    fc.assert(
      fc.property(part, layout, fc.integer({ min: 1, max: 9 }), fc.integer({ min: 1, max: 9 }), (v, l, firstCap, maxDepth) => {
        outcome(() => writeSortedJson(v, undefined, firstCap));
        for (const whole of [v, [v], [[[v]]], objectOf({ b: [v], a: 1 }, 'as-is', 'null')] as JsonValue[]) {
          expect(outcome(() => writeSortedJson(whole, l, maxDepth))).toBe(outcome(() => reference(whole, l, maxDepth)));
        }
        expect(outcome(() => canonicalize(v))).toBe(outcome(() => reference(v, undefined, MAX_PRINT_DEPTH)));
      }),
      { numRuns: 2000 },
    );
  });

  it('keeps the layout line breaks and escapes an invisible character inside a native part', () => {
    const definition = objectOf({ description: 'Run\u200b it\u2028now', name: 'run' }, 'sorted', 'literal');
    const root = objectOf({ z: 1, a: objectOf({ tool: definition }, 'sorted', 'literal') }, 'as-is', 'null');
    const text = writeSortedJson(root, { indent: '  ', eol: '\r\n' });
    expect(text).toBe('{\r\n  "a": {\r\n    "tool": {\r\n      "description": "Run\\u200b it\\u2028now",\r\n      "name": "run"\r\n    }\r\n  },\r\n  "z": 1\r\n}');
  });
});

describe('sortInPlace', () => {
  it('sorts as Array.prototype.sort sorts strings, by insertion up to 16 and natively past that (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.string({ unit: 'binary', maxLength: 4 }), fc.constantFrom('', 'a', 'B', '10', '9', '\ud800', '\udc00', '😀')), { maxLength: 40 }), (keys) => {
        const expected = [...keys].sort();
        const copy = [...keys];
        expect(sortInPlace(copy)).toBe(copy);
        expect(copy).toEqual(expected);
      }),
      { numRuns: 500 },
    );
  });
});
