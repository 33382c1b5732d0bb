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
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const mcpm = join(root, 'bin', 'mcpm.cjs');
const everything = join(root, 'node_modules', '@modelcontextprotocol', 'server-everything', 'dist', 'index.js');
const calls = Number(process.env.BENCH_CALLS ?? 2000);
const runs = Number(process.env.BENCH_RUNS ?? 15);
const sessions = Number(process.env.BENCH_SESSIONS ?? 5);

/** A minimal host: newline-delimited JSON-RPC over a child's stdio, one request at a time. */
function startSession(command, args, env = {}) {
  const started = process.hrtime.bigint();
  const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'ignore'], env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env } });
  let buffer = '';
  const waiting = new Map();
  child.stdout.setEncoding('utf8').on('data', (chunk) => {
    buffer += chunk;
    let newline;
    while ((newline = buffer.indexOf('\n')) !== -1) {
      const line = buffer.slice(0, newline);
      buffer = buffer.slice(newline + 1);
      const message = JSON.parse(line);
      if (message.id !== undefined && message.method === undefined) {
        waiting.get(message.id)?.(message);
        waiting.delete(message.id);
      }
    }
  });
  let nextId = 0;
  const request = (method, params) =>
    new Promise((resolve, reject) => {
      const id = nextId++;
      waiting.set(id, (m) => (m.error ? reject(new Error(`${method}: ${m.error.message}`)) : resolve(m.result)));
      child.stdin.write(`${JSON.stringify({ jsonrpc: '2.0', id, method, params })}\n`);
    });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  return {
    started,
    request,
    notify: (method) => child.stdin.write(`${JSON.stringify({ jsonrpc: '2.0', method })}\n`),
    close: async () => {
      child.stdin.end();
      await exited;
    },
  };
}

async function handshake(session) {
  await session.request('initialize', { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'bench', version: '1' } });
  session.notify('notifications/initialized');
}

/** `node -e BARE_RELAY -- command ...args`: stdin → child → stdout, no framing, no checks. */
const BARE_RELAY = `
const { spawn } = require('node:child_process');
const [command, ...args] = process.argv.slice(1);
const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'ignore'] });
process.stdin.on('data', (c) => child.stdin.write(c));
process.stdin.on('end', () => child.stdin.end());
child.stdout.on('data', (c) => process.stdout.write(c));
child.on('exit', () => process.stdin.destroy());`;

const median = (xs) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)];
const ms = (from, to) => Number(to - from) / 1e6;

/** Per-call round-trip times (ms) of `calls` sequential echo calls in one session. */
async function callTimes(launch) {
  const session = startSession(...launch);
  await handshake(session);
  await session.request('tools/list', {});
  const times = [];
  for (let i = 0; i < calls; i++) {
    const t0 = process.hrtime.bigint();
    await session.request('tools/call', { name: 'echo', arguments: { message: `call ${i}` } });
    times.push(ms(t0, process.hrtime.bigint()));
  }
  await session.close();
  return times.slice(Math.min(100, calls / 10)); // the first calls warm up the JIT on both sides
}

/** Spawn to the first tools/list result (ms). */
async function timeToList(launch) {
  const session = startSession(...launch);
  await handshake(session);
  await session.request('tools/list', {});
  const elapsed = ms(session.started, process.hrtime.bigint());
  await session.close();
  return elapsed;
}

const work = mkdtempSync(join(tmpdir(), 'mcpm-bench-guard-'));
try {
  writeFileSync(join(work, '.mcp.json'), JSON.stringify({ mcpServers: { everything: { command: process.execPath, args: [everything, 'stdio'] } } }));
  const installed = spawnSync(process.execPath, [mcpm, 'install', '-C', work, '-q'], { encoding: 'utf8' });
  if (installed.status !== 0) throw new Error(`mcpm install failed:\n${installed.stderr}`);

  const direct = [process.execPath, [everything, 'stdio']];
  const guarded = [process.execPath, [mcpm, 'run', '-C', work, 'everything']];
  const bare = [process.execPath, ['-e', BARE_RELAY, '--', process.execPath, everything, 'stdio']];

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
