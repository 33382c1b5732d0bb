/**
 * A child's output pipe read into one buffer used again for every read. A stream reads each chunk
 * (up to 64 KiB) into memory of its own, freed only when V8 collects the chunk: a server that
 * answers with megabytes makes the process take fresh pages for every megabyte, until the
 * collections catch up. On a VM each fresh page is a fault the kernel takes while it copies the
 * pipe's bytes in (about 15 µs a page here), and the process's first read of the page about 5 µs
 * more. Relaying 1 MB answers, that was 5.2 ms of CPU a call for a bare relay over its first
 * 15 calls and 1.5 ms with one buffer (208 faults a call against 3).
 *
 * Node reads into a buffer of the caller's with the `onread` option of a net.Socket, which a
 * child's pipes are, but child_process makes their sockets itself. So this one takes the pipe's
 * handle from the socket child_process made, before any byte was read, and makes a socket of its
 * own over it. Where that cannot be done (no such handle, bytes already read) it does nothing and
 * the stream stays as it is.
 */
import { Socket } from 'node:net';
import type { Readable } from 'node:stream';

/** The buffer's size: what a stream reads at once from a pipe. */
export const READ_BUFFER_BYTES = 64 * 1024;

export interface ReusedReads {
  /**
   * The pipe's stream from now on, for all but its bytes: 'end', 'close' and 'error', pause() and
   * resume(), destroy(). It emits no 'data'. Paused until `start`.
   */
  readonly stream: Readable;
  /** Starts reading. Each read is handed to `onBytes` as a view of the one buffer: valid only during the call. */
  start(onBytes: (bytes: Buffer) => void): void;
}

/** What this module needs of a pipe's handle: its methods are Node's, not part of its public API. */
interface PipeHandle {
  readStart(): number;
  readStop(): number;
  useUserBuffer(buffer: Uint8Array): void;
}

function isPipeHandle(value: unknown): value is PipeHandle {
  const handle = value as Partial<PipeHandle> | null | undefined;
  return typeof handle?.readStart === 'function' && typeof handle.readStop === 'function' && typeof handle.useUserBuffer === 'function';
}

/**
 * The child's pipe `stdout` read into one buffer, or undefined (the stream is then untouched).
 * Call it before the event loop has handled any I/O since the spawn: bytes a stream has read stay
 * with it, and then this does nothing.
 */
export function readIntoOneBuffer(stdout: Readable): ReusedReads | undefined {
  const owner = stdout as Readable & { _handle?: unknown };
  const handle = owner._handle;
  if (!(stdout instanceof Socket) || !isPipeHandle(handle) || stdout.readableLength > 0 || stdout.destroyed) return undefined;
  const buffer = Buffer.allocUnsafeSlow(READ_BUFFER_BYTES);
  let onBytes: (bytes: Buffer) => void = () => {};
  // `handle` is the option net.Socket is built with over a handle; @types/node leaves it out.
  const socket = new Socket({
    handle,
    readable: true,
    writable: false,
    onread: { buffer, callback: (read: number) => void onBytes(buffer.subarray(0, read)) },
  } as ConstructorParameters<typeof Socket>[0]);
  // Not read until there is someone to hand the bytes to; the pipe holds them meanwhile.
  socket.pause();
  // The old socket lets go of the handle, and closes without closing it: child_process counts its
  // 'close' among the child's pipes.
  owner._handle = null;
  stdout.destroy();
  return {
    stream: socket,
    start(consumer) {
      onBytes = consumer;
      socket.resume();
    },
  };
}
