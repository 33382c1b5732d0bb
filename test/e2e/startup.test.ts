// Start-up cost: `--help` and `verify --offline` must not load the SDK, execa, ink or react
// (about 0.5 s on Node 20). Checked on the modules actually loaded, not on timings.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BIN, ROOT, defs, tempProject, tool, writeProject } from './helpers.js';

const HEAVY = /node_modules\/(@modelcontextprotocol|execa|ink|react|zod|smol-toml)\//;

function loaded(args: string[], cwd: string): { status: number | null; modules: string[] } {
  const file = join(cwd, 'imports.txt');
  const r = spawnSync(process.execPath, ['--import', join(ROOT, 'test/fixtures/scripts/trace-imports.mjs'), BIN, ...args], {
    cwd,
    env: { ...process.env, TRACE_IMPORTS_FILE: file },
    encoding: 'utf8',
    timeout: 20_000,
  });
  let modules: string[] = [];
  try {
    modules = readFileSync(file, 'utf8').trim().split('\n');
  } catch {
    modules = [];
  }
  return { status: r.status, modules };
}

describe('start-up imports', () => {
  it('--help loads none of the heavy modules', () => {
    const dir = tempProject();
    const { status, modules } = loaded(['--help'], dir);
    expect(status).toBe(0);
    expect(modules.some((m) => m.includes('commander'))).toBe(true);
    expect(modules.filter((m) => HEAVY.test(m))).toEqual([]);
  });

  it('verify --offline and ls load none of them either', async () => {
    const dir = tempProject();
    writeProject(dir, { a: { defs: defs([tool('x', 'X.')]) } });
    const { mcpm } = await import('./helpers.js');
    expect((await mcpm(['install', '-C', dir])).status).toBe(0);
    for (const args of [['verify', '--offline'], ['ls']]) {
      const { status, modules } = loaded([...args, '-C', dir], dir);
      expect(status).toBe(0);
      expect(modules.some((m) => m.includes('/dist/core/lockfile.js'))).toBe(true);
      expect(modules.filter((m) => HEAVY.test(m))).toEqual([]);
    }
  });
});
