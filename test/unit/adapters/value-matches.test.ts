// What `mcpm run` and every other command keep of values found to hash to the lock's digests: a tag
// under this user's key, the key in the state directory and the tags in the cache directory. Known
// to the next run; worth nothing without the key, or for another value, salt, digest or server;
// never believed from a file others could write (or, for the key, read).
import { chmodSync, copyFileSync, existsSync, mkdirSync, promises as fs, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MAX_VALUE_MATCHES, ValueMatches, type ValueFinding } from '../../../src/adapters/value-matches.js';
import type { CachePlace } from '../../../src/adapters/cache-dir.js';

let dir: string;
let place: CachePlace;
let keyFile: string;
let tagsFile: string;
beforeEach(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'mcpm-value-matches-'));
  place = placeIn(dir);
  keyFile = path.join(dir, 'state', 'mcpm', 'value-key');
  tagsFile = path.join(dir, 'cache', 'mcpm', 'value-matches');
});
afterEach(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

function placeIn(root: string): CachePlace {
  return { env: { HOME: path.join(root, 'home'), XDG_CACHE_HOME: path.join(root, 'cache'), XDG_STATE_HOME: path.join(root, 'state') }, platform: process.platform };
}

const salt = 'c2FsdHNhbHRzYWx0c2FsdA';
const digest = 'ZGlnZXN0ZGlnZXN0ZGlnZXN0ZGlnZXN0ZGlnZXN0ZGk';
const finding = (value: string, more: Partial<ValueFinding> = {}): ValueFinding => ({ salt, digest, value, ...more });
const apiKey = [finding('sk-live-0123456789'), finding('--max-old-space-size=256', { salt: 'b3RoZXJzYWx0b3RoZXJzYQ' })];

/** One run: a ValueMatches that adds `findings` and saves them. */
function keep(...lists: ValueFinding[][]): void {
  const matches = new ValueMatches(place);
  for (const findings of lists) matches.add(findings);
  matches.save();
}

describe('values found to match the lock', () => {
  it('what one run keeps, the next knows, for exactly the same values, salts, digests and server', () => {
    expect(new ValueMatches(place).has(apiKey)).toBe(false);
    keep(apiKey);
    const next = new ValueMatches(place);
    expect(next.has(apiKey)).toBe(true);
    expect(next.has([apiKey[0]!])).toBe(false);
    expect(next.has([apiKey[1]!, apiKey[0]!])).toBe(false);
    expect(next.has([finding('sk-live-0123456780'), apiKey[1]!])).toBe(false);
    expect(next.has([finding('sk-live-0123456789', { digest: digest.replace('Z', 'Y') }), apiKey[1]!])).toBe(false);
    expect(next.has([finding('sk-live-0123456789', { salt: salt.replace('c', 'd') }), apiKey[1]!])).toBe(false);
  });

  it('the key is private and in the state directory, the tags in the cache directory, and neither holds a value, salt or digest', () => {
    keep(apiKey);
    expect(readdirSync(path.dirname(keyFile))).toEqual(['value-key']);
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);
    expect(statSync(path.dirname(keyFile)).mode & 0o777).toBe(0o700);
    expect(statSync(tagsFile).mode & 0o777).toBe(0o600);
    const key = readFileSync(keyFile, 'utf8');
    const tags = readFileSync(tagsFile, 'utf8');
    expect(tags).toMatch(/^mcpm-value-matches 1\n[0-9a-f]{32}\n$/);
    for (const text of [key, tags]) {
      for (const part of [...apiKey.map((f) => f.value), salt, digest, 'sk-live']) expect(text).not.toContain(part);
    }
    expect(tags).not.toContain(key.split('\n')[1]!.slice(0, 16));
  });

  it('tags are worth nothing without their key: copied to another user, or after the key is deleted', () => {
    keep(apiKey);
    const other = placeIn(path.join(dir, 'other'));
    const otherTags = path.join(dir, 'other', 'cache', 'mcpm', 'value-matches');
    mkdirSync(path.dirname(otherTags), { recursive: true });
    copyFileSync(tagsFile, otherTags);
    expect(new ValueMatches(other).has(apiKey)).toBe(false);

    const lost = new ValueMatches(place);
    rmSync(keyFile);
    expect(new ValueMatches(place).has(apiKey)).toBe(false);
    // A new key is made for what is kept next; the tags of the old one meet nothing.
    expect(lost.has(apiKey)).toBe(false);
    keep(apiKey);
    expect(existsSync(keyFile)).toBe(true);
    expect(new ValueMatches(place).has(apiKey)).toBe(true);
    expect(readFileSync(tagsFile, 'utf8').split('\n')).toHaveLength(4);
  });

  it('a key others can read or write, or tags others can write, are not believed; nothing is written over them', () => {
    keep(apiKey);
    const key = readFileSync(keyFile, 'utf8');
    chmodSync(keyFile, 0o640);
    const matches = new ValueMatches(place);
    expect(matches.has(apiKey)).toBe(false);
    matches.add([finding('another')]);
    matches.save();
    expect(readFileSync(keyFile, 'utf8')).toBe(key);
    expect(readFileSync(tagsFile, 'utf8').split('\n')).toHaveLength(3);

    chmodSync(keyFile, 0o600);
    expect(new ValueMatches(place).has(apiKey)).toBe(true);
    chmodSync(tagsFile, 0o622);
    expect(new ValueMatches(place).has(apiKey)).toBe(false);
  });

  it('a tags file that is not one is read as none, and replaced by the next that keeps a finding', () => {
    keep(apiKey);
    for (const text of ['', 'mcpm-value-matches 1\n', 'mcpm-value-matches 2\nabc\n', `${readFileSync(tagsFile, 'utf8')}not a tag\n`, readFileSync(tagsFile, 'utf8').slice(0, -1)]) {
      writeFileSync(tagsFile, text, { mode: 0o600 });
      expect(new ValueMatches(place).has(apiKey)).toBe(false);
    }
    keep(apiKey);
    expect(new ValueMatches(place).has(apiKey)).toBe(true);
  });

  it('a key file that is not one, or a link, turns the tags off: it is left as it is, and no other key is made', () => {
    keep(apiKey);
    writeFileSync(keyFile, 'mcpm-value-key 1\nnot hex\n');
    const matches = new ValueMatches(place);
    expect(matches.has(apiKey)).toBe(false);
    matches.add([finding('another')]);
    matches.add([finding('a third')]);
    matches.save();
    expect(readFileSync(keyFile, 'utf8')).toBe('mcpm-value-key 1\nnot hex\n');
    expect(readdirSync(path.dirname(keyFile))).toEqual(['value-key']);

    rmSync(keyFile);
    symlinkSync(path.join(dir, 'elsewhere'), keyFile);
    const linked = new ValueMatches(place);
    linked.add(apiKey);
    linked.save();
    expect(readdirSync(path.dirname(keyFile))).toEqual(['value-key']);
    expect(existsSync(path.join(dir, 'elsewhere'))).toBe(false);
    expect(new ValueMatches(place).has(apiKey)).toBe(false);
  });

  it(`keeps the newest ${MAX_VALUE_MATCHES}`, () => {
    const lists = Array.from({ length: MAX_VALUE_MATCHES + 5 }, (_, i) => [finding(`value ${i}`)]);
    keep(...lists.slice(0, 10));
    keep(...lists.slice(10));
    expect(readFileSync(tagsFile, 'utf8').split('\n')).toHaveLength(MAX_VALUE_MATCHES + 2);
    const next = new ValueMatches(place);
    expect(lists.slice(0, 5).some((list) => next.has(list))).toBe(false);
    expect(lists.slice(5).every((list) => next.has(list))).toBe(true);
  });

  it('runs that make the key and keep findings at the same time lose neither', () => {
    const first = new ValueMatches(place);
    const second = new ValueMatches(place);
    expect(first.has(apiKey)).toBe(false);
    expect(second.has(apiKey)).toBe(false);
    first.add(apiKey);
    second.add([finding('another')]);
    second.save();
    first.save();
    const next = new ValueMatches(place);
    expect(next.has(apiKey)).toBe(true);
    expect(next.has([finding('another')])).toBe(true);
  });

  it('without a home, state or cache directory, nothing is known and nothing is written', () => {
    const nowhere = new ValueMatches({ env: {}, platform: process.platform });
    nowhere.add(apiKey);
    nowhere.save();
    expect(nowhere.has(apiKey)).toBe(false);
    const noState = new ValueMatches({ env: { XDG_CACHE_HOME: path.join(dir, 'cache') }, platform: process.platform });
    noState.add(apiKey);
    noState.save();
    expect(existsSync(tagsFile)).toBe(false);
  });
});

