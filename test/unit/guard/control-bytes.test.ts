import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { holdsControlByte, holdsControlByteBySearch, scansWithSimd } from '../../../src/guard/control-bytes.js';
import { holdsRefused } from '../../../src/guard/large-line.js';

const WINDOW = 64 * 1024;

/**
 * Bytes of `length` with no control byte (a cycle over 0x20..0xFF), then `plants` written in, seen
 * from `offset` on (a view that does not start at its buffer's start, as a chunk's subarray). Plant
 * places are drawn near the scanner's edges too: its 16- and 64-byte blocks and 64 KiB windows.
 */
const planted = fc
  .record({
    length: fc.oneof(fc.nat(300), fc.nat(3 * WINDOW + 200)),
    offset: fc.nat(70),
    plants: fc.array(
      fc.record({
        at: fc.oneof(fc.nat(), fc.tuple(fc.constantFrom(16, 64, WINDOW), fc.nat(3), fc.integer({ min: -3, max: 3 })).map(([unit, k, d]) => Math.max(0, unit * k + d))),
        bytes: fc.oneof(fc.integer({ min: 0, max: 0x1f }).map((b) => [b]), fc.constantFrom<number[]>([0xc2, 0x85], [0xe2, 0x80, 0xa8], [0xe2, 0x80, 0xa9], [0xe2, 0x80, 0xa7], [0xc2, 0x84], [0x20], [0x7f])),
      }),
      { maxLength: 3 },
    ),
  })
  .map(({ length, offset, plants }) => {
    const buffer = Buffer.alloc(offset + length);
    for (let i = 0; i < buffer.length; i++) buffer[i] = 0x20 + (i % 0xe0);
    for (const { at, bytes } of plants) bytes.forEach((b, i) => {
      const place = offset + (at % Math.max(length, 1)) + i;
      if (place < buffer.length) buffer[place] = b;
    });
    return buffer.subarray(offset);
  });

/** Byte by byte: a control byte, or U+0085, U+2028, U+2029 in UTF-8. */
function refusedByLoop(bytes: Buffer): boolean {
  for (let i = 0; i < bytes.length; i++) {
    if (bytes[i]! < 0x20) return true;
    if (bytes[i] === 0xc2 && bytes[i + 1] === 0x85) return true;
    if (bytes[i] === 0xe2 && bytes[i + 1] === 0x80 && (bytes[i + 2] === 0xa8 || bytes[i + 2] === 0xa9)) return true;
  }
  return false;
}

describe('holdsControlByte', () => {
  it('scans with WebAssembly SIMD on this Node (the fallback is not the only path tested)', () => {
    expect(scansWithSimd()).toBe(true);
  });

  it('reads the last byte of each window and nothing past the bytes given', () => {
    for (const length of [1, 15, 16, 17, 63, 64, 65, WINDOW - 1, WINDOW, WINDOW + 1, 2 * WINDOW + 5]) {
      const bytes = Buffer.alloc(length + 1, 0x41);
      bytes[length] = 0x0a; // just past the view: never seen
      expect(holdsControlByte(bytes.subarray(0, length))).toBe(false);
      bytes[length - 1] = 0x09;
      expect(holdsControlByte(bytes.subarray(0, length))).toBe(true);
    }
    expect(holdsControlByte(Buffer.alloc(0))).toBe(false);
  });
});

describe('holdsControlByte and holdsRefused', () => {
  it('find what a walk byte by byte finds, wherever it is (property over planted bytes)', () => {
    const found = { control: 0, refused: 0 };
    fc.assert(
      fc.property(planted, (bytes) => {
        const control = bytes.some((b) => b < 0x20);
        const refused = refusedByLoop(bytes);
        if (control) found.control++;
        if (refused && !control) found.refused++;
        expect(holdsControlByteBySearch(bytes)).toBe(control);
        expect(holdsControlByte(bytes)).toBe(control);
        expect(holdsRefused(bytes)).toBe(refused);
      }),
      { numRuns: 500 },
    );
    // Both kinds are met: control bytes, and line breaks past ASCII alone.
    expect(found.control).toBeGreaterThan(100);
    expect(found.refused).toBeGreaterThan(20);
  });
});
