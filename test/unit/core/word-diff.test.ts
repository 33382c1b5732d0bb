import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { boundedWordDiff, SHOWN_WORD_CHANGES, WORD_EDIT_LIMIT } from '../../../src/core/word-diff.js';

const words = fc.array(fc.constantFrom('alpha', 'beta', 'gamma', ' ', '  ', '.', '\n', 'é', 'x'), { maxLength: 60 }).map((ws) => ws.join(''));

/** The text each side reads from the parts: same + removed before, same + added after. */
const side = (parts: { op: string; text: string }[], drop: 'added' | 'removed') => parts.filter((p) => p.op !== drop).map((p) => p.text).join('');

describe('boundedWordDiff', () => {
  it('rebuilds both texts exactly when nothing is elided (round trip over generated text)', () => {
    fc.assert(
      fc.property(words, words, (before, after) => {
        const diff = boundedWordDiff(before, after);
        if (diff === null || diff.elided > 0) return;
        expect(side(diff.parts, 'added')).toBe(before);
        expect(side(diff.parts, 'removed')).toBe(after);
      }),
      { numRuns: 300 },
    );
  });

  it('shows at most SHOWN_WORD_CHANGES changes and counts the rest', () => {
    const before = Array.from({ length: 56 }, (_, i) => `w${i}`).join(' ');
    const after = Array.from({ length: 56 }, (_, i) => (i % 2 === 0 ? `v${i}` : `w${i}`)).join(' ');
    const diff = boundedWordDiff(before, after)!;
    const shown = diff.parts.filter((p) => p.op === 'removed').length;
    expect(shown).toBe(SHOWN_WORD_CHANGES);
    expect(shown + diff.elided).toBe(28);
    // What is shown is the start of both texts; nothing unchanged trails the last change shown.
    expect(before.startsWith(side(diff.parts, 'added'))).toBe(true);
    expect(after.startsWith(side(diff.parts, 'removed'))).toBe(true);
    expect(diff.parts.at(-1)!.op).toBe('added');
  });

  it('gives up past WORD_EDIT_LIMIT edited tokens, in time that does not grow with the square of the text', () => {
    const text = (seed: number) => Array.from({ length: 20_000 }, (_, i) => Math.floor(Math.abs(Math.sin(i * seed + seed)) * 50).toString(36)).join(' ');
    expect(boundedWordDiff(text(1), text(2))).toBeNull();
    // Few edits in a long text still diff, whatever its length.
    const long = text(1);
    const diff = boundedWordDiff(long, `${long} end`)!;
    expect(diff.parts.filter((p) => p.op !== 'same').length).toBeLessThanOrEqual(WORD_EDIT_LIMIT);
    expect(side(diff.parts, 'removed')).toBe(`${long} end`);
  });
});
