// The digests of configured values kept for the config files as read: taken again only for files
// with the same identity, never kept for a file that may have been written twice within a clock
// tick, never believed from a record someone else could have written.
import { chmodSync, promises as fs, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { FileRead } from '../../../src/adapters/files.js';
import { openValueCache, SETTLED_MS, SETTLED_WHOLE_SECONDS_MS, type ConfigReadContext } from '../../../src/adapters/value-cache.js';

const DIGEST = 'A'.repeat(43);
const OTHER = 'B'.repeat(43);

let dir: string;
let cache: string;
beforeEach(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'mcpm-value-cache-'));
  cache = path.join(dir, 'cache');
});
afterEach(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

/** A config file read at 100 s, last changed `age` ms before. */
function read(file: string, identity: string | null, age = SETTLED_MS + 1, wholeSeconds = false): FileRead {
  return { file: path.join(dir, file), identity, changedMs: 100_000 - age, wholeSeconds, readMs: 100_000 };
}

function context(...reads: FileRead[]): ConfigReadContext {
  return { projectDir: dir, reads };
}

const records = () => readdirSync(path.join(cache, 'mcpm', 'values')).filter((f) => f.endsWith('.json'));
const open = (c: ConfigReadContext) => openValueCache(path.join(cache, 'mcpm'), c)!;

describe('openValueCache', () => {
  it('keeps digests for files as read, and gives them back for the same identities', () => {
    const first = open(context(read('.mcp.json', '1:2:300:4:5')));
    expect(first.get('s', 'API_KEY', 'salt')).toBeUndefined();
    first.set('s', 'API_KEY', 'salt', DIGEST);
    first.save();
    expect(records()).toHaveLength(1);
    const file = path.join(cache, 'mcpm', 'values', records()[0]!);
    expect((readFileSync(file, 'utf8').match(/API_KEY/g) ?? []).length).toBe(1);
    if (process.platform !== 'win32') expect(statSync(file).mode & 0o777).toBe(0o600);

    const again = open(context(read('.mcp.json', '1:2:300:4:5')));
    expect(again.get('s', 'API_KEY', 'salt')).toBe(DIGEST);
    // Another server, value name or salt is another digest.
    expect(again.get('t', 'API_KEY', 'salt')).toBeUndefined();
    expect(again.get('s', 'OTHER', 'salt')).toBeUndefined();
    expect(again.get('s', 'API_KEY', 'other-salt')).toBeUndefined();
  });

  it('gives nothing for a file with another identity, and replaces the record when it keeps new digests', () => {
    const first = open(context(read('.mcp.json', '1:2:300:4:5')));
    first.set('s', 'API_KEY', 'salt', DIGEST);
    first.save();
    const changed = open(context(read('.mcp.json', '1:2:300:4:6')));
    expect(changed.get('s', 'API_KEY', 'salt')).toBeUndefined();
    changed.set('s', 'API_KEY', 'salt', OTHER);
    changed.save();
    expect(records()).toHaveLength(1);
    expect(open(context(read('.mcp.json', '1:2:300:4:6'))).get('s', 'API_KEY', 'salt')).toBe(OTHER);
    expect(open(context(read('.mcp.json', '1:2:300:4:5'))).get('s', 'API_KEY', 'salt')).toBeUndefined();
  });

  it('is keyed by every file read, the project directory and the host', () => {
    const both = context(read('.mcp.json', '1:2:300:4:5'), read('sidecar.json', '1:3:300:4:5'));
    const cached = open(both);
    cached.set('s', 'API_KEY', 'salt', DIGEST);
    cached.save();
    expect(open(both).get('s', 'API_KEY', 'salt')).toBe(DIGEST);
    // The sidecar gone: another set of files.
    expect(open(context(read('.mcp.json', '1:2:300:4:5'))).get('s', 'API_KEY', 'salt')).toBeUndefined();
    expect(open({ ...both, host: 'cursor' }).get('s', 'API_KEY', 'salt')).toBeUndefined();
    expect(open({ ...both, projectDir: path.join(dir, 'sub') }).get('s', 'API_KEY', 'salt')).toBeUndefined();
  });

  it('keeps nothing for a file changed within a clock tick of its read, or while it was read', () => {
    const unsettled = [
      context(read('.mcp.json', '1:2:300:4:5', SETTLED_MS)),
      context(read('.mcp.json', '1:2:300:4:5'), read('b.json', '1:3:3:4:5', 10)),
      // A file system that keeps whole seconds: its tick is that long.
      context(read('.mcp.json', '1:2:300:4:5', SETTLED_WHOLE_SECONDS_MS, true)),
      context(read('.mcp.json', null)),
    ];
    for (const c of unsettled) {
      const cached = open(c);
      cached.set('s', 'API_KEY', 'salt', DIGEST);
      cached.save();
    }
    expect(() => records()).toThrow(/ENOENT/);
  });

  it('never believes a record another user could have written, or one that does not read as a record', () => {
    const c = context(read('.mcp.json', '1:2:300:4:5'));
    const cached = open(c);
    cached.set('s', 'API_KEY', 'salt', DIGEST);
    cached.save();
    const file = path.join(cache, 'mcpm', 'values', records()[0]!);
    const good = readFileSync(file, 'utf8');
    if (process.platform !== 'win32') {
      chmodSync(file, 0o620);
      expect(open(c).get('s', 'API_KEY', 'salt')).toBeUndefined();
      chmodSync(file, 0o600);
    }
    expect(open(c).get('s', 'API_KEY', 'salt')).toBe(DIGEST);
    for (const text of ['', 'null', '[]', '{"version":2}', good.replace(DIGEST, 'not-a-digest'), good.replace('"version":1', '"version":"1"'), good.slice(0, -2)]) {
      writeFileSync(file, text, { mode: 0o600 });
      expect(open(c).get('s', 'API_KEY', 'salt'), text).toBeUndefined();
    }
    // A digest that is not one is never kept either.
    const bad = open(c);
    bad.set('s', 'API_KEY', 'salt', 'sk-live-secret');
    bad.save();
    expect(readFileSync(file, 'utf8')).not.toContain('sk-live-secret');
  });

  it('keeps the digests another run kept meanwhile for the same files', () => {
    const c = context(read('.mcp.json', '1:2:300:4:5'));
    const a = open(c);
    const b = open(c);
    expect(a.get('a', 'K', 'salt')).toBeUndefined();
    expect(b.get('b', 'K', 'salt')).toBeUndefined();
    a.set('a', 'K', 'salt', DIGEST);
    b.set('b', 'K', 'salt', OTHER);
    a.save();
    b.save();
    const both = open(c);
    expect(both.get('a', 'K', 'salt')).toBe(DIGEST);
    expect(both.get('b', 'K', 'salt')).toBe(OTHER);
  });

  it('keeps digests of a file on a file system of whole seconds once it is older than two of them', () => {
    const c = context(read('.mcp.json', '1:2:300:4:5', SETTLED_WHOLE_SECONDS_MS + 1, true));
    const cached = open(c);
    cached.set('s', 'API_KEY', 'salt', DIGEST);
    cached.save();
    expect(open(c).get('s', 'API_KEY', 'salt')).toBe(DIGEST);
  });

  it('is none without a cache directory or without files', () => {
    expect(openValueCache(undefined, context(read('.mcp.json', '1:2:300:4:5')))).toBeUndefined();
    expect(openValueCache(path.join(cache, 'mcpm'), context())).toBeUndefined();
  });
});
