import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import {
  DEFAULT_MAX_DEPTH,
  isJsonObject,
  jsonQuote,
  isWrittenJson,
  parseMessageJson,
  parseNativeJson,
  parsePrintedJson,
  parseStrictJson,
  readNativeJson,
  StrictJsonError,
  type JsonValue,
  type StrictJsonLimits,
} from '../../../src/core/json-strict.js';
import { writeSortedJson } from '../../../src/core/canonical.js';
import { jsonText, numberText } from './json-text.js';

/** What `parse` makes of the text, or the error it refuses it with. */
function readOrRefusal(parse: (text: string, limits?: StrictJsonLimits) => JsonValue, text: string, maxDepth?: number): JsonValue | StrictJsonError {
  try {
    return parse(text, maxDepth === undefined ? undefined : { maxDepth });
  } catch (error) {
    if (error instanceof StrictJsonError) return error;
    throw error;
  }
}

function errorOf(text: string, maxDepth?: number): StrictJsonError {
  try {
    parseStrictJson(text, maxDepth === undefined ? undefined : { maxDepth });
  } catch (error) {
    if (error instanceof StrictJsonError) return error;
    throw error;
  }
  throw new Error(`expected ${JSON.stringify(text.slice(0, 60))} to be rejected`);
}

describe('parseStrictJson: the RFC 8259 grammar', () => {
  it.each([
    ['null', null],
    ['true', true],
    ['false', false],
    ['0', 0],
    ['-0', -0],
    ['12.5e-3', 12.5e-3],
    ['1E+2', 100],
    ['"x"', 'x'],
    [' \t\r\n[ 1 , "a" , { } , [ ] ] \n', [1, 'a', {}, []]],
    ['{"a":{"b":[true,null]}}', { a: { b: [true, null] } }],
    ['"\\"\\\\\\/\\b\\f\\n\\r\\t\\u0041\\u00e9"', '"\\/\b\f\n\r\tAé'],
  ] as const)('accepts %j', (text, expected) => {
    expect(parseStrictJson(text)).toEqual(expected);
  });

  it.each([
    ['', 'unexpected end of input, expected a JSON value'],
    ['   ', 'unexpected end of input, expected a JSON value'],
    ['[1,]', "unexpected ']', expected a JSON value"],
    ['{"a":1,}', "unexpected '}', expected a string key"],
    ['[1 2]', "unexpected '2', expected ',' or ']'"],
    ['{"a" 1}', "unexpected '1', expected ':'"],
    ['{a:1}', "unexpected 'a', expected a string key"],
    ["{'a':1}", "unexpected ''', expected a string key"],
    ['// c\n1', "unexpected '/', expected a JSON value"],
    ['/* c */1', "unexpected '/', expected a JSON value"],
    ['01', 'leading zero in number'],
    ['-01', 'leading zero in number'],
    ['1.', 'unexpected end of input, expected a digit after the decimal point'],
    ['.5', "unexpected '.', expected a JSON value"],
    ['+1', "unexpected '+', expected a JSON value"],
    ['-', 'unexpected end of input, expected a digit'],
    ['1e', 'unexpected end of input, expected a digit in the exponent'],
    ['NaN', "unexpected 'N', expected a JSON value"],
    ['Infinity', "unexpected 'I', expected a JSON value"],
    ['tru', "unexpected 't', expected a JSON value"],
    ['nul', "unexpected 'n', expected a JSON value"],
    ['1 2', 'unexpected data after the JSON value'],
    ['{} {}', 'unexpected data after the JSON value'],
    ['"abc', 'unterminated string'],
    ['"abc\\', 'unterminated string'],
    ['"a\tb"', 'unescaped control character U+0009 in string'],
    ['"a\nb"', 'unescaped control character U+000A in string'],
    ['"\\x41"', "invalid escape 'x' in string"],
    ['"\\u12"', 'invalid \\u escape in string'],
    ['"\\u12G4"', 'invalid \\u escape in string'],
    ['[1]\u00a0', 'unexpected data after the JSON value'],
    ['\u00a0[1]', 'unexpected character U+00A0, expected a JSON value'],
    ['\ufeff{}', 'unexpected byte order mark'],
  ])('rejects %j: %s', (text, reason) => {
    expect(errorOf(text).reason).toBe(reason);
  });

  it('puts the position in the message, 1-based, and keeps the bare reason apart', () => {
    const error = errorOf('{\n  "a": 1,\n  "b": [1,,2]\n}');
    expect(error).toBeInstanceOf(StrictJsonError);
    expect(error.name).toBe('StrictJsonError');
    expect(error.line).toBe(3);
    expect(error.column).toBe(11);
    expect(error.offset).toBe(22);
    expect(error.message).toBe(`unexpected ',', expected a JSON value in "/b/1" at line 3, column 11`);
    expect(error.reason).toBe("unexpected ',', expected a JSON value");
    expect(error.pointer).toBe('/b/1');
  });

  it('names the value an error is in with a JSON pointer: one line of a server message says little by its column', () => {
    const pointer = (text: string) => errorOf(text).pointer;
    expect(pointer('{"result":{"tools":[{"name":"t"},{"inputSchema":{"maximum":1e400}}]}}')).toBe('/result/tools/1/inputSchema/maximum');
    expect(pointer('{"a/b":{"~":[1,2,1e400]}}')).toBe('/a~1b/~0/2');
    expect(pointer('{"a":{"b":1,"b":2}}')).toBe('/a'); // a duplicate key: the object that has it
    expect(pointer('{"b":1,"b":2}')).toBe('');
    expect(pointer('{"a":[1,{}]} x')).toBe('');
    expect(pointer('1e400')).toBe('');
    const long = errorOf(`{${JSON.stringify('\u202e'.repeat(300))}:1e400}`);
    expect(long.pointer).toBe(`/${'\u202e'.repeat(300)}`);
    expect(long.message).toMatch(/^number 1e400 is out of range in "\/(\\u202e){119}…" \(301 characters\) at line 1, column 305$/);
  });

  it('counts lines the same way in a CRLF file', () => {
    const error = errorOf('{\r\n  "a": 1,\r\n  "a": 2\r\n}');
    expect([error.line, error.column]).toEqual([3, 3]);
  });

  it('parses a large message into the same value as JSON.parse', () => {
    const tools = Array.from({ length: 600 }, (_, i) => ({
      name: `tool_${i}`,
      description: `Does thing ${i} with "quotes", é and 😀. `.repeat(30),
      inputSchema: { type: 'object', properties: { a: { type: 'string', maximum: i * 1.5 } } },
    }));
    const text = JSON.stringify({ jsonrpc: '2.0', id: 1, result: { tools } });
    expect(text.length).toBeGreaterThan(800_000);
    expect(parseStrictJson(text)).toEqual(JSON.parse(text));
  });
});

describe('parseStrictJson: duplicate keys', () => {
  it('names the key and where the second one starts', () => {
    const text = '{\n  "description": "benign",\n    "description": "EVIL"\n}';
    expect(errorOf(text).message).toBe('duplicate key "description" at line 3, column 5');
    expect(errorOf(`{"tools":[${text}]}`).message).toBe('duplicate key "description" in "/tools/0" at line 3, column 5');
  });

  it.each([
    '{"a":1,"a":1}',
    '{"a":1,"b":2,"a":3}',
    '[{"x":{"a":1,"a":2}}]',
    '{"__proto__":1,"__proto__":2}',
    '{"\\u0061":1,"a":2}',
  ])('rejects %j', (text) => {
    expect(errorOf(text).reason).toMatch(/^duplicate key /);
  });

  it('allows the same key in different objects', () => {
    expect(parseStrictJson('[{"a":1},{"a":2,"b":{"a":3}}]')).toEqual([{ a: 1 }, { a: 2, b: { a: 3 } }]);
  });

  it('quotes a hostile key as printable ASCII', () => {
    expect(errorOf('{"\\u001b[2J\u202e":1,"\\u001b[2J\u202e":2}').reason).toBe('duplicate key "\\u001b[2J\\u202e"');
  });
});

describe('parseStrictJson: lone surrogates', () => {
  it.each([
    ['"\\ud800"', 'lone surrogate \\ud800 in string'],
    ['"\\uDBFF"', 'lone surrogate \\udbff in string'],
    ['"\\udc00"', 'lone surrogate \\udc00 in string'],
    ['"\\ud800x"', 'lone surrogate \\ud800 in string'],
    ['"\\ud800\\u0041"', 'lone surrogate \\ud800 in string'],
    ['"\\ud800\\ud800"', 'lone surrogate \\ud800 in string'],
    ['"\\udc00\\ud800"', 'lone surrogate \\udc00 in string'],
    ['"\\ud800\\n"', 'lone surrogate \\ud800 in string'],
    ['"\ud800"', 'lone surrogate U+D800 in string'],
    ['"\udfff"', 'lone surrogate U+DFFF in string'],
    ['"a\ud83d', 'lone surrogate U+D83D in string'],
    ['"\ude00\ud83d"', 'lone surrogate U+DE00 in string'],
    ['{"\\ud800":1}', 'lone surrogate \\ud800 in string'],
    // An escape pairs only with an escape: the raw text itself must be well-formed.
    ['"\\ud83d\ude00"', 'lone surrogate \\ud83d in string'],
    ['"\ud83d\\ude00"', 'lone surrogate U+D83D in string'],
  ])('rejects %j', (text, reason) => {
    expect(errorOf(text).reason).toBe(reason);
  });

  it('accepts pairs, escaped or raw, and U+FFFD itself', () => {
    expect(parseStrictJson('"\\ud83d\\ude00"')).toBe('😀');
    expect(parseStrictJson('"\\uD83D\\uDE00x"')).toBe('😀x');
    expect(parseStrictJson('"😀"')).toBe('😀');
    expect(parseStrictJson('"\\ufffd"')).toBe('\ufffd');
    expect(parseStrictJson('{"😀":"\\ud83d\\ude00"}')).toEqual({ '😀': '😀' });
  });
});

describe('parseStrictJson: numbers', () => {
  it.each([
    ['9007199254740991', 9007199254740991],
    ['-9007199254740991', -9007199254740991],
    ['9007199254740992', 2 ** 53],
    ['-9007199254740992.0', -(2 ** 53)],
    ['1e20', 1e20],
    ['100000000000000000000', 1e20],
    ['1.0E+20', 1e20],
    ['12345678901234567000', 12345678901234567000],
    ['1e23', 1e23],
    ['100000000000000000000000', 1e23],
    [`1${'0'.repeat(99)}`, 1e99],
    ['1e300', 1e300],
    ['1.7976931348623157e308', Number.MAX_VALUE],
    ['9007199254740993.5', 9007199254740994],
    ['5e-324', Number.MIN_VALUE],
    ['1e-400', 0],
  ])('accepts %s', (text, value) => {
    expect(parseStrictJson(text)).toBe(value);
  });

  it.each([
    ['9007199254740993', 'number 9007199254740993 would be written back as 9007199254740992, a different integer'],
    ['9007199254740993.0', 'number 9007199254740993.0 would be written back as 9007199254740992, a different integer'],
    ['90071992547409930e-1', 'number 90071992547409930e-1 would be written back as 9007199254740992, a different integer'],
    ['-9007199254740993', 'number -9007199254740993 would be written back as -9007199254740992, a different integer'],
    ['12345678901234567890', 'number 12345678901234567890 would be written back as 12345678901234567000, a different integer'],
    ['[12345678901234567891]', 'number 12345678901234567891 would be written back as 12345678901234567000, a different integer'],
    ['12345678901234567890e0', 'number 12345678901234567890e0 would be written back as 12345678901234567000, a different integer'],
    // Exactly a double, but printed as its shortest digits: a Python reader of the lock would get …180.
    ['121639032720186176', 'number 121639032720186176 would be written back as 121639032720186180, a different integer'],
    ['18446744073709551615', 'number 18446744073709551615 would be written back as 18446744073709552000, a different integer'],
    ['99999999999999991611392', 'number 99999999999999991611392 would be written back as 1e+23, a different integer'],
    ['1e400', 'number 1e400 is out of range'],
    ['-1.5e309', 'number -1.5e309 is out of range'],
    [`1${'0'.repeat(98)}1`, `number 1${'0'.repeat(39)}… (100 digits) would be written back as 1e+99, a different integer`],
    [`1${'0'.repeat(400)}`, `number 1${'0'.repeat(39)}… (401 digits) is out of range`],
  ].map(([text, reason]) => ({ text: text!, reason })))('rejects: $reason', ({ text, reason }) => {
    expect(errorOf(text).reason).toBe(reason);
  });

  it('decides by value, never by spelling: every spelling of one number gets one verdict and one value', () => {
    fc.assert(
      fc.property(numberText, (text) => {
        const spellings = respell(text);
        const verdicts = spellings.map((t) => {
          try {
            return { value: parseStrictJson(t) };
          } catch (error) {
            if (!(error instanceof StrictJsonError)) throw error;
            return { refused: true };
          }
        });
        for (const verdict of verdicts) expect(verdict, spellings.join(' ')).toEqual(verdicts[0]);
      }),
      { numRuns: 1000 },
    );
  });
});

/** Other spellings of the value a JSON number text denotes: exponent forms, trailing zeros, a fraction part. */
function respell(text: string): string[] {
  const [, sign, whole, fraction = '', exponent = '0'] = /^(-?)(\d+)(?:\.(\d+))?(?:[eE]([+-]?\d+))?$/.exec(text)!;
  const digits = (whole! + fraction).replace(/^0+/, '');
  if (digits === '') return [text, `${sign}0`, `${sign}0.0`, `${sign}0e7`];
  const e = Number(exponent) - fraction.length;
  const out = [text, `${sign}${digits}e${e}`, `${sign}${digits}0E${e - 1}`, `${sign}${digits[0]}.${digits.slice(1) || '0'}e${e + digits.length - 1}`];
  if (e >= 0 && e <= 30) out.push(`${sign}${digits}${'0'.repeat(e)}`, `${sign}${digits}${'0'.repeat(e)}.00`);
  if (e < 0 && -e < digits.length) out.push(`${sign}${digits.slice(0, e)}.${digits.slice(e)}`);
  return out;
}

describe('parseStrictJson: depth', () => {
  it('rejects 200,000 nested arrays with an error, not a stack overflow', () => {
    const text = '['.repeat(200_000) + ']'.repeat(200_000);
    const error = errorOf(text);
    expect(error.reason).toBe(`nesting deeper than ${DEFAULT_MAX_DEPTH} levels`);
    expect(error.offset).toBe(DEFAULT_MAX_DEPTH);
  });

  it('rejects 200,000 nested objects and unterminated nesting the same way', () => {
    expect(errorOf('{"a":'.repeat(200_000)).reason).toBe('nesting deeper than 128 levels');
    expect(errorOf('['.repeat(200_000)).reason).toBe('nesting deeper than 128 levels');
  });

  it('allows exactly maxDepth levels, counting empty containers', () => {
    const nested = (n: number, inner = '') => '['.repeat(n) + inner + ']'.repeat(n);
    expect(() => parseStrictJson(nested(128))).not.toThrow();
    expect(errorOf(nested(129)).reason).toBe('nesting deeper than 128 levels');
    expect(() => parseStrictJson(nested(3, '{}'), { maxDepth: 4 })).not.toThrow();
    expect(errorOf(nested(4, '{}'), 4).reason).toBe('nesting deeper than 4 levels');
    expect(parseStrictJson('1', { maxDepth: 0 })).toBe(1);
    expect(errorOf('[]', 0).reason).toBe('nesting deeper than 0 levels');
  });

  it('handles a deep but allowed document with a large custom limit, iteratively', () => {
    const n = 100_000;
    let value = parseStrictJson('['.repeat(n) + '7' + ']'.repeat(n), { maxDepth: n }) as JsonValue;
    for (let i = 0; i < n; i++) value = (value as JsonValue[])[0]!;
    expect(value).toBe(7);
  });
});

describe('parseStrictJson: prototype hazards', () => {
  it('keeps __proto__, constructor and toString as own keys of null-prototype objects', () => {
    const value = parseStrictJson('{"__proto__":{"polluted":1},"constructor":2,"toString":3,"n":{"m":{}}}');
    if (!isJsonObject(value)) throw new Error('not an object');
    expect(Object.getPrototypeOf(value)).toBeNull();
    expect(Object.getPrototypeOf(value.n)).toBeNull();
    expect(Object.getPrototypeOf((value.n as Record<string, unknown>).m)).toBeNull();
    expect(Object.keys(value)).toEqual(['__proto__', 'constructor', 'toString', 'n']);
    expect(Object.getOwnPropertyDescriptor(value, '__proto__')?.value).toEqual({ polluted: 1 });
    expect(value.constructor).toBe(2);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('does not let an absent key look present', () => {
    const value = parseStrictJson('{"a":1}');
    if (!isJsonObject(value)) throw new Error('not an object');
    expect(value.constructor).toBeUndefined();
    expect(value.toString).toBeUndefined();
    expect('hasOwnProperty' in value).toBe(false);
  });
});

describe('isJsonObject and jsonQuote', () => {
  it('tells objects from arrays and null', () => {
    expect([{}, [], null, 'x', 1, undefined].map((v) => isJsonObject(v as JsonValue))).toEqual([
      true,
      false,
      false,
      false,
      false,
      false,
    ]);
  });

  it('quotes as printable ASCII and cuts long strings visibly', () => {
    expect(jsonQuote('add')).toBe('"add"');
    expect(jsonQuote('a"\\\u0007\u009b\u200b😀')).toBe('"a\\"\\\\\\u0007\\u009b\\u200b\\ud83d\\ude00"');
    expect(jsonQuote('x'.repeat(1000))).toBe(`"${'x'.repeat(80)}…" (1000 characters)`);
  });
});

/**
 * Values whose JSON text the parser must accept and read back equal: no lone surrogates (fc.jsonValue
 * makes them), and no -0 (JSON.stringify writes it as 0). Every number JSON.stringify writes is accepted.
 */
function isStrictClean(value: unknown): boolean {
  const stack: unknown[] = [value];
  while (stack.length > 0) {
    const v = stack.pop();
    if (typeof v === 'string') {
      if (/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/.test(v)) return false;
    } else if (typeof v === 'number') {
      if (Object.is(v, -0)) return false;
    } else if (Array.isArray(v)) {
      stack.push(...v);
    } else if (typeof v === 'object' && v !== null) {
      for (const [k, x] of Object.entries(v)) stack.push(k, x);
    }
  }
  return true;
}

describe('parseStrictJson: properties', () => {
  it('(c) parses JSON.stringify(x) to a value deep-equal to x (as JSON.parse reads it)', () => {
    fc.assert(
      fc.property(fc.jsonValue({ stringUnit: 'binary' }), (x) => {
        fc.pre(isStrictClean(x));
        const text = JSON.stringify(x);
        const parsed = parseStrictJson(text, { maxDepth: 1000 });
        expect(parsed).toEqual(JSON.parse(text));
        expect(parsed).toEqual(x);
      }),
      { numRuns: 300 },
    );
  });

  it('accepts pretty-printed text too', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (x) => {
        fc.pre(isStrictClean(x));
        const text = JSON.stringify(x, null, '\t');
        expect(parseStrictJson(text, { maxDepth: 1000 })).toEqual(JSON.parse(text));
      }),
      { numRuns: 100 },
    );
  });

  it('never throws anything but StrictJsonError on arbitrary text', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 40 }), (text) => {
        try {
          parseStrictJson(text);
        } catch (error) {
          expect(error).toBeInstanceOf(StrictJsonError);
        }
      }),
      { numRuns: 500 },
    );
  });
});

describe('parseNativeJson: JSON.parse when it provably reads what parseStrictJson reads', () => {
  const written = (value: unknown) => `${JSON.stringify(value, null, 2)}\n`;
  /** parseNativeJson's result, which must then equal the strict parser's, null prototypes included. */
  const agrees = (text: string, maxDepth?: number): boolean => {
    const limits = maxDepth === undefined ? undefined : { maxDepth };
    const fast = parseNativeJson(text, limits);
    if (fast === undefined) return false;
    expect(fast).toStrictEqual(parseStrictJson(text, limits));
    expect(prototypes(fast).every((p) => p === null)).toBe(true);
    return true;
  };
  const prototypes = (value: JsonValue): unknown[] =>
    typeof value !== 'object' || value === null
      ? []
      : Array.isArray(value)
        ? value.flatMap(prototypes)
        : [Object.getPrototypeOf(value), ...Object.values(value).flatMap(prototypes)];

  it('reads printed and other layouts alike, with null prototypes and `__proto__` as an own key', () => {
    const text = written({ b: [1, 'x', { c: true }], a: { d: null, e: -1.5 } });
    expect(agrees(text)).toBe(true);
    expect(agrees(text.replace(/\n/g, '\r\n'))).toBe(true);
    expect(agrees('{"a":[1.0,-0,1E-7,"\\\\"],"b":{"c\\\\":"\\"\\":"}}')).toBe(true);
    expect(agrees('{ "a" : "x\\\\" , "b":"\\u0022" }')).toBe(true);
    const own = parseNativeJson('{\n  "__proto__": {\n    "x": 1\n  }\n}\n') as Record<string, JsonValue>;
    expect(Object.hasOwn(own, '__proto__')).toBe(true);
    expect(Object.getPrototypeOf(own)).toBeNull();
  });

  it('declines everything the strict rules refuse, leaving it to parseStrictJson', () => {
    for (const text of [
      '{"a":1,"a":2}', // duplicate keys
      '{"a":{"x":"y"},"a":1}', // a duplicate whose first value held strings
      '[{"k":"v","k":"v"}]',
      '{"__proto__":1,"__proto__":1}',
      '{"a\\"":1,"a\\"":1}', // keys with an escaped quote
      '{"a\\\\":1,"a\\\\":1}', // keys ending in an escaped backslash
      '{"a":"\\ud800"}', // an escaped lone surrogate
      '{"a":"\ud800"}', // a raw one
      '{"a":9007199254740993}', // an integer that would be written back as another
      '[12345678901234567890]',
      '[1e400]', // out of range
      '\ufeff{"a":1}', // BOM
      '{"a":1', // not JSON
    ]) {
      expect(parseNativeJson(text), JSON.stringify(text)).toBeUndefined();
    }
    expect(() => parseStrictJson('[[[[[1]]]]]', { maxDepth: 4 })).toThrow(StrictJsonError);
    expect(parseNativeJson('[[[[[1]]]]]', { maxDepth: 4 })).toBeUndefined();
    expect(parseNativeJson(written([[[[[1]]]]]), { maxDepth: 4 })).toBeUndefined();
    expect(agrees('[[[[1]]]]', 4)).toBe(true);
  });

  it('declines nesting past maxDepth from the text, before JSON.parse builds it', () => {
    // A hostile server's one 8 MB line of `[`s: JSON.parse would build 4 million arrays (seconds, hundreds of MB).
    const deep = `{"jsonrpc":"2.0","id":1,"result":${'['.repeat(4_000_000)}${']'.repeat(4_000_000)}}`;
    const parse = vi.spyOn(JSON, 'parse');
    try {
      expect(parseNativeJson(deep)).toBeUndefined();
      expect(parseNativeJson(`[${'{"a":'.repeat(DEFAULT_MAX_DEPTH)}1${'}'.repeat(DEFAULT_MAX_DEPTH)}]`)).toBeUndefined();
      // Closing brackets and braces inside strings do not hide the nesting after them.
      const hidden = `["${']}'.repeat(DEFAULT_MAX_DEPTH)}","\\\\",${'['.repeat(DEFAULT_MAX_DEPTH)}${']'.repeat(DEFAULT_MAX_DEPTH)}]`;
      expect(parseNativeJson(hidden)).toBeUndefined();
      expect(parse).not.toHaveBeenCalled();
    } finally {
      parse.mockRestore();
    }
    expect(() => parseStrictJson(deep)).toThrow(/nesting deeper than/);
    // Brackets and escaped quotes inside strings are not nesting.
    expect(agrees('[[["[[[[","\\"[[[","\\\\"]]]', 3)).toBe(true);
    // A string ending in escaped backslashes, then one with an escaped quote: the nesting after them still counts.
    const after = `["a\\\\","\\\\\\"[",${'['.repeat(5)}${']'.repeat(5)}]`;
    expect(parseNativeJson(after, { maxDepth: 5 })).toBeUndefined();
    expect(agrees(after, 6)).toBe(true);
    expect(agrees(`${'['.repeat(DEFAULT_MAX_DEPTH)}${']'.repeat(DEFAULT_MAX_DEPTH)}`)).toBe(true);
  });

  it('reads integers past 2^53 only in the printed layout, where each is the double\'s own text', () => {
    const lockText = '{\n  "maximum": 100000000000000000000,\n  "minimum": -9007199254740992,\n  "x": 12345678901234567000\n}\n';
    expect(agrees(lockText)).toBe(true);
    expect(parseNativeJson(lockText.replace('100000000000000000000', '1e20'))).toBeUndefined();
  });

  it('agrees with parseStrictJson on every spelling of numbers, and reads what the lock writes for them', () => {
    let fastReads = 0;
    fc.assert(
      fc.property(jsonText, (text) => {
        let strict: JsonValue | undefined;
        try {
          strict = parseStrictJson(text);
        } catch (error) {
          if (!(error instanceof StrictJsonError)) throw error;
        }
        // The generated text, JSON.parse's own layout of it, and the lock's layout of the strict value.
        const texts = [text, written(JSON.parse(text))];
        if (strict !== undefined) texts.push(`${writeSortedJson(strict, { indent: '  ', eol: '\n' })}\n`);
        for (const t of texts) if (agrees(t)) fastReads++;
        if (strict !== undefined && !/"(?:2|10)"/.test(text)) {
          // Without integer-like keys (JSON.parse reorders them) the lock's layout is read natively.
          expect(parseNativeJson(`${writeSortedJson(strict, { indent: '  ', eol: '\n' })}\n`)).toBeDefined();
        }
      }),
      { numRuns: 1500 },
    );
    expect(fastReads).toBeGreaterThan(500);
  });

  it('never disagrees with parseStrictJson, on near misses and repeated keys too (property)', () => {
    fc.assert(
      fc.property(fc.jsonValue({ stringUnit: 'binary', maxDepth: 6 }), (value) => {
        agrees(written(value));
        agrees(JSON.stringify(value));
      }),
      { numRuns: 500 },
    );
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 4 }), fc.nat(), fc.string({ unit: 'binary', maxLength: 3 }), (value, at, insert) => {
        // Any edit of the text: the native path may decline, but what it accepts the strict parser reads alike.
        const base = written(value);
        const cut = at % (base.length + 1);
        agrees(base.slice(0, cut) + insert + base.slice(cut));
      }),
      { numRuns: 500 },
    );
    // One member of some object written twice, with the same or another value: always declined.
    const keyed = fc.dictionary(fc.string({ unit: fc.constantFrom('a', '"', '\\', ':', '_'), maxLength: 4 }), fc.jsonValue({ maxDepth: 2 }), { minKeys: 1 });
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 2 }), keyed, fc.nat(), fc.jsonValue({ maxDepth: 2 }), (outer, object, pick, other) => {
        const keys = Object.keys(object);
        const key = keys[pick % keys.length]!;
        const members = keys.map((k) => `${JSON.stringify(k)}:${JSON.stringify(object[k])}`);
        members.splice(pick % (members.length + 1), 0, `${JSON.stringify(key)}:${JSON.stringify(pick % 2 === 0 ? object[key] : other)}`);
        const text = JSON.stringify([outer, '{}']).replace('"{}"', `{${members.join(',')}}`);
        expect(() => parseStrictJson(text)).toThrow(StrictJsonError);
        expect(parseNativeJson(text)).toBeUndefined();
      }),
      { numRuns: 500 },
    );
  });

  it('readNativeJson tells whether every object lists its keys in code-unit order, as a walk of the value finds (property)', () => {
    const ordered = (value: JsonValue): boolean => {
      if (typeof value !== 'object' || value === null) return true;
      if (Array.isArray(value)) return value.every(ordered);
      const keys = Object.keys(value);
      return keys.every((key, i) => i === 0 || keys[i - 1]! < key) && Object.values(value).every(ordered);
    };
    const key = fc.oneof(fc.string({ unit: 'binary', maxLength: 3 }), fc.constantFrom('2', '10', '__proto__', 'a', 'B', 'é'));
    const value = fc.letrec<{ v: JsonValue }>((tie) => ({
      v: fc.oneof(
        { depthSize: 'small' },
        fc.jsonValue({ maxDepth: 0 }) as fc.Arbitrary<JsonValue>,
        fc.array(tie('v'), { maxLength: 3 }),
        fc.dictionary(key, tie('v'), { maxKeys: 4 }) as fc.Arbitrary<JsonValue>,
      ),
    })).v;
    let sorted = 0;
    let unsorted = 0;
    fc.assert(
      fc.property(value, fc.boolean(), (v, lockLayout) => {
        const text = lockLayout ? `${writeSortedJson(v, { indent: '  ', eol: '\n' })}\n` : written(v);
        const read = readNativeJson(text);
        if (read === undefined) return;
        expect(read.value).toStrictEqual(parseStrictJson(text));
        expect(read.sortedKeys).toBe(ordered(read.value));
        if (read.sortedKeys) sorted++;
        else unsorted++;
      }),
      { numRuns: 500 },
    );
    expect(sorted).toBeGreaterThan(100);
    expect(unsorted).toBeGreaterThan(20);
    expect(readNativeJson('{"a":[{"c":1,"d":{"e":2}}],"b":1}')?.sortedKeys).toBe(true);
    expect(readNativeJson('{"a":[{"d":1,"c":2}],"b":1}')?.sortedKeys).toBe(false);
    // V8 lists integer-like keys first, whatever the text's order.
    expect(readNativeJson('{"10":1,"2":2}')?.sortedKeys).toBe(false);
    expect(readNativeJson('{"a":1,"a":1}')).toBeUndefined();
  });

  it('isWrittenJson: only the exact text JSON.stringify(value, null, 2) and a newline', () => {
    const value = { a: [1, { b: 'c' }] };
    expect(isWrittenJson(written(value), value)).toBe(true);
    for (const text of [written(value).replace(/\n/g, '\r\n'), JSON.stringify(value), written(value).trimEnd(), `${written(value)}\n`]) {
      expect(isWrittenJson(text, value)).toBe(false);
    }
  });
});

/** Whether every object in `value` has a null prototype, as parseStrictJson makes them. */
function hasNullPrototypes(value: unknown): boolean {
  if (typeof value !== 'object' || value === null) return true;
  if (Array.isArray(value)) return value.every(hasNullPrototypes);
  return Object.getPrototypeOf(value) === null && Object.values(value).every(hasNullPrototypes);
}

describe('parsePrintedJson: the fast path for a line as JSON.stringify prints it', () => {
  /** parsePrintedJson as the guard calls it: on its own JSON.parse of the text. */
  const printed = (text: string, maxDepth?: number): JsonValue | undefined => {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      return undefined;
    }
    return parsePrintedJson(text, parsed, maxDepth === undefined ? undefined : { maxDepth });
  };
  const strictOf = (text: string, maxDepth?: number) => readOrRefusal(parseStrictJson, text, maxDepth);
  /** The fast path either declines or reads exactly what the strict parser reads (-0, prototypes and all). */
  const agrees = (text: string, maxDepth?: number): boolean => {
    const fast = printed(text, maxDepth);
    if (fast === undefined) return false;
    const strict = strictOf(text, maxDepth);
    expect(strict).not.toBeInstanceOf(StrictJsonError);
    expect(fast).toEqual(strict);
    expect(hasNullPrototypes(fast)).toBe(true);
    return true;
  };

  it('reads a message as the strict parser does, giving its objects a null prototype in place', () => {
    const text = JSON.stringify({ jsonrpc: '2.0', id: 1, result: { tools: [{ name: 'a', inputSchema: { type: 'object', enum: [1, -1.5, 'x\u2028"'] } }] } });
    const parsed = JSON.parse(text) as unknown;
    const fast = parsePrintedJson(text, parsed);
    expect(fast).toBe(parsed);
    expect(fast).toEqual(parseStrictJson(text));
    expect(hasNullPrototypes(fast)).toBe(true);
    const own = printed('{"__proto__":{"x":1},"constructor":2}') as Record<string, JsonValue>;
    expect(Object.keys(own)).toEqual(['__proto__', 'constructor']);
    expect(own['__proto__']).toEqual(parseStrictJson('{"x":1}'));
    expect(hasNullPrototypes(own)).toBe(true);
  });

  it('declines every near miss the strict rules refuse or read differently, leaving it to parseStrictJson', () => {
    for (const text of [
      '{"a":1,"a":2}', // duplicate keys: JSON.parse keeps the last
      '{"a":{"b":1,"b":1}}', // even with equal values
      '{"a":"\\ud800"}', // an escaped lone surrogate (JSON.stringify prints one this way)
      '{"a":"\\udc00\\ud800"}', // a pair in the wrong order
      '{"a":9007199254740993}', // an integer that would be written back as another
      '{"a":-0}', // -0: printed again as 0, while the strict parser keeps -0
      '{"a":1.0}', // another spelling of a number
      '{"b":1,"10":1,"2":1}', // JSON.parse puts integer-like keys first, in numeric order
      '{"a": 1}', // another layout
      '\ufeff{"a":1}', // BOM
    ]) {
      expect(printed(text), text).toBeUndefined();
    }
    expect(Object.is((strictOf('{"a":-0}') as Record<string, JsonValue>)['a'], -0)).toBe(true);
  });

  it('refuses nesting past maxDepth as the strict parser does, even past what JSON.stringify can print', () => {
    expect(strictOf('[[[[[1]]]]]', 4)).toBeInstanceOf(StrictJsonError);
    expect(printed('[[[[[1]]]]]', 4)).toBeUndefined();
    expect(printed('{"a":[{"b":[1]}]}', 3)).toBeUndefined();
    expect(agrees('[[[[1]]]]', 4)).toBe(true);
    expect(agrees('{"a":[{"b":1}]}', 3)).toBe(true);
    const deep = `${'['.repeat(200_000)}${']'.repeat(200_000)}`;
    expect(printed(deep)).toBeUndefined();
    expect(printed(`[${'['.repeat(DEFAULT_MAX_DEPTH)}${']'.repeat(DEFAULT_MAX_DEPTH)}]`)).toBeUndefined();
  });

  it('never disagrees with parseStrictJson on printed values, their number spellings, or any edit of them (property)', () => {
    let fastReads = 0;
    fc.assert(
      fc.property(fc.jsonValue({ stringUnit: 'binary', maxDepth: 6 }), fc.integer({ min: 1, max: 8 }), (value, maxDepth) => {
        const text = JSON.stringify(value);
        if (agrees(text)) fastReads++;
        agrees(text, maxDepth);
      }),
      { numRuns: 800 },
    );
    // Binary strings include lone surrogates, declined; the rest is read by the fast path.
    expect(fastReads).toBeGreaterThan(400);
    fc.assert(
      fc.property(jsonText, (text) => {
        agrees(text);
        const parsed = JSON.parse(text) as unknown;
        agrees(JSON.stringify(parsed));
      }),
      { numRuns: 1000 },
    );
    fc.assert(
      fc.property(
        fc.jsonValue({ maxDepth: 4 }),
        fc.nat(),
        fc.oneof(fc.string({ unit: 'binary', maxLength: 3 }), fc.constantFrom(',"a":1', '-0', '\\ud800', '.0', 'e0', '[', '{"__proto__":1}')),
        (value, at, insert) => {
          const base = JSON.stringify(value);
          const cut = at % (base.length + 1);
          agrees(base.slice(0, cut) + insert + base.slice(cut));
        },
      ),
      { numRuns: 1000 },
    );
  });
});

describe('parseMessageJson: a server\'s message, read natively when that is provably the strict reading', () => {
  const messageOf = (text: string, maxDepth?: number) => readOrRefusal(parseMessageJson, text, maxDepth);
  /** The same value as the strict parser's (-0 and null prototypes too), or the same refusal, said the same way. */
  const agrees = (text: string, maxDepth?: number): 'read' | 'refused' => {
    const strict = readOrRefusal(parseStrictJson, text, maxDepth);
    const read = messageOf(text, maxDepth);
    if (strict instanceof StrictJsonError) {
      expect(read).toBeInstanceOf(StrictJsonError);
      expect((read as StrictJsonError).message).toBe(strict.message);
      return 'refused';
    }
    expect(read).toStrictEqual(strict);
    expect(hasNullPrototypes(read as JsonValue)).toBe(true);
    return 'read';
  };

  it('reads or refuses every message as parseStrictJson does: printed, in other layouts, and any edit of them (property)', () => {
    const seen = { read: 0, refused: 0 };
    fc.assert(
      fc.property(fc.jsonValue({ stringUnit: 'binary', maxDepth: 6 }), fc.integer({ min: 1, max: 8 }), (value, maxDepth) => {
        seen[agrees(JSON.stringify(value))]++;
        agrees(JSON.stringify(value), maxDepth);
        agrees(JSON.stringify(value, null, 2));
      }),
      { numRuns: 600 },
    );
    fc.assert(
      fc.property(jsonText, (text) => {
        seen[agrees(text)]++;
      }),
      { numRuns: 800 },
    );
    fc.assert(
      fc.property(
        fc.jsonValue({ maxDepth: 4 }),
        fc.boolean(),
        fc.nat(),
        fc.oneof(fc.string({ unit: 'binary', maxLength: 3 }), fc.constantFrom(',"a":1', '-0', '\\ud800', '.0', 'e0', '[', '{"__proto__":1}', '9007199254740993')),
        (value, pretty, at, insert) => {
          const base = pretty ? JSON.stringify(value, null, 1) : JSON.stringify(value);
          const cut = at % (base.length + 1);
          seen[agrees(base.slice(0, cut) + insert + base.slice(cut))]++;
        },
      ),
      { numRuns: 800 },
    );
    expect(seen.read).toBeGreaterThan(800);
    expect(seen.refused).toBeGreaterThan(200);
    for (const text of ['{"a":1,"a":2}', '{"a": 1, "a": 1}', '{"a":"\\ud800"}', '{"a":9007199254740993}', '[1e400]', '\ufeff{"a":1}', '{"a":1', 'log line']) {
      expect(agrees(text), text).toBe('refused');
    }
    for (const text of ['{"a":-0}', '{"a": 1.0, "b": [1E2]}', '{"b":1,"10":1,"2":1}', '{"__proto__":{"x":1}}']) expect(agrees(text), text).toBe('read');
  });

  it('parses a message once, printed by JSON.stringify or not', () => {
    const value = { jsonrpc: '2.0', id: 1, result: { tools: [{ name: 'a', description: 'b', inputSchema: { type: 'object' } }] } };
    const parse = vi.spyOn(JSON, 'parse');
    try {
      for (const text of [JSON.stringify(value), JSON.stringify(value, null, 2)]) {
        parse.mockClear();
        expect(parseMessageJson(text)).toStrictEqual(parseStrictJson(text));
        expect(parse).toHaveBeenCalledTimes(1);
      }
    } finally {
      parse.mockRestore();
    }
  });

  it('proves a message by counting its key ends, without printing it again, and falls back when a string holds one', () => {
    const value = { jsonrpc: '2.0', id: 1, result: { tools: [{ name: 'a', description: 'b', inputSchema: { type: 'object', properties: {} } }] } };
    const stringify = vi.spyOn(JSON, 'stringify');
    try {
      for (const text of [JSON.stringify(value), JSON.stringify(value, null, 2), JSON.stringify(value, null, '\t').replace(/":/g, '" \r\n:')]) {
        stringify.mockClear();
        expect(parseMessageJson(text)).toStrictEqual(parseStrictJson(text));
        expect(stringify).not.toHaveBeenCalled();
      }
      // A string that begins with a colon is one key end more than there are keys: proved by printing instead.
      const colon = JSON.stringify({ ...value, result: { text: ':x' } });
      stringify.mockClear();
      expect(parseMessageJson(colon)).toStrictEqual(parseStrictJson(colon));
      expect(stringify).toHaveBeenCalled();
    } finally {
      stringify.mockRestore();
    }
    // A key named twice is never hidden by a key end inside a string: the text then has more key ends still.
    for (const text of ['{"a":":","a":1}', '{"a":"\\":","a":1}', '{"x":{"a":1,"a":2},"y":":"}']) expect(agrees(text), text).toBe('refused');
  });

  it('refuses nesting past maxDepth, and counts a message longer than 1 MiB before JSON.parse builds it', () => {
    const nested = (levels: number) => `{"jsonrpc":"2.0","id":1,"result":${'['.repeat(levels)}${']'.repeat(levels)}}`;
    expect(messageOf(nested(DEFAULT_MAX_DEPTH))).toBeInstanceOf(StrictJsonError);
    expect(agrees(nested(DEFAULT_MAX_DEPTH - 1))).toBe('read');
    expect(agrees(nested(300_000))).toBe('refused');
    // 1.2 MB of `[`: JSON.parse would build 600,000 nested arrays before any walk could refuse them.
    const parse = vi.spyOn(JSON, 'parse');
    try {
      expect(messageOf(nested(600_000))).toBeInstanceOf(StrictJsonError);
      expect(parse).not.toHaveBeenCalled();
      // A long message within the limits is read all the same.
      const long = JSON.stringify({ jsonrpc: '2.0', id: 1, result: { text: 'x'.repeat(1024 * 1024) } });
      expect(parseMessageJson(long)).toStrictEqual(parseStrictJson(long));
    } finally {
      parse.mockRestore();
    }
  });
});
