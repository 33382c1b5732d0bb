/**
 * Chunks kept until a consumer takes over; from then on each goes straight to it. `mcpm run` holds
 * the server's stderr from its first byte, while the guard's session (session.ts) is still loading.
 * Its own small module: it is needed before the spawn, the session only after it.
 */
export class HeldChunks {
  private held: Buffer[] | undefined = [];
  private consumer: ((chunk: Buffer) => void) | undefined;

  push(chunk: Buffer): void {
    if (this.consumer) this.consumer(chunk);
    else this.held?.push(chunk);
  }

  release(consumer: (chunk: Buffer) => void): void {
    this.consumer = consumer;
    for (const chunk of this.held ?? []) consumer(chunk);
    this.held = undefined;
  }
}
