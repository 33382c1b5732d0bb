import path from 'node:path';
import { mkdirSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { buildServerEnv, CLOSE_GRACE_MS, spawnServer, StderrTail, type ServerProcess } from '../../../src/adapters/process.js';
import { McpmError } from '../../../src/core/errors.js';
import { allDead, caught, fixture, isAlive, readPids, tempDirAndServersPerTest } from './helpers.js';

let dir: string;
const started = tempDirAndServersPerTest((d) => (dir = d));

const baseEnv = { PATH: process.env.PATH ?? '/usr/bin:/bin' };

async function spawnNode(args: string[], env: Record<string, string> = {}, extra: { cwd?: string; signal?: AbortSignal } = {}) {
  const proc = await spawnServer({ name: 'test', command: process.execPath, args, env: { ...baseEnv, ...env }, projectDir: dir, ...extra });
  started.push(proc);
  return proc;
}

function readAll(proc: ServerProcess): Promise<string> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    proc.stdout.on('data', (c: Buffer) => chunks.push(c));
    proc.stdout.once('end', () => resolve(Buffer.concat(chunks).toString()));
  });
}

describe('buildServerEnv', () => {
  it('takes only the inherited allowlist from mcpm, skips shell functions, then adds the configured variables', () => {
    const env = buildServerEnv(
      { TOKEN: 'configured', PATH: '/configured/bin' },
      { PATH: '/usr/bin', HOME: '/home/u', SHELL: '() { :; }; echo pwned', GITHUB_TOKEN: 'secret', AWS_SECRET_ACCESS_KEY: 'secret', USER: undefined },
    );
    expect({ ...env }).toEqual({ PATH: '/configured/bin', HOME: '/home/u', TOKEN: 'configured' });
  });
});

describe('StderrTail', () => {
  it('keeps the last bytes and counts the dropped ones', () => {
    const tail = new StderrTail(10);
    tail.append(Buffer.from('0123456'));
    tail.append(Buffer.from('789abc'));
    expect(tail.dropped).toBe(3);
    expect(tail.text()).toBe('[3 earlier bytes of stderr dropped]\n3456789abc');
    tail.append(Buffer.from('x'.repeat(25) + 'END'));
    expect(tail.dropped).toBe(3 + 10 + 18);
    expect(tail.text()).toBe(`[31 earlier bytes of stderr dropped]\n${'x'.repeat(7)}END`);
  });

  it('is empty text when nothing was written', () => {
    expect(new StderrTail().text()).toBe('');
  });
});

describe('spawnServer', () => {
  it('passes exactly the given environment', async () => {
    const proc = await spawnNode(['-e', 'process.stdout.write(JSON.stringify(Object.keys(process.env).sort()))'], { ONLY: '1' });
    expect(JSON.parse(await readAll(proc))).toEqual(['ONLY', 'PATH']);
  });

  it('resolves a relative cwd against the project directory', async () => {
    mkdirSync(path.join(dir, 'sub'));
    const proc = await spawnNode(['-e', 'process.stdout.write(process.cwd())'], {}, { cwd: 'sub' });
    expect(await readAll(proc)).toBe(path.join(dir, 'sub'));
  });

  it('fails with SERVER_SPAWN_FAILED naming the server and the command', async () => {
    const error = (await caught(() =>
      spawnServer({ name: 'ghost', command: 'mcpm-no-such-command', args: [], env: baseEnv, projectDir: dir }),
    )) as McpmError;
    expect(error).toBeInstanceOf(McpmError);
    expect(error.code).toBe('SERVER_SPAWN_FAILED');
    expect(error.message).toBe(`server "ghost": cannot start "mcpm-no-such-command" in ${dir} (ENOENT)`);
  });

  it.each([
    ['a file that is not executable', () => writeFileSync(path.join(dir, 'plain.sh'), '#!/bin/sh\n', { mode: 0o644 }), 'plain.sh', 'EACCES'],
    ['a directory', () => mkdirSync(path.join(dir, 'folder')), 'folder', 'EACCES'],
    ['a NUL byte in the command (thrown, not emitted)', () => {}, 'bad\0name', 'ERR_INVALID_ARG_VALUE'],
  ])('fails with SERVER_SPAWN_FAILED for %s', async (_what, make, command, reason) => {
    make();
    const absolute = command.includes('\0') ? command : path.join(dir, command);
    const error = (await caught(() => spawnServer({ name: 'x', command: absolute, args: [], env: baseEnv, projectDir: dir }))) as McpmError;
    expect(error).toBeInstanceOf(McpmError);
    expect(error.code).toBe('SERVER_SPAWN_FAILED');
    expect(error.message).toBe(`server "x": cannot start ${JSON.stringify(absolute)} in ${dir} (${reason})`);
  });

  it('keeps the last 64 KiB of a stderr flood, escapes and all', async () => {
    const script = 'const b = "\\x1b[2J\\x1b]0;pwned\\x07 noise\\n".repeat(4096); for (let i = 0; i < 40; i++) process.stderr.write(b); process.stderr.write("END")';
    const proc = await spawnNode(['-e', script]);
    await proc.exited;
    await proc.stderrDone;
    const text = proc.stderr.text();
    expect(proc.stderr.dropped).toBeGreaterThan(3_000_000);
    expect(text.endsWith('END')).toBe(true);
    expect(Buffer.byteLength(text.slice(text.indexOf('\n') + 1))).toBeLessThanOrEqual(64 * 1024);
    expect(text).toContain('\x1b]0;pwned'); // unsanitised here; sanitising is the renderer's job
  });

  it('close() ends a polite server quickly', async () => {
    const proc = await spawnNode([fixture('static.mjs')]);
    const info = await proc.close();
    // Exited by itself on stdin EOF (code 0, no signal): no SIGTERM or SIGKILL was needed.
    expect(info).toEqual({ code: 0, signal: null });
  });

  it('close() escalates to SIGKILL for the whole group when stdin EOF and SIGTERM are ignored', async () => {
    const pids = path.join(dir, 'pids');
    const proc = await spawnNode([fixture('hang.mjs')], { FIXTURE_PID_FILE: pids });
    // Both the server and its child are up once the child has written its pid (no event crosses processes).
    for (let i = 0; i < 250 && (safeReadPids(pids).length < 2); i++) await new Promise((r) => setTimeout(r, 20));
    const t0 = Date.now();
    const info = await proc.close();
    expect(info.signal).toBe('SIGKILL');
    expect(Date.now() - t0).toBeLessThan(2 * CLOSE_GRACE_MS + 1_000);
    expect(await allDead(readPids(pids))).toBe(true);
  });

  it('kill() takes the group down at once, and an abort signal does the same', async () => {
    const proc = await spawnNode([fixture('hang.mjs')]);
    const info = await proc.kill();
    expect(info.signal).toBe('SIGKILL');
    const controller = new AbortController();
    const other = await spawnNode([fixture('hang.mjs')], {}, { signal: controller.signal });
    controller.abort();
    expect((await other.exited).signal).toBe('SIGKILL');
    expect(isAlive(other.pid)).toBe(false);
  });

  it('kills what a server left in its group when the server exits by itself', async () => {
    const pidFile = path.join(dir, 'gc.pid');
    const proc = await spawnNode([fixture('grandchild.mjs')], { FIXTURE_GRANDCHILD_PID_FILE: pidFile });
    proc.stdin.end(); // the server exits on EOF; its grandchild would not
    await proc.exited;
    expect(await allDead(readPids(pidFile))).toBe(true);
  });
});

function safeReadPids(file: string): number[] {
  try {
    return readPids(file);
  } catch {
    return [];
  }
}
