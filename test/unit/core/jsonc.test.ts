import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { stripJsonComments } from '../../../src/core/jsonc.js';

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
