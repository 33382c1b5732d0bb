// mcpm's cache files: written atomically for this user alone, read only when nobody else could have
// written them, and never a reason for a command to fail.
import { chmodSync, chownSync, mkdirSync, readdirSync, readFileSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CACHE_UNUSED_MS, cacheKey, readCacheFile, removeUnused, trustedDirectory, writeCacheFile } from '../../../src/adapters/cache-dir.js';
import { tempDirAndServersPerTest } from './helpers.js';

let dir: string;
tempDirAndServersPerTest((d) => (dir = d));

describe('cache files', () => {
  it('are written readable by this user alone, in a private directory made for them, and read back', () => {
    const file = path.join(dir, 'cache', 'code', 'x.bin');
    expect(writeCacheFile(file, 'bytes')).toBe(true);
    expect(readCacheFile(file, 1024)?.toString()).toBe('bytes');
    expect(readCacheFile(file, 4)).toBeUndefined();
    if (process.platform !== 'win32') {
      expect(statSync(file).mode & 0o777).toBe(0o600);
      expect(statSync(path.dirname(file)).mode & 0o777).toBe(0o700);
      chmodSync(file, 0o620);
      expect(readCacheFile(file, 1024)).toBeUndefined();
    }
  });

  it('are not written, and nothing throws, when a directory stands at the temporary name', () => {
    const file = path.join(dir, 'x.bin');
    mkdirSync(`${file}.${process.pid}.tmp`);
    expect(writeCacheFile(file, 'bytes')).toBe(false);
    expect(() => readFileSync(file)).toThrow(/ENOENT/);
  });
});

describe('removeUnused', () => {
  it('removes the files of the kind named that were not written for longer than CACHE_UNUSED_MS, and nothing else', () => {
    const now = Date.UTC(2026, 11, 5);
    const made = (name: string, age: number, what: 'file' | 'dir' | 'link' = 'file') => {
      const file = path.join(dir, name);
      if (what === 'dir') mkdirSync(file);
      else if (what === 'link') symlinkSync(path.join(dir, 'target.bin'), file);
      else writeFileSync(file, 'x');
      if (what !== 'link') utimesSync(file, new Date(now - age), new Date(now - age));
    };
    const day = 24 * 60 * 60 * 1000;
    made('target.bin', CACHE_UNUSED_MS + day);
    made('old.bin', CACHE_UNUSED_MS + 1);
    made('recent.bin', CACHE_UNUSED_MS - day);
    made('old.json', CACHE_UNUSED_MS + day);
    made('old-dir.bin', CACHE_UNUSED_MS + day, 'dir');
    made('link.bin', 0, 'link');
    removeUnused(dir, '.bin', { now });
    // The link's target went for its own age; the link itself is not followed, nor removed.
    expect(readdirSync(dir).sort()).toEqual(['link.bin', 'old-dir.bin', 'old.json', 'recent.bin']);
    expect(() => removeUnused(path.join(dir, 'missing'), '.bin', { now })).not.toThrow();
  });
});

describe('cacheKey: names of cache files whose content says what they are for', () => {
  it('is 16 hex digits, the same for the same text, and tells 20,000 lock paths and entry names apart', () => {
    const texts = Array.from({ length: 10_000 }, (_, i) => `/home/dev/projects/p${i}/mcp.lock`).flatMap((lock) => [lock, `${lock}\0notes`]);
    const keys = texts.map((text) => cacheKey(text));
    for (const key of keys) expect(key).toMatch(/^[0-9a-f]{16}$/);
    expect(new Set(keys).size).toBe(texts.length);
    expect(cacheKey(texts[0]!)).toBe(keys[0]);
    expect(cacheKey('')).not.toBe(cacheKey('\0'));
  });
});

describe('trustedDirectory: a file is believed only where no other user can have put it', () => {
  it.runIf(process.platform !== 'win32')('refuses a directory below one everyone may write to without the sticky bit, and one another user owns; follows links', () => {
    const at = (...names: string[]) => path.join(dir, ...names);
    const make = (name: string, mode: number): string => {
      mkdirSync(at(name, 'mcpm'), { recursive: true });
      chmodSync(at(name), mode);
      expect(writeCacheFile(at(name, 'mcpm', 'x.bin'), 'bytes')).toBe(true);
      return at(name, 'mcpm', 'x.bin');
    };
    // Another user could have made mcpm/ here (or a link to a directory of this user's own files).
    const open = make('open', 0o777);
    expect(trustedDirectory(path.dirname(open))).toBe(false);
    expect(readCacheFile(open, 1024)).toBeUndefined();
    // /tmp's way: only the owner of an entry may replace it.
    const sticky = make('sticky', 0o1777);
    expect(readCacheFile(sticky, 1024)?.toString()).toBe('bytes');
    // A link of this user's to a trusted directory is followed; one into an open directory is not.
    symlinkSync(at('sticky'), at('to-sticky'));
    expect(readCacheFile(at('to-sticky', 'mcpm', 'x.bin'), 1024)?.toString()).toBe('bytes');
    symlinkSync(at('open', 'mcpm'), at('to-open'));
    expect(readCacheFile(at('to-open', 'x.bin'), 1024)).toBeUndefined();
    // Only root can give a directory to another user: then it is another's, and not believed.
    if (process.getuid?.() === 0) {
      const other = make('other', 0o755);
      chownSync(path.dirname(other), 4321, 4321);
      expect(readCacheFile(other, 1024)).toBeUndefined();
    }
  });
});
