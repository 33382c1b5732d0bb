// A real child's stdout read into one buffer (adapters/reused-reads.ts): every byte arrives, in
// order, through the same memory; the stream still ends and closes, and so does the child.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { READ_BUFFER_BYTES, readIntoOneBuffer } from '../../../src/adapters/reused-reads.js';

/** A child that writes `bytes` bytes (a counting pattern) to stdout and exits. */
function writer(bytes: number) {
  const script = `const b = Buffer.alloc(${bytes}); for (let i = 0; i < b.length; i++) b[i] = i % 251; process.stdout.write(b);`;
  return spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'ignore'] });
}

describe('readIntoOneBuffer', () => {
  it('hands on every byte of a child that writes megabytes, each read in the same memory, and ends and closes as the stream would', async () => {
    const child = writer(3 * 1024 * 1024 + 7);
    const reads = readIntoOneBuffer(child.stdout);
    expect(reads).toBeDefined();
    const got: Buffer[] = [];
    const memory = new Set<ArrayBufferLike>();
    const ended = once(reads!.stream, 'end');
    const closed = once(reads!.stream, 'close');
    // child_process still counts the pipe among the child's: its 'close' comes once all are closed.
    const childClosed = once(child, 'close');
    reads!.start((bytes) => {
      expect(bytes.length).toBeLessThanOrEqual(READ_BUFFER_BYTES);
      memory.add(bytes.buffer);
      got.push(Buffer.from(bytes));
    });
    await Promise.all([ended, closed, childClosed]);
    const all = Buffer.concat(got);
    expect(all.length).toBe(3 * 1024 * 1024 + 7);
    expect(all.every((byte, i) => byte === i % 251)).toBe(true);
    expect(memory.size).toBe(1);
    expect(child.stdout.destroyed).toBe(true);
  });

  it('reads nothing before start: what the child wrote waits in the pipe', async () => {
    const child = writer(1000);
    const reads = readIntoOneBuffer(child.stdout)!;
    await once(child, 'exit');
    expect(reads.stream.readableLength).toBe(0);
    const got: Buffer[] = [];
    const ended = once(reads.stream, 'end');
    reads.start((bytes) => got.push(Buffer.from(bytes)));
    await ended;
    expect(Buffer.concat(got).length).toBe(1000);
  });

  it('leaves a stream that is not a pipe of a child, or that has bytes already, as it is', async () => {
    expect(readIntoOneBuffer(new PassThrough())).toBeUndefined();
    const child = writer(10);
    // A listener reads the pipe as a stream: once bytes are in it, the stream keeps them.
    child.stdout.pause();
    await once(child.stdout, 'readable');
    expect(child.stdout.readableLength).toBeGreaterThan(0);
    expect(readIntoOneBuffer(child.stdout)).toBeUndefined();
    expect(child.stdout.read().length).toBe(10);
  });
});
