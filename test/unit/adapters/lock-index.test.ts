// `mcpm run`'s read of one entry through the lock index: the same entry a full read gives, never a
// stale one after the file changed, and a full read whenever the index does not fit the file.
import { promises as fs, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fileIdentity } from '../../../src/adapters/cache-dir.js';
import { entryOffsets, INDEX_MIN_BYTES, readWholeLock } from '../../../src/adapters/lock-index.js';
import { readLockHead } from '../../../src/adapters/lock-store.js';
import { lockFromHead, parseLockHead, serializeLock, type LockEntry, type LockHead } from '../../../src/core/lockfile.js';
import { lockEntryFor } from '../../fixtures/lock-entry.js';

/** An entry whose definitions are about `tools` × 300 bytes, so a few make a lock over INDEX_MIN_BYTES. */
function entryFor(name: string, tools: number, description = 'echo'): LockEntry {
  return lockEntryFor(name, Array.from({ length: tools }, (_, i) => ({ name: `tool_${i}`, description: `${description} ${i} `.repeat(20), inputSchema: { type: 'object' } })));
}

function lockText(entries: Record<string, LockEntry>): string {
  return serializeLock({ servers: new Map(Object.entries(entries)), eol: '\n' });
}

const entryOf = (head: LockHead | null, name: string) => (head === null ? undefined : lockFromHead(head, name).servers.get(name));
const indexFiles = async (cache: string) => fs.readdir(path.join(cache, 'lock-index')).catch(() => [] as string[]);

let dir: string;
let cache: string;
let file: string;
beforeEach(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'mcpm-lock-index-'));
  cache = path.join(dir, 'cache');
  file = path.join(dir, 'mcp.lock');
});
afterEach(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

describe('entryOffsets', () => {
  it('finds each entry of a printed lock, names with quotes, colons and non-ASCII included', () => {
    const names = ['a', 'b": {', 'ünï', '__proto__', 'z z'];
    const text = lockText(Object.fromEntries(names.map((n, i) => [n, entryFor(n, i + 1)])));
    const bytes = Buffer.from(text);
    const offsets = entryOffsets(bytes)!;
    const head = parseLockHead(text, 'mcp.lock');
    expect(Object.keys(offsets).sort()).toEqual([...names].sort());
    for (const name of names) {
      const [start, end] = offsets[name]!;
      expect(JSON.parse(bytes.toString('utf8', start, end))).toEqual(JSON.parse(JSON.stringify(head.entries.get(name))));
    }
  });
});

describe('readLockHead with an entry and a cache directory', () => {
  const read = (name: string) => readLockHead(file, { displayName: 'mcp.lock', entry: { name, cacheDir: cache } });

  it('reads the entry through the index once the lock was read in full, and it is the same entry', async () => {
    const entries = { big: entryFor('big', 1200), small: entryFor('small', 2) };
    await fs.writeFile(file, lockText(entries));
    expect((await fs.stat(file)).size).toBeGreaterThan(INDEX_MIN_BYTES);

    const full = await read('small');
    expect(full!.entries.size).toBe(2);
    expect(await indexFiles(cache)).toHaveLength(1);

    const indexed = await read('small');
    expect([...indexed!.entries.keys()]).toEqual(['small']);
    expect(entryOf(indexed, 'small')).toEqual(entries.small);
    expect(entryOf(indexed, 'small')).toEqual(entryOf(full, 'small'));
    // Read as the full read reads it: JSON.parse's objects, keys in order, and the same entry once checked.
    expect(indexed!.sortedKeys).toBe(true);
    expect(full!.sortedKeys).toBe(true);
    expect(lockFromHead(indexed!, 'small')).toEqual(lockFromHead(full!, 'small'));
    // A name that is not locked is not locked through the index either.
    expect((await read('missing'))!.launches.has('missing')).toBe(false);
  });

  it('never serves a stale entry: a rewritten lock (same size, new definitions) is read in full again', async () => {
    await fs.writeFile(file, lockText({ big: entryFor('big', 1200), small: entryFor('small', 2, 'aaaa') }));
    await read('small');
    // Same length, same offsets, other text: only the file's identity tells them apart.
    const changed = entryFor('small', 2, 'bbbb');
    await fs.writeFile(file, lockText({ big: entryFor('big', 1200), small: changed }));
    const after = await read('small');
    expect(after!.entries.size).toBe(2);
    expect(entryOf(after, 'small')).toEqual(changed);
  });

  it('keeps no offsets for a lock written in place while it was read: a later run reads the new file in full', async () => {
    await fs.writeFile(file, lockText({ big: entryFor('big', 1200), small: entryFor('small', 2) }));
    const handle = await fs.open(file, 'r');
    try {
      readWholeLock(handle.fd, file, cache, (bytes) => {
        // While the bytes read are parsed, the file is written in place (same inode: `cp`, `cat >`,
        // an editor saving in place), with "small" renamed to a name of the same length: every
        // offset stays where it was.
        writeFileSync(file, lockText({ big: entryFor('big', 1200), smalz: entryFor('smalz', 2) }));
        return parseLockHead(bytes.toString('utf8'), 'mcp.lock', { findPrinted: true });
      });
    } finally {
      await handle.close();
    }
    expect(await indexFiles(cache)).toHaveLength(0);
    // The old entry, kept under the new file's identity, would still be served here.
    const head = await read('small');
    expect(head!.entries.size).toBe(2);
    expect(head!.launches.has('small')).toBe(false);
  });

  it('a forged index cannot point the entry elsewhere: it falls back to the full read', async () => {
    const entries = { big: entryFor('big', 1200), small: entryFor('small', 2) };
    await fs.writeFile(file, lockText(entries));
    await read('small');
    const [name] = await indexFiles(cache);
    const indexFile = path.join(cache, 'lock-index', name!);
    const index = JSON.parse(await fs.readFile(indexFile, 'utf8'));
    index.index.entries.small = [0, 10];
    await fs.writeFile(indexFile, JSON.stringify(index));
    const head = await read('small');
    expect(head!.entries.size).toBe(2);
    expect(entryOf(head, 'small')).toEqual(entries.small);
  });

  // Written through a shared mapping (mmap), a page already written can take new bytes without the
  // file's times changing: the identity is the same, the bytes are not. Simulated by writing the
  // new bytes in place and keeping the index under the new identity.
  const withSameIdentity = async (text: string) => {
    await fs.writeFile(file, text);
    const [name] = await indexFiles(cache);
    const indexFile = path.join(cache, 'lock-index', name!);
    const index = JSON.parse(await fs.readFile(indexFile, 'utf8'));
    index.index.identity = fileIdentity(await fs.stat(file, { bigint: true }));
    await fs.writeFile(indexFile, JSON.stringify(index));
  };

  it('bytes changed with the identity kept: the lock head and the entry\'s key line are compared, not trusted', async () => {
    const entries = { big: entryFor('big', 1200), small: entryFor('small', 2) };
    const text = lockText(entries);
    await fs.writeFile(file, text);
    await read('small');

    // Another entry changed (same length): the index still serves "small", as it is.
    await withSameIdentity(text.replace('echo 7 ', 'ohce 7 '));
    const served = await read('small');
    expect([...served!.entries.keys()]).toEqual(['small']);
    expect(entryOf(served, 'small')).toEqual(entries.small);

    // The lock's version changed: the full read decides, and refuses it.
    await withSameIdentity(text.replace('"lockfileVersion": 1,', '"lockfileVersion": 9,'));
    await expect(read('small')).rejects.toThrow(/lockfileVersion 9/);

    // The entry renamed: "small" is not locked any more, through the index or not.
    await fs.writeFile(file, text);
    await read('small');
    await withSameIdentity(text.replace('\n    "small": {', '\n    "smalz": {'));
    const renamed = await read('small');
    expect(renamed!.entries.size).toBe(2);
    expect(renamed!.launches.has('small')).toBe(false);
  });

  it('indexes a lock with integer-like names and invisible characters (printed otherwise than JSON.stringify prints), and serves each entry as the full read does', async () => {
    const names = ['10', '9', 'a\u2028b', 'zero\u200bwidth', 'plain'];
    const entries = Object.fromEntries(names.map((n, i) => [n, entryFor(n, i === 4 ? 1200 : 2, i === 3 ? 'hid\u200bden' : 'echo')]));
    const text = lockText(entries);
    expect(text).toContain('"a\\u2028b": {');
    await fs.writeFile(file, text);
    const full = await read('9');
    expect(await indexFiles(cache)).toHaveLength(1);
    for (const name of names) {
      const indexed = await read(name);
      expect([...indexed!.entries.keys()], name).toEqual([name]);
      expect(entryOf(indexed, name), name).toEqual(entries[name]);
      expect(lockFromHead(indexed!, name), name).toEqual(lockFromHead(full!, name));
    }
  });

  it('keeps no index of a small lock, or of one not printed as mcpm prints it', async () => {
    await fs.writeFile(file, lockText({ small: entryFor('small', 2) }));
    await read('small');
    expect(await indexFiles(cache)).toHaveLength(0);
    await fs.writeFile(file, lockText({ big: entryFor('big', 1200), small: entryFor('small', 2) }).replace(/\n/g, '\r\n'));
    expect(entryOf(await read('small'), 'small')).toEqual(entryFor('small', 2));
    expect(await indexFiles(cache)).toHaveLength(0);
  });
});
