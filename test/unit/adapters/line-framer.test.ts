import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LineFramer } from '../../../src/adapters/line-framer.js';

/** Lines as a framer hands them on, each copied at once (a transient one is reused after the call). */
function framed(chunks: Buffer[], reuseBuffer: boolean): { lines: string[]; transient: boolean[]; partials: number[] } {
  const lines: string[] = [];
  const transient: boolean[] = [];
  const partials: number[] = [];
  const framer = new LineFramer(
    (line, _truncated, isTransient) => {
      lines.push(line.toString('latin1'));
      transient.push(isTransient);
      // Whatever the consumer does to a transient line must not reach the next one.
      if (isTransient) line.fill(0x21);
    },
    { reuseBuffer, onPartial: (parts, size) => partials.push(size, parts.reduce((n, p) => n + p.length, 0)) },
  );
  for (const chunk of chunks) framer.push(chunk);
  framer.flush();
  return { lines, transient, partials };
}

describe('LineFramer', () => {
  it('hands on the same lines with and without a reused buffer, however the stream is cut (property over text and cuts)', () => {
    fc.assert(
      fc.property(fc.array(fc.string({ unit: fc.constantFrom('a', 'é', '\n', '\r', 'x'.repeat(40)) }), { maxLength: 8 }), (pieces) => {
        const chunks = pieces.map((p) => Buffer.from(p));
        const plain = framed(chunks, false);
        const reused = framed(chunks, true);
        expect(reused.lines).toEqual(plain.lines);
        expect(reused.partials).toEqual(plain.partials);
        // A transient line is overwritten once read (framed() fills it): had it been a view of a
        // chunk, a later line of that chunk would differ. Without reuse, no line is transient.
        expect(plain.transient.every((t) => !t)).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });

  it('reuses one buffer for line after line, and lets a very large one go', () => {
    const seen = new Set<ArrayBufferLike>();
    const framer = new LineFramer((line) => seen.add(line.buffer), { reuseBuffer: true });
    for (let i = 0; i < 5; i++) {
      framer.push(Buffer.from('a'.repeat(70_000)));
      framer.push(Buffer.from('b\n'));
    }
    expect(seen.size).toBe(1);
    framer.push(Buffer.alloc(5 * 1024 * 1024, 0x61));
    framer.push(Buffer.from('\n'));
    framer.push(Buffer.from('a'.repeat(70_000)));
    framer.push(Buffer.from('b\n'));
    expect(seen.size).toBe(3);
  });
});
