/**
 * `mcpm run`'s read of the lock: hosts start it at every session, and reading and checking a lock of
 * many big servers (megabytes) would be start-up every session waits for. After one full read of a
 * lock as mcpm prints it, where each entry's bytes are is kept in mcpm's cache directory (an index,
 * never in the project), under the file's identity: device, inode, size and modification and
 * change times. A write to the file sets its change time, which no user can set back, so a later
 * run finds the same identity for other bytes only if they were written through a shared mapping
 * (mmap), whose writes to a page already written may leave the times alone until the kernel writes
 * the page back. So a run that finds its identity reads its own entry alone, and compares what its
 * answer rests on besides the entry's value with the bytes indexed: the lock's head (its version,
 * everything before the first entry) and the line that names the entry. The entry's value is parsed
 * strictly and its integrity checked as always. The other entries are not this run's business
 * (verify --offline reads them all). A lock not in the printed form (hand-edited, CRLF) is read in
 * full every time.
 */
import { fstatSync, readFileSync, readSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { cacheKey, fileIdentity, readCacheFile, removeUnused, writeCacheFile } from './cache-dir.js';
import { escapeInvisible } from '../core/canonical.js';
import { parseStrictJson, readNativeJson } from '../core/json-strict.js';
import { decodeUtf8 } from './files.js';
import { lockHeadOfEntries, type LockHead } from '../core/lockfile.js';

interface LockIndex {
  /** The identity of the file the offsets are for. */
  identity: string;
  eol: '\n' | '\r\n';
  /** The lock's bytes before its first entry's key line, one character a byte (latin1). */
  head: string;
  /** Entry name → [first byte, byte after the last] of its value. */
  entries: Record<string, [number, number]>;
}

const INDEX_VERSION = 2;

/** An index of the largest lock (MAX_LOCK_BYTES) is well under this. */
const MAX_INDEX_BYTES = 16 * 1024 * 1024;

/** Smaller locks are read whole in a millisecond or two: no index, nothing in the cache. */
export const INDEX_MIN_BYTES = 256 * 1024;

function indexFile(cacheDir: string, lockFile: string): string {
  return join(cacheDir, 'lock-index', `${cacheKey(lockFile)}.json`);
}

function readIndex(file: string): LockIndex | undefined {
  const bytes = readCacheFile(file, MAX_INDEX_BYTES);
  if (bytes === undefined) return undefined;
  try {
    const json = JSON.parse(bytes.toString('utf8')) as { version?: number; index?: LockIndex };
    return json.version === INDEX_VERSION ? json.index : undefined;
  } catch {
    return undefined;
  }
}

/** Best effort: a cache that cannot be written only means the next run reads the whole lock again. */
function writeIndex(file: string, index: LockIndex): void {
  if (writeCacheFile(file, JSON.stringify({ version: INDEX_VERSION, index }))) removeUnused(dirname(file), '.json');
}

const KEY_LINE = Buffer.from('\n    "');
const ENTRY_END = Buffer.from('\n    }');

/**
 * Where each entry's value is in a lock as mcpm prints it (serializeLock: two spaces a level): the
 * only lines indented by exactly four spaces are the servers' keys (`    "NAME": {`) and the lines
 * that close their values (`    }`). Only for bytes whose text parseLockHead found printed;
 * undefined for anything else.
 */
export function entryOffsets(bytes: Buffer): Record<string, [number, number]> | undefined {
  const entries = Object.create(null) as Record<string, [number, number]>;
  let at = bytes.indexOf(KEY_LINE);
  while (at !== -1) {
    const lineEnd = bytes.indexOf(0x0a, at + 1);
    const line = bytes.toString('utf8', at + 5, lineEnd);
    if (lineEnd === -1 || !line.endsWith('": {')) return undefined;
    const name: unknown = JSON.parse(line.slice(0, -3));
    const end = bytes.indexOf(ENTRY_END, lineEnd);
    if (typeof name !== 'string' || end === -1) return undefined;
    entries[name] = [lineEnd - 1, end + ENTRY_END.length];
    at = bytes.indexOf(KEY_LINE, end + ENTRY_END.length);
  }
  return entries;
}

/**
 * The lock's entry `name` read through the index (a LockHead with it, or with no entry when it is not
 * locked), or undefined when there is no index for the file as it is now, or it does not serve
 * (then the caller reads the whole file with readWholeLock). `fd` is open on the lock, a
 * regular file; `cacheDir` undefined: no index.
 */
export function readIndexedEntry(fd: number, lockFile: string, shown: string, name: string, cacheDir: string | undefined): LockHead | undefined {
  if (cacheDir === undefined) return undefined;
  const stats = fstatSync(fd, { bigint: true });
  if (stats.size < INDEX_MIN_BYTES) return undefined;
  const identity = fileIdentity(stats);
  const index = readIndex(indexFile(cacheDir, lockFile));
  if (index === undefined || index.identity !== identity) return undefined;
  try {
    if (!startsWith(fd, Buffer.from(index.head, 'latin1'))) return undefined;
    const range = Object.hasOwn(index.entries, name) ? index.entries[name] : undefined;
    if (range === undefined) return lockHeadOfEntries(shown, index.eol, []);
    // The entry's key line as the printer writes it (invisible characters escaped), then its value: read together.
    const keyLine = Buffer.from(`\n    ${escapeInvisible(JSON.stringify(name))}: `);
    const start = range[0] - keyLine.length;
    if (start < 0) return undefined;
    const bytes = Buffer.alloc(range[1] - start);
    const read = readSync(fd, bytes, 0, bytes.length, start);
    // A file changed in place while it was read no longer has the indexed identity.
    if (read !== bytes.length || !keyLine.equals(bytes.subarray(0, keyLine.length)) || fileIdentity(fstatSync(fd, { bigint: true })) !== identity) return undefined;
    const text = decodeUtf8(bytes.subarray(keyLine.length));
    // As parseLockHead reads a whole lock: JSON.parse where it provably reads the same (a server of
    // hundreds of tools is hundreds of KB for the strict parser to read, cold, before the spawn).
    const native = readNativeJson(text);
    return { ...lockHeadOfEntries(shown, index.eol, [[name, native?.value ?? parseStrictJson(text)]]), sortedKeys: native?.sortedKeys ?? false };
  } catch {
    // An index that does not fit the file (edited by hand?): the full read decides, and says why.
    return undefined;
  }
}

/** Whether the file open on `fd` starts with `expected`. */
function startsWith(fd: number, expected: Buffer): boolean {
  const bytes = Buffer.alloc(expected.length);
  return readSync(fd, bytes, 0, bytes.length, 0) === bytes.length && bytes.equals(expected);
}

/**
 * The lock open on `fd` read in full and parsed by `parse`, and where each of its entries is kept
 * if it is printed as mcpm prints it (`parse` is told whether to find that out, which takes a whole
 * printing of the lock: only for a lock large enough to be indexed). Under the file's identity from
 * before the read, and only if the file still has it after the parse: one written in place
 * meanwhile (`cp`, an editor saving in place) has another by then, and offsets into the bytes read,
 * kept under its new identity, would point a later run at bytes they were not taken from.
 */
export function readWholeLock(fd: number, lockFile: string, cacheDir: string | undefined, parse: (bytes: Buffer, findPrinted: boolean) => LockHead): LockHead {
  const identity = fileIdentity(fstatSync(fd, { bigint: true }));
  const bytes = readFileSync(fd);
  const indexed = cacheDir !== undefined && bytes.length >= INDEX_MIN_BYTES;
  const head = parse(bytes, indexed);
  const entries = !indexed || !head.printed ? undefined : entryOffsets(bytes);
  if (entries === undefined || Object.keys(entries).length !== head.entries.size) return head;
  const firstKey = bytes.indexOf(KEY_LINE);
  const headBytes = bytes.toString('latin1', 0, firstKey === -1 ? bytes.length : firstKey);
  if (fileIdentity(fstatSync(fd, { bigint: true })) === identity) writeIndex(indexFile(cacheDir!, lockFile), { identity, eol: head.eol, head: headBytes, entries });
  return head;
}
