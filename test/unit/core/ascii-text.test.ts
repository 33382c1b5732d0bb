import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isAsciiText } from '../../../src/core/ascii-text.js';

describe('isAsciiText', () => {
  it('says what /^\\p{ASCII}*$/u says, for any text, lone surrogates included (property)', () => {
    const unit = fc.oneof(fc.integer({ min: 0, max: 0x7f }), fc.integer({ min: 0x80, max: 0xffff })).map((c) => String.fromCharCode(c));
    fc.assert(
      fc.property(fc.oneof(fc.array(unit).map((units) => units.join('')), fc.string({ unit: 'binary' })), (text) => {
        expect(isAsciiText(text)).toBe(/^\p{ASCII}*$/u.test(text));
      }),
      { numRuns: 5000 },
    );
    expect(isAsciiText('')).toBe(true);
    expect(isAsciiText('\u007f')).toBe(true);
    expect(isAsciiText('\u0080')).toBe(false);
  });
});
