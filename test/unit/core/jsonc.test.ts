import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { stripJsonComments } from '../../../src/core/jsonc.js';
import { parseStrictJson, StrictJsonError } from '../../../src/core/json-strict.js';

describe('stripJsonComments', () => {
  it.each([
    ['{"a": 1} // x', '{"a": 1}     '],
    ['{"a": /* x */ 1}', '{"a":         1}'],
    ['{"a": "//not a comment"}', '{"a": "//not a comment"}'],
    ['{"a": "/* nor this */"}', '{"a": "/* nor this */"}'],
    ['{"a": "q\\"//"} // c', '{"a": "q\\"//"}     '],
    ['{"a": "\\\\"} // c', '{"a": "\\\\"}     '],
    ['[1, 2, ]', '[1, 2  ]'],
    ['{"a": 1,\n}', '{"a": 1 \n}'],
    ['{"a": [1,],}', '{"a": [1 ] }'],
    ['{"a": ",]"}', '{"a": ",]"}'],
    ['[1, /* c */ ]', '[1          ]'],
    ['[1, // c\n]', '[1      \n]'],
    ['/* a\nb */{}', '    \n    {}'],
    ['\uFEFF{}', ' {}'],
    ['{} /* never closed', '{} /* never closed'],
    ['[1,,]', '[1, ]'],
  ])('%j → %j', (input, output) => {
    expect(stripJsonComments(input)).toBe(output);
    expect(stripJsonComments(input)).toHaveLength(input.length);
  });

  it('leaves valid JSON unchanged', () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.constantFrom(undefined, 2), (value, indent) => {
        const text = JSON.stringify(value, null, indent);
        expect(stripJsonComments(text)).toBe(text);
      }),
    );
  });

  it('keeps every line break, so positions stay right', () => {
    fc.assert(
      fc.property(fc.string(), (text) => {
        const stripped = stripJsonComments(text);
        expect(stripped).toHaveLength(text.length);
        expect(stripped.split('\n').length).toBe(text.split('\n').length);
      }),
    );
  });
});

describe('text VS Code reads another way', () => {
  it.each(['\u2028', '\u2029'])('refuses %j inside a // comment, wherever it is, naming line and column', (separator) => {
    fc.assert(
      fc.property(fc.string({ maxLength: 20 }).filter((s) => !/[\r\n\u2028\u2029]/.test(s)), fc.string({ maxLength: 20 }).filter((s) => !/[\r\n]/.test(s)), (before, after) => {
        const text = `{\n  "servers": {} // ${before}${separator}${after}\n}`;
        let error: unknown;
        try {
          stripJsonComments(text);
        } catch (e) {
          error = e;
        }
        expect(error).toBeInstanceOf(StrictJsonError);
        expect((error as StrictJsonError).line).toBe(2);
        expect((error as StrictJsonError).reason).toContain(separator === '\u2028' ? 'U+2028' : 'U+2029');
      }),
    );
  });

  it('keeps U+2028 inside strings and block comments, where every reader agrees', () => {
    expect(stripJsonComments('{"a": "x\u2028y"} /* \u2028 */')).toBe(`{"a": "x\u2028y"}${' '.repeat(8)}`);
  });

  it('leaves duplicate keys to the strict parser, which refuses them (VS Code keeps the last)', () => {
    expect(() => parseStrictJson(stripJsonComments('{"servers": {}, // c\n "servers": {"x": {}}}'))).toThrow(/duplicate/);
  });
});
