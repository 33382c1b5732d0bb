import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LineFramer } from '../../../src/adapters/line-framer.js';

type Mode = 'plain' | 'reused' | 'chunksReused';

/**
 * Lines as a framer hands them on, each copied at once (a transient one is reused after the call).
 * `chunksReused`: each chunk is read into one buffer, as adapters/reused-reads.ts does, and that
 * buffer is written over after each push. `parts`: every part onPartial handed on, with its text then.
 * `fill`: the consumer writes over each transient line once it has read it.
 */
function framed(chunks: Buffer[], mode: Mode, partsReleased: () => boolean = () => true, fill = true) {
  const lines: string[] = [];
  const transient: boolean[] = [];
  const partials: number[] = [];
  const parts: { view: Buffer; text: string }[] = [];
  let seen = 0;
  const framer = new LineFramer(
    (line, _truncated, isTransient) => {
      lines.push(line.toString('latin1'));
      transient.push(isTransient);
      // Whatever the consumer does to a transient line must not reach the next one.
      if (isTransient && fill) line.fill(0x21);
      seen = 0;
    },
    {
      reuseBuffer: mode !== 'plain',
      chunksReused: mode === 'chunksReused',
      partsReleased,
      onPartial: (given, size) => {
        partials.push(size, given.reduce((n, p) => n + p.length, 0));
        for (const view of given.slice(seen)) parts.push({ view, text: view.toString('latin1') });
        seen = given.length;
      },
    },
  );
  const reader = Buffer.alloc(Math.max(0, ...chunks.map((c) => c.length)));
  for (const chunk of chunks) {
    if (mode !== 'chunksReused') framer.push(chunk);
    else {
      chunk.copy(reader);
      framer.push(reader.subarray(0, chunk.length));
      reader.fill(0x3f);
    }
  }
  framer.flush();
  return { lines, transient, partials, parts };
}

describe('LineFramer', () => {
  it('hands on the same lines with and without a reused buffer, however the stream is cut (property over text and cuts)', () => {
    fc.assert(
      fc.property(fc.array(fc.string({ unit: fc.constantFrom('a', 'é', '\n', '\r', 'x'.repeat(40)) }), { maxLength: 8 }), (pieces) => {
        const chunks = pieces.map((p) => Buffer.from(p));
        const plain = framed(chunks, 'plain');
        const reused = framed(chunks, 'reused');
        const chunksReused = framed(chunks, 'chunksReused');
        expect(reused.lines).toEqual(plain.lines);
        expect(reused.partials).toEqual(plain.partials);
        // The reader wrote over each chunk after its push: no line or part may have been a view of it.
        expect(chunksReused.lines).toEqual(plain.lines);
        expect(chunksReused.partials).toEqual(plain.partials);
        expect(chunksReused.parts.map((p) => p.text)).toEqual(plain.parts.map((p) => p.text));
        // A transient line is overwritten once read (framed() fills it): had it been a view of a
        // chunk, a later line of that chunk would differ. Without reuse, no line is transient;
        // with chunks reused, every line is but an unterminated last one (joined at the end).
        expect(plain.transient.every((t) => !t)).toBe(true);
        const text = pieces.join('');
        const unterminated = text !== '' && !text.endsWith('\n');
        expect(chunksReused.transient).toEqual(chunksReused.lines.map((_, i) => !(unterminated && i === chunksReused.lines.length - 1)));
      }),
      { numRuns: 2000 },
    );
  });

  it('never writes over a part handed on while parts are not released, with chunks reused (property over text and cuts)', () => {
    fc.assert(
      fc.property(fc.array(fc.string({ unit: fc.constantFrom('a', 'é', '\n', 'x'.repeat(40)) }), { maxLength: 10 }), (pieces) => {
        const { parts } = framed(
          pieces.map((p) => Buffer.from(p)),
          'chunksReused',
          () => false,
          false,
        );
        for (const part of parts) expect(part.view.toString('latin1')).toBe(part.text);
      }),
      { numRuns: 2000 },
    );
  });

  it('reuses one buffer for line after line, and lets a very large one go', () => {
    const seen = new Set<ArrayBufferLike>();
    const framer = new LineFramer((line) => seen.add(line.buffer), { reuseBuffer: true, partsReleased: () => true });
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

  it('starts a line in a buffer of its own while the parts of the last one may still be read', () => {
    const seen = new Set<ArrayBufferLike>();
    let released = false;
    const framer = new LineFramer((line) => seen.add(line.buffer), { reuseBuffer: true, partsReleased: () => released });
    for (let i = 0; i < 3; i++) {
      framer.push(Buffer.from('a'.repeat(70_000)));
      framer.push(Buffer.from('b\n'));
    }
    expect(seen.size).toBe(3);
    released = true;
    for (let i = 0; i < 3; i++) {
      framer.push(Buffer.from('a'.repeat(70_000)));
      framer.push(Buffer.from('b\n'));
    }
    expect(seen.size).toBe(3);
  });
});
