#!/usr/bin/env node
// `node bench/guard.mjs`: what `mcpm run` costs a host, against the same server launched directly.
// (a) added latency per tools/call round trip (median of many sequential calls, interleaved
//     sessions so machine load hits both sides alike); target ≤ 0.1 ms added per call.
// (b) spawn to first tools/list response, for @modelcontextprotocol/server-everything; target ≤ 1.2×.
// A third launch, a bare Node relay that copies bytes and checks nothing, shows the floor any
// Node proxy pays for the extra process and pipe hop, so the guard's own share can be read off.
// Needs `npm run build`. BENCH_CALLS (default 2000), BENCH_SESSIONS (default 5 of each kind) and
// BENCH_RUNS (default 15) tune the sample: on a 2-core VM the median of 7 launches still moved by
// ±0.06× from run to run.
// Exits 1 if a target is missed.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bareRelay, callTimes as roundTrips, timeToList } from './host.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const mcpm = join(root, 'bin', 'mcpm.cjs');
const everything = join(root, 'node_modules', '@modelcontextprotocol', 'server-everything', 'dist', 'index.js');
const calls = Number(process.env.BENCH_CALLS ?? 2000);
const runs = Number(process.env.BENCH_RUNS ?? 15);
const sessions = Number(process.env.BENCH_SESSIONS ?? 5);

const median = (xs) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)];

/** Per-call round-trip times (ms) of `calls` sequential echo calls in one session, after a warm-up. */
const callTimes = (launch) => roundTrips(launch, 'tools/call', { name: 'echo', arguments: { message: 'call' } }, calls);

const work = mkdtempSync(join(tmpdir(), 'mcpm-bench-guard-'));
try {
  writeFileSync(join(work, '.mcp.json'), JSON.stringify({ mcpServers: { everything: { command: process.execPath, args: [everything, 'stdio'] } } }));
  const installed = spawnSync(process.execPath, [mcpm, 'install', '-C', work, '-q'], { encoding: 'utf8' });
  if (installed.status !== 0) throw new Error(`mcpm install failed:\n${installed.stderr}`);

  const env = { PATH: process.env.PATH, HOME: process.env.HOME };
  const direct = [process.execPath, [everything, 'stdio'], env];
  const guarded = [process.execPath, [mcpm, 'run', '-C', work, 'everything'], env];
  const bare = [process.execPath, ['-e', bareRelay, '--', process.execPath, everything, 'stdio'], env];

  // (a) interleave whole sessions; compare medians of all per-call samples.
  const directCalls = [];
  const guardedCalls = [];
  const bareCalls = [];
  for (let i = 0; i < sessions; i++) {
    directCalls.push(...(await callTimes(direct)));
    guardedCalls.push(...(await callTimes(guarded)));
    bareCalls.push(...(await callTimes(bare)));
  }
  const perCall = { direct: median(directCalls), guarded: median(guardedCalls), bare: median(bareCalls) };
  const added = perCall.guarded - perCall.direct;

  // (b)
  const directSpawn = [];
  const guardedSpawn = [];
  const bareSpawn = [];
  await timeToList(direct);
  await timeToList(guarded);
  for (let i = 0; i < runs; i++) {
    directSpawn.push(await timeToList(direct));
    guardedSpawn.push(await timeToList(guarded));
    bareSpawn.push(await timeToList(bare));
  }
  const spawnRatio = median(guardedSpawn) / median(directSpawn);

  const rows = [
    {
      measure: `tools/call round trip, median of ${directCalls.length} calls (ms)`,
      direct: perCall.direct.toFixed(3),
      guarded: perCall.guarded.toFixed(3),
      result: `+${added.toFixed(3)} ms (${(perCall.guarded / perCall.direct).toFixed(2)}×)`,
      target: '≤ +0.1 ms',
      pass: added <= 0.1,
    },
    {
      measure: `spawn → first tools/list, median of ${runs} (ms)`,
      direct: median(directSpawn).toFixed(1),
      guarded: median(guardedSpawn).toFixed(1),
      result: `${spawnRatio.toFixed(2)}×`,
      target: '≤ 1.2×',
      pass: spawnRatio <= 1.2,
    },
  ];
  console.log(
    `bare Node relay (the floor for any Node proxy): +${(perCall.bare - perCall.direct).toFixed(3)} ms per call, ` +
      `${(median(bareSpawn) / median(directSpawn)).toFixed(2)}× spawn → first list`,
  );
  console.table(rows);
  process.exitCode = rows.every((r) => r.pass) ? 0 : 1;
} finally {
  rmSync(work, { recursive: true, force: true });
}
