import { describe, expect, it } from 'vitest';
import { coalescedWrites, SOON_BYTES } from '../../../src/guard/coalesced-writes.js';

const settled = () => new Promise<void>((resolve) => queueMicrotask(resolve));

function recorder() {
  const writes: string[] = [];
  const togetherCalls: string[][] = [];
  let inTogether: string[] | undefined;
  const out = coalescedWrites(
    (bytes) => {
      writes.push(bytes.toString());
      inTogether?.push(bytes.toString());
    },
    (writesOf) => {
      inTogether = [];
      writesOf();
      togetherCalls.push(inTogether);
      inTogether = undefined;
    },
  );
  return { out, writes, togetherCalls };
}

describe('coalescedWrites', () => {
  it('joins the small messages of one turn into one write, made before the next turn', async () => {
    const { out, writes } = recorder();
    out.write(Buffer.from('a\n'));
    out.write(Buffer.from('b\n'));
    out.write(Buffer.from('c\n'));
    expect(writes).toEqual([]);
    expect(out.isEmpty()).toBe(false);
    await settled();
    expect(writes).toEqual(['a\nb\nc\n']);
    expect(out.isEmpty()).toBe(true);
  });

  it('writes as soon as a kilobyte waits, so the other side starts on it while the rest of the turn is judged', async () => {
    const { out, writes } = recorder();
    const line = (n: number) => `${String(n).padStart(3, '0')}${'x'.repeat(95)}\n`; // 99 bytes
    const perWrite = Math.ceil(SOON_BYTES / 99);
    const lines = Array.from({ length: 3 * perWrite + 2 }, (_, n) => line(n));
    lines.slice(0, perWrite - 1).forEach((text) => out.write(Buffer.from(text)));
    expect(writes).toEqual([]);
    out.write(Buffer.from(lines[perWrite - 1]!));
    // Within the same turn: the first kilobyte has gone.
    expect(writes).toEqual([lines.slice(0, perWrite).join('')]);
    lines.slice(perWrite).forEach((text) => out.write(Buffer.from(text)));
    expect(writes).toHaveLength(3);
    await settled();
    expect(writes).toHaveLength(4);
    // In order, nothing lost or doubled; each write at most a kilobyte and one line.
    expect(writes.join('')).toBe(lines.join(''));
    for (const bytes of writes) expect(bytes.length).toBeLessThan(SOON_BYTES + 99);
  });

  it('writes a large message at once, and pieces too large to join one by one inside `together`', async () => {
    const { out, writes, togetherCalls } = recorder();
    const big = 'y'.repeat(100 * 1024);
    out.write(Buffer.from(big));
    expect(writes).toEqual([big]);
    out.write(Buffer.from('small\n'));
    out.write(Buffer.from(big));
    expect(togetherCalls).toEqual([['small\n', big]]);
    await settled();
    expect(writes).toEqual([big, 'small\n', big]);
  });

  it('flush writes what waits at once; nothing is written twice by the turn that follows', async () => {
    const { out, writes } = recorder();
    out.write(Buffer.from('a\n'));
    out.flush();
    expect(writes).toEqual(['a\n']);
    await settled();
    expect(writes).toEqual(['a\n']);
  });
});
