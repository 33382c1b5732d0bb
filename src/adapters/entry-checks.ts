/**
 * `mcpm run`'s check of its own lock entry, kept. Before it relays anything a server sends, `run`
 * recomputes every integrity of the server's entry and compares them with the lock's (checkLock).
 * That loads node:crypto and hashes every definition, 5 to 10 ms of CPU at every session start,
 * taken from the server's own start on a small machine, for an entry that rarely changed since the
 * last session. So once an entry's check passed, a copy of what the check read (entryCheckText: the
 * entry's parsed value, as text) is kept in mcpm's cache directory, never in the project, under the
 * build that checked it. A later run of the same build that reads exactly that text takes the entry
 * as checked; anything else (an edit anywhere in the entry, another mcpm) is checked again in full.
 *
 * Compared, not hashed: a comparison of the text needs no node:crypto. What is kept is the lock's own
 * text: nothing the project does not hold. The cache is believed as the compiled code beside it is
 * (cache-dir.ts readCacheFile): only from files this user owns and only they can write.
 */
import { dirname, join } from 'node:path';
import { cacheKey, readCacheFile, removeUnused, writeCacheFile, type BuildCache } from './cache-dir.js';

/** Bumped when what a kept check means changes. */
const VERSION = 1;

export class EntryChecks {
  readonly #cache: BuildCache;

  constructor(cache: BuildCache) {
    this.#cache = cache;
  }

  /** Whether this build kept exactly `text` (entryCheckText) for the entry `name` of `lockFile`. */
  passed(lockFile: string, name: string, text: string): boolean {
    const expected = this.#content(text);
    const kept = readCacheFile(this.#file(lockFile, name), expected.length);
    return kept !== undefined && kept.equals(expected);
  }

  /** Keeps `text` as passed for the entry `name` of `lockFile`; best effort. */
  keep(lockFile: string, name: string, text: string): void {
    const file = this.#file(lockFile, name);
    // Those of deleted projects and renamed servers go once unused for long.
    if (writeCacheFile(file, this.#content(text))) removeUnused(dirname(file), '.entry');
  }

  #file(lockFile: string, name: string): string {
    return join(this.#cache.dir, 'entry-checks', `${cacheKey(`${lockFile}\0${name}`)}.entry`);
  }

  /** The text is well formed (entryCheckText), so its UTF-8 is exactly it. */
  #content(text: string): Buffer {
    return Buffer.from(`mcpm-entry-check ${VERSION} ${this.#cache.build}\n${text}`);
  }
}
