// mkdir -p that always returns: Node 20's recursive mkdir never does for a path under /proc.
import { existsSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeDirectories } from '../../../src/adapters/make-directories.js';
import { tempDirAndServersPerTest } from './helpers.js';

let dir: string;
tempDirAndServersPerTest((d) => (dir = d));

describe('makeDirectories', () => {
  it('makes every missing level with the mode asked, and leaves an existing directory alone', () => {
    const deep = path.join(dir, 'a', 'b', 'c');
    makeDirectories(deep, 0o700);
    expect(statSync(deep).isDirectory()).toBe(true);
    if (process.platform !== 'win32') for (const d of [path.join(dir, 'a'), path.join(dir, 'a', 'b'), deep]) expect(statSync(d).mode & 0o777).toBe(0o700);
    expect(() => makeDirectories(deep, 0o700)).not.toThrow();
  });

  it('throws for a level that is a file, and for a place that takes no directories, instead of trying for ever', () => {
    writeFileSync(path.join(dir, 'file'), '');
    expect(() => makeDirectories(path.join(dir, 'file', 'sub'))).toThrow(/ENOTDIR|EEXIST/);
    if (process.platform === 'linux' && existsSync('/proc/self')) expect(() => makeDirectories('/proc/mcpm-test/cache/code')).toThrow(/ENOENT/);
  });
});
