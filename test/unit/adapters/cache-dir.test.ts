// mcpm's cache files: written atomically for this user alone, read only when nobody else could have
// written them, and never a reason for a command to fail.
import { chmodSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readCacheFile, writeCacheFile } from '../../../src/adapters/cache-dir.js';
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
