import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BIN, ROOT, defs, mcpm, tempProject, tool, writeProject } from './helpers.js';

const MiB = 1024 * 1024;
const dist = (...parts: string[]) => JSON.stringify(join(ROOT, 'dist', ...parts));

/**
 * The young generation's size after `setup` ran and 300,000 small objects were kept (about 15 MB,
 * all of which survive each collection, as a lock's or a listing's values do).
 */
function youngGenerationAfter(setup: string): number {
  const probe = `
import v8 from 'node:v8';
${setup}
const kept = [];
for (let i = 0; i < 300000; i++) kept.push({ i, s: 'x' + i });
process.stdout.write(\`\${v8.getHeapSpaceStatistics().find((s) => s.space_name === 'new_space').space_size} \${kept.length}\`);
`;
  const [size, count] = execFileSync(process.execPath, ['--input-type=module', '-e', probe], { encoding: 'utf8' }).split(' ').map(Number);
  expect(count).toBe(300000);
  return size!;
}

describe('keeping the young generation small (big locks and listings)', () => {
  // Node 20 to 24's V8 have the flag; on another V8 it is left alone.
  const known = [10, 11, 12, 13].includes(Number(process.versions.v8.split('.')[0]));
  const dir = mkdtempSync(join(tmpdir(), 'mcpm-young-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('grows with what is kept by default, and stays near its first size once asked', () => {
    expect(youngGenerationAfter('')).toBeGreaterThanOrEqual(16 * MiB);
    const kept = youngGenerationAfter(`(await import(${dist('adapters', 'young-generation.js')})).keepYoungGenerationSmall();`);
    expect(kept <= 4 * MiB).toBe(known);
  });

  it('is asked for a lock of 512 KiB or more, not a smaller or a missing one', () => {
    const big = join(dir, 'big.lock');
    const small = join(dir, 'small.lock');
    writeFileSync(big, 'x'.repeat(512 * 1024));
    writeFileSync(small, 'x'.repeat(512 * 1024 - 1));
    // Read as every command reads a whole lock; the text is no lock, so parsing it throws, after.
    const forFile = (file: string) => youngGenerationAfter(`try { await (await import(${dist('adapters', 'lock-store.js')})).readLock(${JSON.stringify(file)}); } catch {}`);
    expect(forFile(big) <= 4 * MiB).toBe(known);
    expect(forFile(small)).toBeGreaterThanOrEqual(16 * MiB);
    expect(forFile(join(dir, 'none.lock'))).toBeGreaterThanOrEqual(16 * MiB);
  });

  it('is asked before a command that contacts servers loads the SDK and lists them', () => {
    const kept = youngGenerationAfter(`await (await import(${dist('app', 'live.js')})).importSnapshotAll();`);
    expect(kept <= 4 * MiB).toBe(known);
  });
});

/** The young generation's size when `mcpm args` exits (the probe preloaded into mcpm, not its servers). */
function youngGenerationOfMcpm(args: string[], dir: string): number {
  const file = join(dir, 'young-generation.txt');
  const r = spawnSync(process.execPath, ['--require', join(ROOT, 'test/fixtures/scripts/young-generation-probe.cjs'), BIN, ...args], {
    env: { ...process.env, YOUNG_GENERATION_FILE: file },
    encoding: 'utf8',
    timeout: 25_000,
  });
  expect(r.status, r.stderr).toBe(0);
  return Number(readFileSync(file, 'utf8'));
}

// The commands, as users run them: each grows its young generation no further than the same
// command does with a lock of one small server, which contacts no server. Without the flag a lock
// of 512 KiB, and the SDK loaded to contact a server, each doubled it (8 MiB against 4; 4 against
// 2 for verify --offline's bundle).
describe('commands keep the young generation small', () => {
  it('ls and verify --offline of a lock of 512 KiB or more, and install, which contacts its server', async () => {
    const small = tempProject();
    writeProject(small, { a: { defs: defs([tool('x', 'X.')]) } });
    expect((await mcpm(['install', '-C', small, '-q'])).status).toBe(0);
    const big = tempProject();
    writeProject(big, { a: { defs: defs(Array.from({ length: 600 }, (_, i) => tool(`tool_${i}`, `Does thing ${i}. `.repeat(60)))) } });
    const installed = youngGenerationOfMcpm(['install', '-C', big, '-q'], big);
    expect(statSync(join(big, 'mcp.lock')).size).toBeGreaterThanOrEqual(512 * 1024);

    const ls = youngGenerationOfMcpm(['ls', '-C', small], small);
    expect(installed).toBeLessThanOrEqual(ls);
    expect(youngGenerationOfMcpm(['ls', '-C', big], big)).toBeLessThanOrEqual(ls);
    expect(youngGenerationOfMcpm(['verify', '--offline', '-C', big, '-q'], big)).toBeLessThanOrEqual(youngGenerationOfMcpm(['verify', '--offline', '-C', small, '-q'], small));
  });
});
