/**
 * Reading a large lock builds its whole value and keeps it, so each time V8's young generation
 * fills, almost all of it survives: V8 then doubles the young generation, and each doubling is
 * fresh memory the kernel maps page by page, for objects that leave it at the next collection
 * anyway. Kept at its first size (1 MiB), the same pages are used again: checking a 10 MB lock
 * takes about a quarter fewer page faults and less time. A command that contacts servers is the
 * same: the SDK's modules, then every listing, are kept to its end. V8 reads the growth factor each
 * time it decides to grow, so setting it while the process runs takes effect.
 */
import { setV8Flags } from './v8-flags.js';

/**
 * Locks from this size on are worth it. node:v8 takes about 3 ms to load on a 2-CPU VM whose fresh
 * pages cost 10 µs each to map; there a lock of 1.1 MB (64 servers) was checked 10 ms sooner,
 * 285 KB in the same time, and 18 KB a millisecond later.
 */
const LARGE_LOCK_BYTES = 512 * 1024;

let kept = false;

/** Keeps the young generation at its size from now on (once per process; nothing else changes). */
export function keepYoungGenerationSmall(): void {
  if (kept) return;
  kept = true;
  // Only on the V8 versions known to have the flag (Node 20 to 24): an unknown one is an error message on stderr.
  const major = Number(process.versions.v8.split('.')[0]);
  if (major < 10 || major > 13) return;
  setV8Flags('--semi-space-growth-factor=1');
}

/** keepYoungGenerationSmall when `lockText`, a whole lock about to be parsed, is large. */
export function keepYoungGenerationSmallFor(lockText: string): void {
  // A character is one UTF-8 byte or more.
  if (lockText.length >= LARGE_LOCK_BYTES) keepYoungGenerationSmall();
}
