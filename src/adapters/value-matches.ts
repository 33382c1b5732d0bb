/**
 * What this user's earlier runs found about configured values: that a value hashes to the digest
 * the lock holds for it (core/launch/values.ts). That scrypt is slow by design, and node:crypto
 * takes milliseconds to load: `mcpm run` spent 12 to 15 ms binding two literal values before it
 * started a server, at every session start, for values that had not changed. With a finding kept,
 * binding a server's values takes one keyed hash in JavaScript.
 *
 * A finding is a tag (valueMatchTag): a keyed hash, under a key of this user's own, of the salts,
 * digests and values of one server.
 * - It is kept only for a digest the lock holds, and says only that the value hashes to it: nothing
 *   the lock does not say, and only to whoever holds the key.
 * - The key is in mcpm's private state directory (beside guard's sidecars, which hold a config's
 *   original values), the tags in its cache directory. Either without the other (a cache directory
 *   shared between CI jobs, or attached to a bug report) tells nothing, and confirms no guessed
 *   value faster than the lock's scrypt does. (On Windows the cache directory is inside the state
 *   directory.) With both and the lock, a guess costs a SHA-256, not a scrypt: whoever can read
 *   both can read the config, which holds the values in clear.
 * - Both are read only from files this user owns and nobody else can write, the key also only if
 *   nobody else can read it. Without a usable key nothing is skipped, and nothing is kept.
 * - A tag is made from the value itself, not from the files it was read from. However a value
 *   changes (an edit that keeps the config's times, a plugin root read from another file), it
 *   meets no tag and is hashed.
 */
import { closeSync, fsyncSync, linkSync, lstatSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { freshValueMatchKey, valueMatchTag } from '../core/canonical.js';
import { makeDirectories } from './make-directories.js';
import { mcpmCacheDir, readCacheFile, writeCacheFile, type CachePlace } from './cache-dir.js';
import { mcpmStateDir } from './state-dir.js';

const KEY_FILE = 'value-key';
const TAGS_FILE = 'value-matches';
const KEY_TEXT = /^mcpm-value-key 1\n([0-9a-f]{64})\n$/;
const TAGS_HEADER = 'mcpm-value-matches 1';
const TAG = /^[0-9a-f]{32}$/;
/**
 * The newest are kept: one tag for each server's values in each lock, and values edited leave their
 * old tag behind (as does a new key: tags made under another meet nothing).
 */
export const MAX_VALUE_MATCHES = 4096;

/** A value bound with the lock's salt, and the digest the lock has for it. */
export interface ValueFinding {
  salt: string;
  digest: string;
  value: string;
}

export class ValueMatches {
  readonly #keyFile: string | undefined;
  readonly #tagsFile: string | undefined;
  /** undefined: not read yet; null: no key file (one may be made); false: one that cannot be used. */
  #key: Uint8Array | null | false | undefined;
  #tags: Set<string> | undefined;
  readonly #added: string[] = [];

  constructor(place: CachePlace) {
    const state = mcpmStateDir(place.env, place.platform);
    const cache = mcpmCacheDir(place);
    this.#keyFile = state === undefined ? undefined : join(state, KEY_FILE);
    this.#tagsFile = cache === undefined ? undefined : join(cache, TAGS_FILE);
  }

  /** True when an earlier run found that each value of one server hashes to its digest, with its salt. */
  has(findings: readonly ValueFinding[]): boolean {
    // No tags, no key to read.
    if (this.#readTags().size === 0) return false;
    const key = this.#readKey();
    return key instanceof Uint8Array && this.#readTags().has(valueMatchTag(key, findings));
  }

  /** Keeps, at save(), that each value of one server hashes to its digest with its salt, as the caller found. */
  add(findings: readonly ValueFinding[]): void {
    const key = this.#readKey() ?? this.#makeKey();
    if (key === false) return;
    const tag = valueMatchTag(key, findings);
    if (this.#readTags().has(tag)) return;
    this.#readTags().add(tag);
    this.#added.push(tag);
  }

  /** Writes what add() found, with what other runs kept meanwhile; best effort. */
  save(): void {
    if (this.#added.length === 0 || this.#tagsFile === undefined) return;
    const kept = readTags(this.#tagsFile);
    for (const tag of this.#added) kept.delete(tag);
    const tags = [...kept, ...this.#added].slice(-MAX_VALUE_MATCHES);
    writeCacheFile(this.#tagsFile, `${TAGS_HEADER}\n${tags.map((tag) => `${tag}\n`).join('')}`);
    this.#added.length = 0;
  }

  #readKey(): Uint8Array | null | false {
    if (this.#key === undefined) this.#key = this.#keyFile === undefined ? false : readKey(this.#keyFile);
    return this.#key;
  }

  /**
   * A new key, when there is no key file: written to a temporary file of a random name, synced,
   * then linked to its name, which fails if another run made one meanwhile (that one is then used).
   * A key file that cannot be used is left as it is, and not tried again in this run.
   */
  #makeKey(): Uint8Array | false {
    const file = this.#keyFile;
    if (file === undefined) return false;
    const key = freshValueMatchKey();
    const temp = `${file}.${Buffer.from(freshValueMatchKey()).toString('hex', 0, 8)}.tmp`;
    try {
      makeDirectories(dirname(file), 0o700);
      const fd = openSync(temp, 'wx', 0o600);
      try {
        writeFileSync(fd, `mcpm-value-key 1\n${Buffer.from(key).toString('hex')}\n`);
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
      try {
        linkSync(temp, file);
        this.#key = key;
      } catch (error) {
        this.#key = ((error as NodeJS.ErrnoException).code === 'EEXIST' && readKey(file)) || false;
      }
    } catch {
      this.#key = false;
    }
    try {
      rmSync(temp, { force: true });
    } catch {
      // Left as it is.
    }
    return this.#key;
  }

  #readTags(): Set<string> {
    this.#tags ??= this.#tagsFile === undefined ? new Set() : readTags(this.#tagsFile);
    return this.#tags;
  }
}

/** The key in `file`: null when there is no such file, false when there is one that cannot be used. */
function readKey(file: string): Uint8Array | null | false {
  const text = readCacheFile(file, 128, { private: true })?.toString('latin1');
  const hex = text === undefined ? undefined : KEY_TEXT.exec(text)?.[1];
  if (hex !== undefined) return new Uint8Array(Buffer.from(hex, 'hex'));
  try {
    lstatSync(file);
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ENOENT' ? null : false;
  }
}

/** The tags of `file`: none when it is missing or is not one. */
function readTags(file: string): Set<string> {
  const [header, ...tags] = (readCacheFile(file, 64 + MAX_VALUE_MATCHES * 33)?.toString('latin1') ?? '').split('\n');
  // Every line ends in a newline, the last one too: the last piece is empty.
  if (header !== TAGS_HEADER || tags.pop() !== '' || !tags.every((tag) => TAG.test(tag))) return new Set();
  return new Set(tags);
}
