// What `mcpm run` keeps of its entry's check once it passed: known to the next run of the same build
// for exactly the same text of the same entry of the same lock, nothing else; never believed from a
// file others could write, or one that is not a plain file.
import { chmodSync, promises as fs, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EntryChecks } from '../../../src/adapters/entry-checks.js';
import type { BuildCache } from '../../../src/adapters/cache-dir.js';

let dir: string;
let cache: BuildCache;
beforeEach(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'mcpm-entry-checks-'));
  cache = { dir: path.join(dir, 'cache'), build: '0fbe8aa4-3afd-44e2-87d9-6ac1dcfa6b6a' };
});
afterEach(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

const lockFile = '/work/project/mcp.lock';
const text = '["notes",true,{"integrity":"sha256-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=","note":"caf\u00e9 \u2028 \ud83d\ude00"}]';

/** The one file kept, as bytes. */
function keptFile(): string {
  const files = readdirSync(path.join(cache.dir, 'entry-checks'));
  expect(files).toHaveLength(1);
  return path.join(cache.dir, 'entry-checks', files[0]!);
}

describe('entry checks kept', () => {
  it('what one run keeps, the next of the same build knows, for exactly that text of that entry of that lock', () => {
    expect(new EntryChecks(cache).passed(lockFile, 'notes', text)).toBe(false);
    new EntryChecks(cache).keep(lockFile, 'notes', text);
    const next = new EntryChecks(cache);
    expect(next.passed(lockFile, 'notes', text)).toBe(true);
    expect(next.passed(lockFile, 'notes', text.replace('caf', 'cab'))).toBe(false);
    expect(next.passed(lockFile, 'notes', `${text} `)).toBe(false);
    expect(next.passed(lockFile, 'notes', text.slice(0, -1))).toBe(false);
    expect(next.passed(lockFile, 'other', text)).toBe(false);
    expect(next.passed('/work/other/mcp.lock', 'notes', text)).toBe(false);
    // Another build checks again: what passes is its code's to say.
    expect(new EntryChecks({ ...cache, build: 'b8f3e1d2-0000-4000-8000-000000000000' }).passed(lockFile, 'notes', text)).toBe(false);
  });

  it('keeps the text as it is (the lock\'s own text, nothing else), readable by this user alone', () => {
    new EntryChecks(cache).keep(lockFile, 'notes', text);
    const file = keptFile();
    expect(readFileSync(file, 'utf8')).toBe(`mcpm-entry-check 1 ${cache.build}\n${text}`);
    if (process.platform !== 'win32') expect(statSync(file).mode & 0o777).toBe(0o600);
  });

  it.runIf(process.platform !== 'win32')('does not believe a kept check others could write, or a link to one', () => {
    const checks = new EntryChecks(cache);
    checks.keep(lockFile, 'notes', text);
    const file = keptFile();
    chmodSync(file, 0o620);
    expect(checks.passed(lockFile, 'notes', text)).toBe(false);
    chmodSync(file, 0o600);
    expect(checks.passed(lockFile, 'notes', text)).toBe(true);
    const elsewhere = path.join(dir, 'planted');
    writeFileSync(elsewhere, readFileSync(file), { mode: 0o600 });
    // Replaced by a link to a file of the same bytes: a link is never followed.
    rmSync(file);
    symlinkSync(elsewhere, file);
    expect(checks.passed(lockFile, 'notes', text)).toBe(false);
  });

  it('a kept file cut short, grown or of another text is not a pass, and the next keep replaces it', () => {
    const checks = new EntryChecks(cache);
    checks.keep(lockFile, 'notes', text);
    const file = keptFile();
    const bytes = readFileSync(file);
    for (const other of [bytes.subarray(0, bytes.length - 1), Buffer.concat([bytes, Buffer.from('x')]), Buffer.from(bytes.toString('latin1').replace('notes', 'notez'), 'latin1')]) {
      writeFileSync(file, other, { mode: 0o600 });
      expect(checks.passed(lockFile, 'notes', text)).toBe(false);
    }
    checks.keep(lockFile, 'notes', text);
    expect(checks.passed(lockFile, 'notes', text)).toBe(true);
  });

  it('without a writable cache directory, keeps nothing and fails nothing', () => {
    writeFileSync(path.join(dir, 'file'), '');
    const checks = new EntryChecks({ ...cache, dir: path.join(dir, 'file', 'cache') });
    expect(() => checks.keep(lockFile, 'notes', text)).not.toThrow();
    expect(checks.passed(lockFile, 'notes', text)).toBe(false);
  });
});
