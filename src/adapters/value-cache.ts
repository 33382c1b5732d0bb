/**
 * Checking a configured env or header value against the lock costs one scrypt of it (about 4 ms and
 * 1 MiB of fresh memory on a 2-CPU VM, and node:crypto loaded first): `mcpm run` pays that before
 * it starts a server, at every session start of every host, and `verify --offline` once per value
 * at every commit. The digests are the same as long as the config's bytes and the lock's salts are,
 * so they are kept in mcpm's cache directory, as the lock index keeps offsets (lock-index.ts): one
 * file per set of config files, holding the identity of each file the servers were read from
 * (device, inode, size, modification and change times), and each value's digest under its server,
 * name and salt. A later run whose files all have the same identities takes the digests from there.
 *
 * What this keeps and what it trusts:
 * - No value, and nothing computed from one but the scrypt digests the lock itself holds.
 * - An identity stands for the bytes read only when no write can have been missed: the file did not
 *   change while it was read (FileRead.identity), and it had last changed a clock tick or more
 *   before it was read (SETTLED_MS). A file written twice within one tick keeps its identity;
 *   digests of a file that new are not kept.
 * - A record is a claim "this value hashes to that digest", believed only from a file the user owns
 *   and nobody else can write. Whoever can write it can write the lock too, and give a changed value
 *   a matching digest there (the salt is in the lock), so it adds no way around the check.
 *   Anything that does not read as a record is ignored and replaced.
 * Best effort: a cache that cannot be read or written only means the values are hashed again.
 */
import { join } from 'node:path';
import { nameDigest } from '../core/canonical.js';
import { readCacheFile, writeCacheFile } from './cache-dir.js';
import type { FileRead } from './files.js';

/**
 * How long before a read a file must have last changed for digests of its values to be kept: past
 * the file system's clock tick (at most 10 ms on Linux, where change times come from the kernel's
 * coarse clock; 100 ns on NTFS and APFS), or past the second or two of one that keeps whole seconds.
 */
export const SETTLED_MS = 100;
export const SETTLED_WHOLE_SECONDS_MS = 3_000;

const RECORD_VERSION = 1;
const MAX_RECORD_BYTES = 1024 * 1024;
const DIGEST = /^[A-Za-z0-9_-]{43}$/;

/** Where the config was read: the project directory and `--host` shape what a file's text means. */
export interface ConfigReadContext {
  projectDir: string;
  host?: string;
  reads: readonly FileRead[];
}

/** The digests of one set of config files, as read; `save` writes what was added since (or nothing). */
export interface ValueCache {
  get(server: string, key: string, salt: string): string | undefined;
  set(server: string, key: string, salt: string, digest: string): void;
  save(): void;
}

interface StoredRecord {
  version: number;
  /** What the digests are for: the project directory, the host and every file with its identity. */
  files: string;
  digests: Record<string, string>;
}

/** The cache for the config read in `context`, in `cacheDir` (undefined: none, and nothing is kept). */
export function openValueCache(cacheDir: string | undefined, context: ConfigReadContext): ValueCache | undefined {
  if (cacheDir === undefined || context.reads.length === 0) return undefined;
  // One file per set of config paths: a new identity replaces the record rather than adding one.
  // Named when first needed: a command that binds no value hashes nothing.
  let named: string | undefined;
  const recordFile = () => (named ??= join(cacheDir, 'values', `${nameDigest(JSON.stringify([context.projectDir, context.host ?? null, context.reads.map((r) => r.file)]), 32)}.json`));
  const files = JSON.stringify([context.projectDir, context.host ?? null, context.reads.map((r) => [r.file, r.identity])]);
  const stable = context.reads.every((r) => r.identity !== null);
  // Read at the first question: a command that binds no value never opens the file.
  let digests: Record<string, string> | undefined;
  const known = (): Record<string, string> => (digests ??= Object.assign(Object.create(null) as Record<string, string>, stable ? readRecord(recordFile(), files) : undefined));
  let added = false;
  const keyOf = (server: string, key: string, salt: string) => JSON.stringify([server, key, salt]);
  return {
    get: (server, key, salt) => (stable ? known()[keyOf(server, key, salt)] : undefined),
    set(server, key, salt, digest) {
      if (!DIGEST.test(digest)) return;
      const k = keyOf(server, key, salt);
      if (known()[k] === digest) return;
      known()[k] = digest;
      added = true;
    },
    save() {
      if (!added || !stable || !context.reads.every(settled)) return;
      // Another run may have kept digests of other servers meanwhile: theirs are kept too.
      const onDisk = readRecord(recordFile(), files);
      writeCacheFile(recordFile(), JSON.stringify({ version: RECORD_VERSION, files, digests: { ...onDisk, ...known() } } satisfies StoredRecord));
      added = false;
    },
  };
}

function settled(read: FileRead): boolean {
  return read.changedMs < read.readMs - (read.wholeSeconds ? SETTLED_WHOLE_SECONDS_MS : SETTLED_MS);
}

/** The record's digests when `file` holds a record for exactly `files` (readCacheFile: written by this user alone). */
function readRecord(file: string, files: string): Record<string, string> | undefined {
  const bytes = readCacheFile(file, MAX_RECORD_BYTES);
  if (bytes === undefined) return undefined;
  try {
    const record = JSON.parse(bytes.toString('utf8')) as Partial<StoredRecord> | null;
    if (record?.version !== RECORD_VERSION || record.files !== files) return undefined;
    const digests = record.digests;
    if (typeof digests !== 'object' || digests === null || Array.isArray(digests)) return undefined;
    const valid = Object.create(null) as Record<string, string>;
    for (const [key, digest] of Object.entries(digests)) if (typeof digest === 'string' && DIGEST.test(digest)) valid[key] = digest;
    return valid;
  } catch {
    return undefined;
  }
}
