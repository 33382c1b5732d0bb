import { spawn } from 'node:child_process';
import fc from 'fast-check';
import { describe, expect, it, onTestFinished } from 'vitest';
import { descendantsIn, findDescendants, parseProcStat, parsePsTable } from '../../../src/adapters/process-tree.js';

describe('parseProcStat', () => {
  it('counts fields from the last ")", whatever the command name holds', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 15 }), fc.nat(), fc.nat(), fc.nat(), (comm, pid, ppid, start) => {
        const fields = ['S', ppid, 1, 1, 0, -1, 4194560, 0, 0, 0, 0, 0, 0, 0, 0, 20, 0, 1, 0, start, 1000];
        const line = `${pid} (${comm}) ${fields.join(' ')}\n`;
        expect(parseProcStat(line)).toEqual({ pid, ppid, startTime: String(start) });
      }),
    );
  });

  it('reads a real line of a process named with spaces and parentheses', () => {
    expect(parseProcStat('42 (a) b (c) S 7 42 42 0 -1 4194560 0 0 0 0 0 0 0 0 20 0 1 0 98765 1000 1\n')).toEqual({ pid: 42, ppid: 7, startTime: '98765' });
  });
});

describe('descendantsIn', () => {
  it('finds children of children, not the root, not unrelated processes, and survives a cycle', () => {
    const rows = [
      { pid: 10, ppid: 1 },
      { pid: 11, ppid: 10 },
      { pid: 12, ppid: 11 },
      { pid: 13, ppid: 12 },
      { pid: 20, ppid: 1 },
      { pid: 30, ppid: 31 },
      { pid: 31, ppid: 30 },
    ];
    expect(descendantsIn(rows, 10).map((r) => r.pid)).toEqual([11, 12, 13]);
    expect(descendantsIn(rows, 30).map((r) => r.pid)).toEqual([31]);
  });

  it('reads ps output', () => {
    expect(parsePsTable('  PID  PPID\n    1     0\n  345     1\n\n')).toEqual([
      { pid: 1, ppid: 0 },
      { pid: 345, ppid: 1 },
    ]);
  });
});

describe.runIf(process.platform !== 'win32')('findDescendants', () => {
  it('finds a grandchild that left the process group (setsid), through its parent link', async () => {
    const script = `const { spawn } = require('node:child_process');
      const c = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1 << 30)'], { detached: true, stdio: 'ignore' });
      process.stdout.write(String(c.pid) + '\\n'); setInterval(() => {}, 1 << 30);`;
    const parent = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'ignore'] });
    const grandchild = await new Promise<number>((resolve) => parent.stdout.once('data', (d: Buffer) => resolve(Number(d.toString()))));
    onTestFinished(() => {
      process.kill(grandchild, 'SIGKILL');
      parent.kill('SIGKILL');
    });
    expect(findDescendants(parent.pid!).map((r) => r.pid)).toEqual([grandchild]);
    expect(findDescendants(process.pid).map((r) => r.pid)).toEqual(expect.arrayContaining([parent.pid, grandchild]));
  });
});
