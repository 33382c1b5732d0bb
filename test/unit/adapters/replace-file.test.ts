// The one atomic write: what lands on disk is the text's UTF-8 bytes, however it was encoded on the
// way (ASCII text is copied as latin1, the same bytes), and the target holds either the old bytes or
// the new ones.
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { replaceFile } from '../../../src/adapters/replace-file.js';

let dir: string;
beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'mcpm-replace-'));
});
afterAll(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

describe('replaceFile', () => {
  it("writes exactly the text's UTF-8 bytes, ASCII or not", async () => {
    const target = path.join(dir, 'text');
    // ASCII (the latin1 copy), Latin-1 letters (where latin1 and UTF-8 differ), astral and lone surrogates.
    const unit = fc.constantFrom('a', '{', '\n', '\x7f', '\x00', 'é', 'ÿ', '\u0100', '€', '😀', '\ud800', '\udc00');
    await fc.assert(
      fc.asyncProperty(fc.array(unit, { maxLength: 40 }).map((units) => units.join('')), async (text) => {
        await replaceFile(target, text, undefined);
        expect(await fs.readFile(target)).toEqual(Buffer.from(text, 'utf8'));
      }),
      { numRuns: 200 },
    );
  });

  it('writes a 2 MB ASCII text byte for byte, and leaves no temp file', async () => {
    const target = path.join(dir, 'big');
    const text = `${'{\n  "a": "x"\n'.repeat(160_000)}}\n`;
    await replaceFile(target, text, undefined);
    expect((await fs.readFile(target)).equals(Buffer.from(text, 'utf8'))).toBe(true);
    expect((await fs.readdir(dir)).filter((name) => name.endsWith('.tmp'))).toEqual([]);
  });

  it("keeps a replaced file's owner and group where the process may (as root), else they are its own", async () => {
    const target = path.join(dir, 'owned');
    await fs.writeFile(target, 'old');
    const root = process.geteuid?.() === 0;
    // Root gives the file to nobody first, as a user's file that `sudo mcpm` replaces.
    if (root) await fs.chown(target, 65534, 65534);
    const before = await fs.stat(target);
    await replaceFile(target, 'new', 0o600);
    const after = await fs.stat(target);
    expect(await fs.readFile(target, 'utf8')).toBe('new');
    expect([after.uid, after.gid]).toEqual([before.uid, before.gid]);
    expect(after.mode & 0o777).toBe(0o600);
  });
});
