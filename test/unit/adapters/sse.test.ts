// The event streams a remote session reads end when the session does, whatever the fetch's abort
// signal does (BodyReaders): a body left open keeps its socket, and `mcpm run` alive.
import { describe, expect, it } from 'vitest';
import { BodyReaders } from '../../../src/adapters/sse.js';

/** A body that sends `first` and then nothing, ever; `cancelled` resolves when it is cancelled. */
function openBody(first: string): { body: ReadableStream<Uint8Array>; cancelled: Promise<unknown> } {
  let cancel!: (reason: unknown) => void;
  const cancelled = new Promise((resolve) => (cancel = resolve));
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(new TextEncoder().encode(first));
    },
    cancel: (reason) => cancel(reason ?? 'cancelled'),
  });
  return { body, cancelled };
}

describe('BodyReaders', () => {
  it('cancelAll ends a read that waits for more, and cancels the body', async () => {
    const readers = new BodyReaders();
    const { body, cancelled } = openBody('data: 1\n\n');
    const seen: string[] = [];
    let first!: () => void;
    const firstSeen = new Promise<void>((resolve) => (first = resolve));
    const reading = (async () => {
      for await (const chunk of readers.chunks(body)) {
        seen.push(new TextDecoder().decode(chunk));
        first();
      }
    })();
    await firstSeen;
    expect(seen).toEqual(['data: 1\n\n']);
    readers.cancelAll();
    await reading;
    await cancelled;
  });

  it('a consumer that stops early cancels the rest of the body', async () => {
    const readers = new BodyReaders();
    const { body, cancelled } = openBody('x');
    for await (const chunk of readers.chunks(body)) {
      expect(chunk.byteLength).toBe(1);
      break;
    }
    await cancelled;
    // Nothing left to cancel.
    expect(() => readers.cancelAll()).not.toThrow();
  });

  it('reads a body to its end and leaves it as it is', async () => {
    const readers = new BodyReaders();
    const chunks: number[] = [];
    for await (const chunk of readers.chunks(new Blob(['ab', 'cd']).stream())) chunks.push(chunk.byteLength);
    expect(chunks.reduce((a, b) => a + b, 0)).toBe(4);
  });
});
