import { execFile, spawn } from 'node:child_process';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import ts from 'typescript';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { readLock, updateLock } from '../../../src/adapters/lock-store.js';
import type { ErrorCode } from '../../../src/core/errors.js';
import { emptyLock, MAX_LOCK_BYTES, parseLock, serializeLock, type Lock, type LockEntry } from '../../../src/core/lockfile.js';
import { buildSnapshot, snapshotIntegrity } from '../../../src/core/snapshot.js';
import { lockEntryFor } from '../../fixtures/lock-entry.js';
import { rejection } from './helpers.js';

const repo = fileURLToPath(new URL('../../../', import.meta.url));
const addEntryScript = fileURLToPath(new URL('../../fixtures/scripts/add-lock-entry.mjs', import.meta.url));
const run = promisify(execFile);

function entryFor(name: string): LockEntry {
  return lockEntryFor(name, [{ name: 'echo', description: `echo for ${name}`, inputSchema: { type: 'object' } }]);
}

function lockWith(...names: string[]): Lock {
  const lock = emptyLock();
  for (const name of names) lock.servers.set(name, entryFor(name));
  return lock;
}

const adding = (name: string) => (current: { lock: Lock }) => {
  current.lock.servers.set(name, entryFor(name));
  return current.lock;
};

/** The pid of a process that has exited (and been reaped), for stale-lock tests. */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', ''], { stdio: 'ignore' });
  await new Promise((resolve) => child.on('exit', resolve));
  if (child.pid === undefined) throw new Error('no pid');
  return child.pid;
}

let dir: string;
let file: string;
beforeEach(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'mcpm-lock-store-'));
  file = path.join(dir, 'mcp.lock');
});
afterEach(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

const listDir = async (): Promise<string[]> => (await fs.readdir(dir)).sort();

describe('readLock', () => {
  it('a missing file is an empty lock with text null', async () => {
    const loaded = await readLock(file);
    expect(loaded.text).toBeNull();
    expect(loaded.lock.servers.size).toBe(0);
  });

  it('returns the parsed lock and the exact text', async () => {
    const text = serializeLock(lockWith('a', 'b'));
    await fs.writeFile(file, text);
    const loaded = await readLock(file);
    expect(loaded.text).toBe(text);
    expect([...loaded.lock.servers.keys()]).toEqual(['a', 'b']);
  });

  it('parse errors are McpmErrors naming the file (displayName when given)', async () => {
    await fs.writeFile(file, '{"lockfileVersion": 1,');
    const error = await rejection(readLock(file, { displayName: 'mcp.lock' }), 'LOCKFILE_CORRUPT');
    expect(error.message).toMatch(/^mcp\.lock:1:\d+: /);
  });

  it('invalid UTF-8 is LOCKFILE_CORRUPT', async () => {
    await fs.writeFile(file, Buffer.from([0x7b, 0xc3, 0x28, 0x7d]));
    const error = await rejection(readLock(file, { displayName: 'mcp.lock' }), 'LOCKFILE_CORRUPT');
    expect(error.message).toBe('mcp.lock: is not valid UTF-8');
  });

  it('a symlink is refused', async () => {
    const target = path.join(dir, 'real.lock');
    await fs.writeFile(target, serializeLock(lockWith('a')));
    await fs.symlink(target, file);
    const error = await rejection(readLock(file, { displayName: 'mcp.lock' }), 'LOCKFILE_CORRUPT');
    expect(error.message).toMatch(/^mcp\.lock: is a symbolic link/);
  });

  it('a directory is refused', async () => {
    await fs.mkdir(file);
    await rejection(readLock(file), 'LOCKFILE_CORRUPT');
  });
});

describe('updateLock: writing', () => {
  it('creates the file with the serialized bytes, mode 0644 at most, and no leftovers', async () => {
    const result = await updateLock(file, adding('notes'));
    const text = await fs.readFile(file, 'utf8');
    expect(result).toEqual({ written: true, text });
    expect(text).toBe(serializeLock(lockWith('notes')));
    const mode = (await fs.stat(file)).mode & 0o777;
    expect(mode & ~0o644).toBe(0);
    expect(mode & 0o600).toBe(0o600);
    expect(await listDir()).toEqual(['mcp.lock']);
  });

  it('update receives the lock as it is on disk', async () => {
    await fs.writeFile(file, serializeLock(lockWith('a')));
    let seen: string[] = [];
    await updateLock(file, (current) => {
      seen = [...current.lock.servers.keys()];
      expect(current.text).toBe(serializeLock(lockWith('a')));
      return adding('b')(current);
    });
    expect(seen).toEqual(['a']);
    expect([...(await readLock(file)).lock.servers.keys()]).toEqual(['a', 'b']);
  });

  it('skips the write when the bytes would not change (same inode, same mtime)', async () => {
    const text = serializeLock(lockWith('a'));
    await fs.writeFile(file, text);
    const past = new Date('2020-01-01T00:00:00Z');
    await fs.utimes(file, past, past);
    const before = await fs.stat(file);
    const result = await updateLock(file, (current) => parseLock(serializeLock(current.lock), 'x'));
    expect(result).toEqual({ written: false, text });
    const after = await fs.stat(file);
    expect(after.ino).toBe(before.ino);
    expect(after.mtimeMs).toBe(before.mtimeMs);
  });

  it('null from update leaves the file alone, and a missing file missing', async () => {
    expect(await updateLock(file, () => null)).toEqual({ written: false, text: null });
    expect(await listDir()).toEqual([]);
    await fs.writeFile(file, serializeLock(lockWith('a')));
    expect(await updateLock(file, () => null)).toEqual({ written: false, text: serializeLock(lockWith('a')) });
  });

  it('keeps the mode of an existing file', async () => {
    await fs.writeFile(file, serializeLock(lockWith('a')));
    await fs.chmod(file, 0o600);
    await updateLock(file, adding('b'));
    expect((await fs.stat(file)).mode & 0o777).toBe(0o600);
    await fs.chmod(file, 0o664);
    await updateLock(file, adding('c'));
    expect((await fs.stat(file)).mode & 0o777).toBe(0o664);
  });

  it('keeps CRLF line endings of an existing file', async () => {
    await fs.writeFile(file, serializeLock(lockWith('a')).replace(/\n/g, '\r\n'));
    await updateLock(file, adding('b'));
    const text = await fs.readFile(file, 'utf8');
    expect(text).toContain('\r\n');
    expect(text.replace(/\r\n/g, '')).not.toContain('\n');
  });

  it('replaces the file by rename: a reader holding the old file keeps the old bytes', async () => {
    const old = serializeLock(lockWith('a'));
    await fs.writeFile(file, old);
    const before = await fs.stat(file);
    await updateLock(file, adding('b'));
    expect((await fs.stat(file)).ino).not.toBe(before.ino);
  });

  it('when update throws, nothing is written, no temp file is left, and the lock is released', async () => {
    const original = serializeLock(lockWith('a'));
    await fs.writeFile(file, original);
    await expect(
      updateLock(file, () => {
        throw new Error('interrupted');
      }),
    ).rejects.toThrow('interrupted');
    await expect(
      updateLock(file, async () => {
        await sleep(5);
        throw new Error('interrupted later');
      }),
    ).rejects.toThrow('interrupted later');
    expect(await fs.readFile(file, 'utf8')).toBe(original);
    expect(await listDir()).toEqual(['mcp.lock']);
    // Released: a lock still held would make this LOCKFILE_BUSY after waitMs.
    await updateLock(file, adding('b'), { waitMs: 1000 });
  });

  it('an update whose lock cannot be serialized writes nothing', async () => {
    const original = serializeLock(lockWith('a'));
    await fs.writeFile(file, original);
    await expect(
      updateLock(file, () => {
        const lock = lockWith('a');
        (lock.servers.get('a') as { launch: unknown }).launch = undefined;
        return lock;
      }),
    ).rejects.toThrow();
    expect(await fs.readFile(file, 'utf8')).toBe(original);
    expect(await listDir()).toEqual(['mcp.lock']);
  });

  it('writes a lock of exactly MAX_LOCK_BYTES, which readLock reads; one byte more is LOCKFILE_TOO_LARGE and the old file stays', async () => {
    const original = serializeLock(lockWith('a'));
    await fs.writeFile(file, original);
    const withDescription = (length: number): Lock => {
      const lock = lockWith('a');
      const big = entryFor('big');
      big.snapshot = buildSnapshot('big', {
        era: 'handshake',
        protocolVersion: '2025-11-25',
        serverInfo: { name: 'big', version: '1.0.0' },
        capabilities: { tools: {} },
        lists: { tools: [{ name: 'echo', description: 'x'.repeat(length), inputSchema: { type: 'object' } }], prompts: null, resources: null, resourceTemplates: null },
      });
      big.integrity = snapshotIntegrity(big.snapshot);
      lock.servers.set('big', big);
      return lock;
    };
    const length = MAX_LOCK_BYTES - Buffer.byteLength(serializeLock(withDescription(0)));

    const error = await rejection(updateLock(file, () => withDescription(length + 1), { displayName: 'mcp.lock' }), 'LOCKFILE_TOO_LARGE');
    expect(error.message).toBe(
      'mcp.lock was not written: it would be 16.1 MiB, over the 16 MiB limit on a lock file (mcpm reads none larger); the largest server: "big" (16 MiB)',
    );
    // Without "a" it would fit: a lock file of its own can hold it.
    expect(error.hint).toBe('remove "big" from the config, or lock it in a lock file of its own (--config, --lockfile)');
    expect(await fs.readFile(file, 'utf8')).toBe(original);
    expect(await listDir()).toEqual(['mcp.lock']);

    const { text } = await updateLock(file, () => withDescription(length));
    expect((await fs.stat(file)).size).toBe(MAX_LOCK_BYTES);
    const back = await readLock(file);
    expect(back.text).toBe(text);
    expect(back.lock.servers.get('big')!.integrity).toBe(withDescription(length).servers.get('big')!.integrity);
  });

  it('a failed rename is LOCKFILE_CORRUPT ("cannot be written") and removes the temp file', async () => {
    const error = await rejection(
      updateLock(
        file,
        async (current) => {
          // Something puts a non-empty directory where the lock goes, so rename(2) fails.
          await fs.mkdir(file);
          await fs.writeFile(path.join(file, 'x'), '');
          return adding('a')(current);
        },
        { displayName: 'mcp.lock' },
      ),
      'LOCKFILE_CORRUPT',
    );
    expect(error.message).toMatch(/^mcp\.lock: cannot be written \((EISDIR|ENOTEMPTY|EEXIST|EPERM)\); nothing was written$/);
    expect(await listDir()).toEqual(['mcp.lock']);
  });

});

describe('updateLock: never overwrites a file that does not parse', () => {
  it.each<[string, string, ErrorCode]>([
    ['truncated JSON', '{"lockfileVersion": 1, "servers": {', 'LOCKFILE_CORRUPT'],
    ['not JSON', 'hello\n', 'LOCKFILE_CORRUPT'],
    ['empty', '', 'LOCKFILE_CORRUPT'],
    ['unknown version', '{"lockfileVersion": 99, "servers": {}}\n', 'LOCKFILE_VERSION'],
    [
      'merge conflict markers',
      '{\n<<<<<<< ours\n  "lockfileVersion": 1,\n=======\n  "lockfileVersion": 1,\n>>>>>>> theirs\n}\n',
      'LOCKFILE_CONFLICT_MARKERS',
    ],
  ])('%s → %s, bytes unchanged, update never called', async (_title, text, code) => {
    await fs.writeFile(file, text);
    let called = false;
    await rejection(
      updateLock(file, () => {
        called = true;
        return lockWith('x');
      }),
      code,
    );
    expect(called).toBe(false);
    expect(await fs.readFile(file, 'utf8')).toBe(text);
    expect(await listDir()).toEqual(['mcp.lock']);
  });

  it('invalid UTF-8 bytes stay byte-identical', async () => {
    const bytes = Buffer.from([0x7b, 0xff, 0xfe, 0x7d, 0x0a]);
    await fs.writeFile(file, bytes);
    await rejection(updateLock(file, adding('x')), 'LOCKFILE_CORRUPT');
    expect(Buffer.compare(await fs.readFile(file), bytes)).toBe(0);
  });

  it('a symlinked lock is refused; neither link nor target changes', async () => {
    const target = path.join(dir, 'elsewhere.lock');
    const original = serializeLock(lockWith('a'));
    await fs.writeFile(target, original);
    await fs.symlink(target, file);
    const error = await rejection(updateLock(file, adding('b'), { displayName: 'mcp.lock' }), 'LOCKFILE_CORRUPT');
    expect(error.message).toMatch(/^mcp\.lock: is a symbolic link/);
    expect(error.hint).toMatch(/--lockfile/);
    expect((await fs.lstat(file)).isSymbolicLink()).toBe(true);
    expect(await fs.readFile(target, 'utf8')).toBe(original);
    expect(await listDir()).toEqual(['elsewhere.lock', 'mcp.lock']);
  });

  it('a dangling symlink is refused too (it would otherwise create its target)', async () => {
    await fs.symlink(path.join(dir, 'nowhere', '.bashrc'), file);
    await rejection(updateLock(file, adding('b')), 'LOCKFILE_CORRUPT');
    expect(await listDir()).toEqual(['mcp.lock']);
  });
});

describe('updateLock: advisory lock', () => {
  const lockFile = (): string => `${file}.mcpm-lock`;

  it('holds <file>.mcpm-lock with our pid during update, and removes it after', async () => {
    await updateLock(file, async (current) => {
      expect(await fs.readFile(lockFile(), 'utf8')).toBe(`${process.pid}\n`);
      return adding('a')(current);
    });
    expect(await listDir()).toEqual(['mcp.lock']);
  });

  it('a lock held by a live process is LOCKFILE_BUSY after waitMs, naming the file and the pid', async () => {
    await fs.writeFile(lockFile(), `${process.ppid}\n`);
    const started = performance.now();
    const error = await rejection(updateLock(file, adding('a'), { waitMs: 300, displayName: 'mcp.lock' }), 'LOCKFILE_BUSY');
    expect(performance.now() - started).toBeGreaterThanOrEqual(290);
    expect(error.message).toBe(`mcp.lock: another mcpm (pid ${process.ppid}) is updating it; waited 0.3 s`);
    expect(error.hint).toContain(lockFile());
    expect(error.exitStatus).toBe(2);
    expect(await fs.readFile(lockFile(), 'utf8')).toBe(`${process.ppid}\n`);
    expect(await listDir()).toEqual(['mcp.lock.mcpm-lock']);
  });

  it('waits for a live holder that finishes in time', async () => {
    await fs.writeFile(lockFile(), `${process.ppid}\n`);
    setTimeout(() => void fs.rm(lockFile()), 150);
    await expect(updateLock(file, adding('a'), { waitMs: 5000 })).resolves.toMatchObject({ written: true });
  });

  it('takes over a lock whose process is dead', async () => {
    await fs.writeFile(lockFile(), `${await deadPid()}\n`);
    await expect(updateLock(file, adding('a'), { waitMs: 0 })).resolves.toMatchObject({ written: true });
    expect(await listDir()).toEqual(['mcp.lock']);
  });

  it('takes over a lock naming our own pid that this process does not hold (pid reuse)', async () => {
    await fs.writeFile(lockFile(), `${process.pid}\n`);
    await expect(updateLock(file, adding('a'), { waitMs: 0 })).resolves.toMatchObject({ written: true });
  });

  it('takes over an unreadable lock only once it is old', async () => {
    await fs.writeFile(lockFile(), 'garbage');
    const error = await rejection(updateLock(file, adding('a'), { waitMs: 100 }), 'LOCKFILE_BUSY');
    expect(error.message).toContain('a process whose pid cannot be read');
    const past = new Date(Date.now() - 60_000);
    await fs.utimes(lockFile(), past, past);
    await expect(updateLock(file, adding('a'), { waitMs: 0 })).resolves.toMatchObject({ written: true });
  });

  it('removes a takeover lock left by a dead process', async () => {
    await fs.writeFile(lockFile(), `${await deadPid()}\n`);
    await fs.writeFile(`${lockFile()}.takeover`, `${await deadPid()}\n`);
    await expect(updateLock(file, adding('a'), { waitMs: 2000 })).resolves.toMatchObject({ written: true });
    expect(await listDir()).toEqual(['mcp.lock']);
  });

  it('callers in one process take turns and lose no entry', async () => {
    const names = Array.from({ length: 12 }, (_, i) => `s${i}`);
    await Promise.all(
      names.map((name, i) =>
        updateLock(file, async (current) => {
          await sleep(i % 3);
          return adding(name)(current);
        }),
      ),
    );
    expect([...(await readLock(file)).lock.servers.keys()].sort()).toEqual([...names].sort());
    expect(await listDir()).toEqual(['mcp.lock']);
  });

  it('a caller in the same process that waits too long gets LOCKFILE_BUSY; the holder is unaffected', async () => {
    let finish!: () => void;
    const holding = updateLock(file, async (current) => {
      await new Promise<void>((resolve) => {
        finish = resolve;
      });
      return adding('first')(current);
    });
    await sleep(20);
    const error = await rejection(updateLock(file, adding('second'), { waitMs: 100 }), 'LOCKFILE_BUSY');
    expect(error.message).toContain(`this process, pid ${process.pid}`);
    const third = updateLock(file, adding('third'), { waitMs: 5000 });
    finish();
    await holding;
    await third;
    expect([...(await readLock(file)).lock.servers.keys()].sort()).toEqual(['first', 'third']);
  });
});

describe('updateLock: concurrent processes', () => {
  let built: string;

  /** Node 20 cannot import TypeScript, so the child processes import src/ transpiled to a temp dir. */
  beforeAll(async () => {
    built = await fs.mkdtemp(path.join(os.tmpdir(), 'mcpm-lock-store-build-'));
    await fs.writeFile(path.join(built, 'package.json'), '{"type": "module"}\n');
    await fs.symlink(path.join(repo, 'node_modules'), path.join(built, 'node_modules'), 'junction');
    const sources = (await fs.readdir(path.join(repo, 'src'), { recursive: true })).filter((f) => /\.tsx?$/.test(f));
    for (const source of sources) {
      const text = await fs.readFile(path.join(repo, 'src', source), 'utf8');
      const { outputText } = ts.transpileModule(text, {
        fileName: source,
        compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, jsx: ts.JsxEmit.ReactJSX },
      });
      const out = path.join(built, 'src', source.replace(/\.tsx?$/, '.js'));
      await fs.mkdir(path.dirname(out), { recursive: true });
      await fs.writeFile(out, outputText);
    }
  });
  afterAll(async () => {
    await fs.rm(built, { recursive: true, force: true });
  });

  const addInChild = (name: string, holdMs: number) =>
    run(process.execPath, [addEntryScript, built, file, name, String(holdMs), serializeLock(lockWith(name))], { timeout: 60_000 });

  it('8 processes each adding a server: all 8 entries are present', async () => {
    const names = Array.from({ length: 8 }, (_, i) => `server-${i}`);
    const results = await Promise.all(names.map((name) => addInChild(name, 30)));
    for (const { stdout } of results) expect(JSON.parse(stdout)).toEqual({ written: true });
    const { lock, text } = await readLock(file);
    expect([...lock.servers.keys()].sort()).toEqual(names);
    expect(text).toBe(serializeLock(lockWith(...names)));
    expect(await listDir()).toEqual(['mcp.lock']);
  });

  it('8 processes racing to take over one stale lock: still all 8 entries', async () => {
    await fs.writeFile(`${file}.mcpm-lock`, `${await deadPid()}\n`);
    await fs.writeFile(file, serializeLock(lockWith('existing')));
    const names = Array.from({ length: 8 }, (_, i) => `racer-${i}`);
    await Promise.all(names.map((name) => addInChild(name, 10)));
    const { lock } = await readLock(file);
    expect([...lock.servers.keys()].sort()).toEqual(['existing', ...names].sort());
    expect(await listDir()).toEqual(['mcp.lock']);
  });
});
