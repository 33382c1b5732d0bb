import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import { parseStrictJson, StrictJsonError } from '../../../src/core/json-strict.js';
import { duplicateKey, envelopeOf, escapeLineBreaks, hasLineBreaks, jsonLine } from '../../../src/guard/line-check.js';

/**
 * JSON text as a hostile server might write it: keys that repeat (also under another spelling,
 * `"\u0061"` is `"a"`), strings full of quotes, backslashes, brackets and line-break characters,
 * and `\r` as whitespace between tokens.
 */
const keyText = fc.constantFrom('"a"', '"\\u0061"', '"b"', '"a\\"b"', '"\\\\"', '"{"', '"}"', '"["', '","', '":"', '""', '"__proto__"', '"\\/"', '"/"');
const stringText = fc.constantFrom('"x"', '"\\""', '"\\\\"', '"{\\"a\\":1}"', '"[,]"', '"\\u2028"', '"\u2028"', '"\u2029"', '"\u0085"', '""', '"\\\\\\""');
const space = fc.constantFrom('', ' ', '\r', '\t', ' \r ');
const jsonText = fc.letrec<{ value: string; array: string; object: string }>((tie) => ({
  value: fc.oneof({ depthSize: 'small', withCrossShrink: true }, stringText, fc.constantFrom('1', '-2.5e3', 'true', 'null'), tie('array'), tie('object')),
  array: fc.tuple(fc.array(tie('value'), { maxLength: 4 }), space).map(([items, s]) => `[${s}${items.join(`${s},${s}`)}${s}]`),
  object: fc
    .tuple(fc.array(fc.tuple(keyText, tie('value')), { maxLength: 4 }), space)
    .map(([entries, s]) => `{${s}${entries.map(([k, v]) => `${k}${s}:${s}${v}`).join(`${s},${s}`)}${s}}`),
})).value;

function strictProblem(text: string): string | undefined {
  try {
    parseStrictJson(text);
    return undefined;
  } catch (error) {
    if (error instanceof StrictJsonError) return error.message;
    throw error;
  }
}

describe('duplicateKey', () => {
  it('finds a repeated key exactly when the strict parser refuses one (property over text)', () => {
    let printedBack = 0;
    fc.assert(
      fc.property(jsonText, (text) => {
        const parsed: unknown = JSON.parse(text);
        if (JSON.stringify(parsed) === text) printedBack++;
        const found = duplicateKey(text, parsed);
        expect(found !== undefined, text).toBe(strictProblem(text)?.includes('duplicate key') === true);
      }),
      { numRuns: 3000 },
    );
    // Texts that print back as they are, where no scan is made, are among them.
    expect(printedBack).toBeGreaterThan(300);
  });

  it('proves a message free of repeated keys by counting them, without printing it', () => {
    const texts = [
      '{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"echo","arguments":{"message":"hello"}}}',
      '{"result":{"content":[{"type":"text","text":"Echo: hello"}]},"jsonrpc":"2.0","id":7}',
      // As Python's json.dumps writes it: a space after each colon and comma.
      '{"jsonrpc": "2.0", "id": 7, "result": {"content": [{"type": "text", "text": "a\\nb"}]}}',
      '{ "a" : 1 ,\t"b"\t:\r[ { "c" :null } ] }',
    ];
    const stringify = vi.spyOn(JSON, 'stringify');
    try {
      for (const text of texts) expect(duplicateKey(text, JSON.parse(text)), text).toBeUndefined();
      expect(stringify).not.toHaveBeenCalled();
    } finally {
      stringify.mockRestore();
    }
  });

  it.each([
    // A key that ends in `" :` is counted too; were it not, the inner object's key would make up for it.
    ['{"a" : {"b":1}, "a" : 2}', 'a'],
    ['{"a"\t:{"b":1},"a"\r\n:2}', 'a'],
    // A key end inside a string adds to the count, which then proves nothing.
    ['{"a":"\\":","a":1}', 'a'],
    ['{"a":"\\" :","a":1}', 'a'],
    ['{"a":"\\":"}', undefined],
  ])('does not take a count for a proof when it is not one: %s → %s', (text, expected) => {
    expect(duplicateKey(text, JSON.parse(text))).toBe(expected);
  });

  it('relies on JSON.parse taking only JSON whitespace between a key and its colon', () => {
    // A key that could end in another character would go uncounted, and the count could then
    // make up for a repeated key.
    for (const c of ['\u000b', '\u000c', '\u0085', '\u00a0', '\u1680', '\u2028', '\u2029', '\u3000', '\ufeff']) {
      expect(() => JSON.parse(`{"a"${c}:1}`), c.codePointAt(0)!.toString(16)).toThrow(SyntaxError);
    }
    for (const c of [' ', '\t', '\n', '\r']) expect(JSON.parse(`{"a"${c}:1}`)).toEqual({ a: 1 });
  });

  it('does not count a key that a polluted prototype enumerates', () => {
    const proto = Object.prototype as Record<string, unknown>;
    proto['polluted'] = 1;
    try {
      expect(duplicateKey('{"a":1,"a":2}', JSON.parse('{"a":1,"a":2}'))).toBe('a');
    } finally {
      delete proto['polluted'];
    }
  });

  it('finds a repeated key in a compact text, which does not print back as it is', () => {
    for (const text of ['{"a":1,"a":1}', '{"a":{"b":2,"b":2}}', '[{"x":1,"x":1}]']) {
      expect(duplicateKey(text, JSON.parse(text)), text).toBeDefined();
    }
  });

  it('scans a text past the print check, here one nested too deep for JSON.stringify', () => {
    const deep = `${'['.repeat(20_000)}{"a":1,"a":2}${']'.repeat(20_000)}`;
    expect(duplicateKey(deep, JSON.parse(deep))).toBe('a');
  });

  it.each([
    ['{"id":1,"result":{},"id":2}', 'id'],
    ['{"a":{"b":1,"c":{"b":2}},"d":[{"x":1},{"x":2,"x":3}]}', 'x'],
    ['{"\\u0069d":1,"id":2}', 'id'],
    ['{"a":"\\"b\\":1,\\"b\\":2","b":3}', undefined],
    ['[{"a":1},{"a":1}]', undefined],
    ['{"a":1,"b":{"a":2}}', undefined],
  ])('%s → %s', (text, expected) => {
    expect(duplicateKey(text, JSON.parse(text))).toBe(expected);
  });

  it('compares keys past the linear search through a set', () => {
    const many = Array.from({ length: 40 }, (_, i) => `"k${i}":${i}`).join(',');
    expect(duplicateKey(`{${many}}`, JSON.parse(`{${many}}`))).toBeUndefined();
    expect(duplicateKey(`{${many},"k3":0}`, JSON.parse(`{${many},"k3":0}`))).toBe('k3');
  });

  it('skips a megabyte-long string natively, without looking at its characters', () => {
    const text = JSON.stringify({ jsonrpc: '2.0', id: 1, result: { content: [{ type: 'text', text: '"{}[],:'.repeat(150_000) }] } });
    expect(duplicateKey(text, JSON.parse(text))).toBeUndefined();
    expect(duplicateKey(`${text.slice(0, -1)},"result":1}`, JSON.parse(`${text.slice(0, -1)},"result":1}`))).toBe('result');
  });
});

describe('line breaks', () => {
  it('escaping keeps the JSON value and leaves no character any host framing breaks a line at (property over text)', () => {
    fc.assert(
      fc.property(jsonText, (text) => {
        const escaped = escapeLineBreaks(text);
        expect(hasLineBreaks(escaped)).toBe(false);
        expect(escaped).not.toMatch(/[\n\r\u0085\u2028\u2029]/);
        expect(JSON.parse(escaped)).toEqual(JSON.parse(text));
        if (!hasLineBreaks(text)) expect(escaped).toBe(text);
      }),
      { numRuns: 2000 },
    );
  });

  it('writes the guard own lines with U+2028 and its kin escaped', () => {
    const line = jsonLine({ text: 'a\u2028b\u2029c\u0085d\re' }).toString();
    expect(line).toBe('{"text":"a\\u2028b\\u2029c\\u0085d\\re"}\n');
  });
});

describe('envelopeOf', () => {
  it.each([
    [{ jsonrpc: '2.0', id: 1, method: 'sampling/createMessage', params: {} }, { kind: 'request', id: 1, method: 'sampling/createMessage' }],
    [{ jsonrpc: '2.0', method: 'notifications/progress' }, { kind: 'notification', method: 'notifications/progress' }],
    [{ jsonrpc: '2.0', id: 'a', result: {} }, { kind: 'response', id: 'a' }],
    [{ jsonrpc: '2.0', id: 2, error: { code: 1, message: 'x' } }, { kind: 'response', id: 2 }],
    [{ jsonrpc: '2.0', id: 3, method: 'x', result: {} }, { kind: 'unclean', problem: expect.stringContaining('both a request and a response'), answers: 3 }],
    [{ jsonrpc: '2.0', id: 3, method: 'x', error: {} }, { kind: 'unclean', problem: expect.stringContaining('"error"'), answers: 3 }],
    [{ jsonrpc: '2.0', id: null, error: { code: -32700, message: 'x' } }, { kind: 'unclean', problem: expect.stringContaining('id null') }],
    [{ jsonrpc: '2.0', result: {} }, { kind: 'unclean', problem: expect.stringContaining('no id') }],
    [{ jsonrpc: '2.0', id: 4, result: {}, error: { code: 1, message: 'x' } }, { kind: 'unclean', problem: expect.stringContaining('both "result" and "error"'), answers: 4 }],
    [{ jsonrpc: '2.0', id: 4 }, { kind: 'unclean', problem: expect.stringContaining('neither') }],
    [{ jsonrpc: '2.0', id: 5, error: 'oops' }, { kind: 'unclean', problem: expect.stringContaining('not an object'), answers: 5 }],
    [{ jsonrpc: '2.0', id: 5, result: {}, params: {} }, { kind: 'unclean', problem: 'a response with a member JSON-RPC does not define ("params")', answers: 5 }],
    [{ jsonrpc: '2.0', id: 5, result: {}, x: { jsonrpc: '2.0', id: 5, result: {} } }, { kind: 'unclean', problem: expect.stringContaining('("x")'), answers: 5 }],
    [{ jsonrpc: '2.0', id: 6, method: 'x', params: {}, meta: 1 }, { kind: 'unclean', problem: 'a request with a member JSON-RPC does not define ("meta")' }],
    [{ jsonrpc: '2.0', method: 'x', ['__proto__']: 1 }, { kind: 'unclean', problem: expect.stringContaining('("__proto__")') }],
    [{ jsonrpc: '2.0', id: {}, result: {} }, { kind: 'unclean', problem: expect.stringContaining('not a string or a number') }],
    [{ jsonrpc: '2.0', id: true, method: 'x' }, { kind: 'unclean', problem: expect.stringContaining('not a string or a number') }],
    [{ jsonrpc: '2.0', method: 7 }, { kind: 'unclean', problem: expect.stringContaining('"method" is not a string') }],
    [{ id: 1, result: {} }, { kind: 'unclean', problem: expect.stringContaining('not JSON-RPC 2.0') }],
    [[{ jsonrpc: '2.0', method: 'x' }], { kind: 'unclean', problem: expect.stringContaining('not JSON-RPC 2.0') }],
  ])('%j', (message, expected) => {
    expect(envelopeOf(message)).toEqual(expected);
  });
});
