import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { conflictMarkerLine } from '../../../src/core/conflict-markers.js';

/** Git's markers at a line's start, as the expression alone finds them (what the search before it must never hide). */
function byExpressionAlone(text: string): number | undefined {
  const marker = /^(?:<{7}(?: |\r?$)|={7}\r?$|>{7}(?: |\r?$)|\|{7}(?: |\r?$))/m.exec(text);
  return marker ? text.slice(0, marker.index).split('\n').length : undefined;
}

describe('conflictMarkerLine', () => {
  it('names the line of the first marker', () => {
    expect(conflictMarkerLine('{\n<<<<<<< HEAD\n  "a": 1\n=======\n  "a": 2\n>>>>>>> theirs\n}\n')).toBe(2);
    expect(conflictMarkerLine('{\r\n=======\r\n}')).toBe(2);
    expect(conflictMarkerLine('||||||| base\n')).toBe(1);
    expect(conflictMarkerLine('{"a": "<<<<<<< inside a string"}\n')).toBeUndefined();
    expect(conflictMarkerLine('{"a": 1}\n')).toBeUndefined();
  });

  it('finds what the expression alone finds, in any text (property over text)', () => {
    const piece = fc.constantFrom('<', '=', '>', '|', '<<<<<<<', '=======', '>>>>>>>', '|||||||', ' ', '\n', '\r', '\r\n', '{', '"a": 1', 'x');
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 40 }).map((parts) => parts.join('')), (text) => {
        expect(conflictMarkerLine(text)).toBe(byExpressionAlone(text));
      }),
      { numRuns: 5000, seed: 38 },
    );
  });
});
