#!/usr/bin/env node
// `npm run bench`: speed targets as ratios against baselines measured in the same run, so the
// numbers mean the same on a slow CI machine and a fast laptop. Prints a table; exits 1 if a
// target is missed.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const mcpm = join(root, 'bin', 'mcpm.cjs');
const runs = Number(process.env.BENCH_RUNS ?? 7);

function time(args, options = {}) {
  const start = process.hrtime.bigint();
  const result = spawnSync(process.execPath, args, { encoding: 'utf8', ...options });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (result.status !== 0 && !options.allowFailure) {
    throw new Error(`${args.join(' ')} exited ${result.status}\n${result.stderr}`);
  }
  return ms;
}

/** Median of interleaved runs, so drift in machine load hits both sides alike. */
function compare(label, subject, baseline, target) {
  const a = [];
  const b = [];
  time(subject);
  time(baseline);
  for (let i = 0; i < runs; i++) {
    a.push(time(subject));
    b.push(time(baseline));
  }
  const median = (xs) => xs.sort((x, y) => x - y)[Math.floor(xs.length / 2)];
  const ratio = median(a) / median(b);
  return { label, subject: median(a), baseline: median(b), ratio, target, pass: ratio <= target };
}

const results = [];
const work = mkdtempSync(join(tmpdir(), 'mcpm-bench-'));
try {
  // 1. verify of the quickstart servers against a plain SDK script listing them in parallel.
  const quick = join(root, 'examples', 'quickstart');
  const quickLock = join(work, 'quickstart.lock');
  time([mcpm, 'install', '-C', quick, '--lockfile', quickLock, '-q']);
  results.push(
    compare(
      'verify (4 reference servers) vs plain SDK script',
      [mcpm, 'verify', '-C', quick, '--lockfile', quickLock, '-q'],
      [join(root, 'bench', 'sdk-baseline.mjs'), quick],
      1.3,
    ),
  );

  // 2. verify --offline of a 50-server project against `node -e 0`.
  const big = join(work, 'fifty');
  const { buildFiftyServerProject } = await import('./fifty-servers.mjs');
  await buildFiftyServerProject(big);
  results.push(compare('verify --offline (50 servers) vs node -e 0', [mcpm, 'verify', '--offline', '-C', big, '-q'], ['-e', '0'], 3));
} finally {
  rmSync(work, { recursive: true, force: true });
}

// 3. The guard's own benchmark, when present (issue 5): it prints its own lines and ratios.
const guardBench = join(root, 'bench', 'guard.mjs');
let guardFailed = false;
if (existsSync(guardBench)) {
  const r = spawnSync(process.execPath, [guardBench], { stdio: 'inherit' });
  guardFailed = r.status !== 0;
}

const rows = results.map(
  (r) => `${r.pass ? 'PASS' : 'FAIL'}  ${r.label.padEnd(48)} ${r.subject.toFixed(0).padStart(6)} ms vs ${r.baseline.toFixed(0).padStart(6)} ms  ratio ${r.ratio.toFixed(2)} (target ≤ ${r.target})`,
);
process.stdout.write(`${rows.join('\n')}\n`);
writeFileSync(join(tmpdir(), 'mcpm-bench-last.json'), JSON.stringify(results, null, 2));
process.exitCode = results.every((r) => r.pass) && !guardFailed ? 0 : 1;
