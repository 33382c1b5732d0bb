// `verify --offline`'s read of a lock it checked before: from the outline kept under the lock's text
// and mcpm's build, the same lock a full read gives; never for other text, another build, or a
// lock that did not pass; and a full read whenever the outline is not one this build wrote.
import { closeSync, fstatSync, openSync, promises as fs, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readOutlinedLock } from '../../../src/adapters/lock-outline.js';
import type { BuildCache } from '../../../src/adapters/cache-dir.js';
import { readCheckedLock } from '../../../src/adapters/lock-store.js';
import { CACHE_UNUSED_MS } from '../../../src/adapters/cache-dir.js';
import { checkLock, lockedItemCounts, parseLock, serializeLock, type Lock, type LockEntry } from '../../../src/core/lockfile.js';
import { lockEntryFor } from '../../fixtures/lock-entry.js';

/** An entry whose definitions are about `tools` × 300 bytes. */
function entryFor(name: string, tools: number): LockEntry {
  return lockEntryFor(name, Array.from({ length: tools }, (_, i) => ({ name: `tool_${i}`, description: `echo ${i} `.repeat(40), inputSchema: { type: 'object' } })));
}

function lockText(entries: Record<string, LockEntry>): string {
  return serializeLock({ servers: new Map(Object.entries(entries)), eol: '\n' });
}

let dir: string;
let cache: BuildCache;
let file: string;
beforeEach(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'mcpm-lock-outline-'));
  cache = { dir: path.join(dir, 'cache'), build: 'build-1' };
  file = path.join(dir, 'mcp.lock');
});
afterEach(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

const outlineFiles = async () => fs.readdir(path.join(cache.dir, 'lock-outline')).catch(() => [] as string[]);

/**
 * readOutlinedLock of `file` written with the given text, counting the checks it asks for (a check is
 * asked for exactly when the lock is read in full).
 */
function reader(check: (lock: Lock) => void = (lock) => expect(checkLock(lock)).toEqual([])) {
  const read = { checks: 0 };
  return {
    read,
    of: (text: string, using: BuildCache = cache): Lock => {
      writeFileSync(file, text);
      const fd = openSync(file, 'r');
      try {
        return readOutlinedLock(fd, fstatSync(fd).size, file, 'mcp.lock', using, (lock) => {
          read.checks++;
          check(lock);
        }).lock;
      } finally {
        closeSync(fd);
      }
    },
  };
}

const notRead = (entry: LockEntry) => Object.getOwnPropertyDescriptor(entry, 'snapshot')!.get !== undefined;

describe('readOutlinedLock', () => {
  const text = lockText({ big: entryFor('big', 300), small: entryFor('small', 2) });

  it('reads a lock checked before from its outline: the same lock, its definitions read only when asked for', async () => {
    const { read, of } = reader();
    const first = of(text);
    expect(read.checks).toBe(1);
    expect(await outlineFiles()).toHaveLength(1);

    const second = of(text);
    expect(read.checks).toBe(1);
    const big = second.servers.get('big')!;
    expect(notRead(big)).toBe(true);
    expect(lockedItemCounts(big).tools).toBe(300);
    expect(big.launch).toEqual(first.servers.get('big')!.launch);
    expect(notRead(big)).toBe(true);
    expect(serializeLock(second)).toBe(text);
    expect(second).toEqual(parseLock(text, 'mcp.lock'));
  });

  it('reads in full, and checks, any other text, another build\'s outline, or a file that is not an outline', async () => {
    const { read, of } = reader();
    of(text);
    // One character more (a space at the end): other text, the same lock.
    expect(serializeLock(of(`${text} `))).toBe(text);
    expect(read.checks).toBe(2);
    of(text, { ...cache, build: 'build-2' });
    expect(read.checks).toBe(3);
    of(text);
    expect(read.checks).toBe(4);
    of(text);
    expect(read.checks).toBe(4);

    const [name] = await outlineFiles();
    const kept = path.join(cache.dir, 'lock-outline', name!);
    // The file: a first line (JSON), then a copy of the lock's bytes.
    const content = await fs.readFile(kept, 'utf8');
    const cut = content.indexOf('\n') + 1;
    expect(content.slice(cut)).toBe(text);
    const firstLine = JSON.parse(content.slice(0, cut)) as { outline: { entries: Array<{ items: { tools: number } }> } };
    const broken = structuredClone(firstLine);
    broken.outline.entries[0]!.items.tools = -1;
    // Each of these is read in full (and the outline written again): not an outline, not JSON, a copy
    // of other bytes of the same length, a copy cut short, no first line at all.
    const edits = [
      `${JSON.stringify(broken)}\n${text}`,
      `{"version":1,\n${text}`,
      `${content.slice(0, cut)}${text.replace('echo 7 echo', 'evil 7 echo')}`,
      content.slice(0, -1),
      text,
    ];
    let checks = read.checks;
    for (const edit of edits) {
      writeFileSync(kept, edit, { mode: 0o600 });
      expect(lockedItemCounts(of(text).servers.get('big')!).tools).toBe(300);
      expect(read.checks).toBe(++checks);
      expect(await fs.readFile(kept, 'utf8')).toBe(content);
    }
    of(text);
    expect(read.checks).toBe(checks);
  });

  it('reads the definitions, when asked for, from the bytes it compared, whatever happens to both files meanwhile', async () => {
    const { read, of } = reader();
    of(text);
    const lock = of(text);
    expect(read.checks).toBe(1);
    const other = lockText({ big: entryFor('big', 200), small: entryFor('small', 2) });
    // Another run checks other text of the same lock, which replaces the outline and its copy.
    of(other);
    expect(read.checks).toBe(2);
    expect(notRead(lock.servers.get('big')!)).toBe(true);
    expect(lock.servers.get('big')!.snapshot.tools.size).toBe(300);
    expect(serializeLock(lock)).toBe(text);
  });

  it('takes no outline that another user could have written', async () => {
    const { read, of } = reader();
    of(text);
    const [name] = await outlineFiles();
    await fs.chmod(path.join(cache.dir, 'lock-outline', name!), 0o622);
    of(text);
    expect(read.checks).toBe(2);
  });

  it('keeps nothing for a lock that fails its check, which fails every time', async () => {
    const tampered = text.replace('echo 7 echo', 'evil 7 echo');
    const { read, of } = reader((lock) => {
      if (checkLock(lock).length > 0) throw new Error('tampered');
    });
    expect(() => of(tampered)).toThrow('tampered');
    expect(() => of(tampered)).toThrow('tampered');
    expect(read.checks).toBe(2);
    expect(await outlineFiles()).toEqual([]);
  });
});

describe('outlines not used for a while', () => {
  it('are removed when another is written; one used since, or not as old, is kept', async () => {
    const text = lockText({ big: entryFor('big', 20) });
    const lockAt = (name: string) => {
      const at = path.join(dir, name);
      writeFileSync(at, text);
      return at;
    };
    const read = (at: string) => {
      const fd = openSync(at, 'r');
      try {
        return readOutlinedLock(fd, fstatSync(fd).size, at, 'mcp.lock', cache, () => {});
      } finally {
        closeSync(fd);
      }
    };
    const files = () => fs.readdir(path.join(cache.dir, 'lock-outline'));
    const day = 24 * 60 * 60 * 1000;
    const age = async (days: number) => {
      const [newest] = (await Promise.all((await files()).map(async (f) => ({ f, t: (await fs.stat(path.join(cache.dir, 'lock-outline', f))).mtimeMs })))).sort((a, b) => b.t - a.t);
      const when = new Date(Date.now() - days * day);
      await fs.utimes(path.join(cache.dir, 'lock-outline', newest!.f), when, when);
      return newest!.f;
    };
    read(lockAt('old.lock'));
    const old = await age(CACHE_UNUSED_MS / day + 1);
    read(lockAt('recent.lock'));
    const recent = await age(CACHE_UNUSED_MS / day - 1);
    const used = lockAt('used.lock');
    read(used);
    const usedName = await age(CACHE_UNUSED_MS / day + 10);
    // Read from its outline, which is then used now.
    expect(Object.getOwnPropertyDescriptor(read(used).lock.servers.get('big')!, 'snapshot')!.get).toBeDefined();
    read(lockAt('new.lock'));
    const left = await files();
    expect(left).toHaveLength(3);
    expect(left).not.toContain(old);
    expect(left).toEqual(expect.arrayContaining([recent, usedName]));
  });
});

describe('readCheckedLock', () => {
  it('reads the file, or an empty lock with no text when there is none', async () => {
    const options = { displayName: 'mcp.lock', outline: cache, check: (lock: Lock) => expect(checkLock(lock)).toEqual([]) };
    expect(await readCheckedLock(file, options)).toEqual({ lock: { servers: new Map(), eol: '\n' }, text: null });
    const text = lockText({ big: entryFor('big', 300) });
    await fs.writeFile(file, text);
    for (let i = 0; i < 2; i++) {
      const loaded = await readCheckedLock(file, options);
      expect(loaded.text).toBe(text);
      expect(serializeLock(loaded.lock)).toBe(text);
    }
  });
});
