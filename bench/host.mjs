// A minimal MCP host for the benchmarks: newline-delimited JSON-RPC over a child's stdio.
// A launch is [command, args, env].
import { spawn } from 'node:child_process';

/**
 * `node -e bareRelay -- command ...args`: stdin → child → stdout, no framing, no checks. The floor for any Node proxy.
 * The child gets the environment in BARE_SERVER_ENV (JSON) when it is set, else the relay's own.
 */
export const bareRelay = `
const { spawn } = require('node:child_process');
const [command, ...args] = process.argv.slice(1);
const env = process.env.BARE_SERVER_ENV === undefined ? process.env : JSON.parse(process.env.BARE_SERVER_ENV);
const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'ignore'], env });
process.stdin.on('data', (c) => child.stdin.write(c));
process.stdin.on('end', () => child.stdin.end());
child.stdout.on('data', (c) => process.stdout.write(c));
child.on('exit', () => process.stdin.destroy());`;

const ms = (from, to) => Number(to - from) / 1e6;

function startSession([command, args, env]) {
  const started = process.hrtime.bigint();
  const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'ignore'], env });
  const chunks = [];
  const waiting = new Map();
  child.stdout.on('data', (chunk) => {
    let from = 0;
    let newline;
    while ((newline = chunk.indexOf(10, from)) !== -1) {
      chunks.push(chunk.subarray(from, newline));
      const message = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      chunks.length = 0;
      from = newline + 1;
      if (message.id !== undefined && message.method === undefined) {
        waiting.get(message.id)?.(message);
        waiting.delete(message.id);
      }
    }
    if (from < chunk.length) chunks.push(chunk.subarray(from));
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
    close: async () => {
      child.stdin.end();
      await exited;
    },
    handshake: async () => {
      await request('initialize', { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'bench', version: '1' } });
      child.stdin.write(`${JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' })}\n`);
    },
  };
}

/** A session past the handshake and a first tools/list, as a host has it before any call. */
async function listedSession(launch) {
  const session = startSession(launch);
  await session.handshake();
  await session.request('tools/list', {});
  return session;
}

/** Spawn to the first tools/list result (ms). */
export async function timeToList(launch) {
  const session = await listedSession(launch);
  const elapsed = ms(session.started, process.hrtime.bigint());
  await session.close();
  return elapsed;
}

/** Round-trip times (ms) of `count` sequential requests, after a tools/list and `warm` more (a tenth as many unless told) that are not timed. */
export async function callTimes(launch, method, params, count, warm = Math.ceil(count / 10)) {
  const session = await listedSession(launch);
  for (let i = 0; i < warm; i++) await session.request(method, params);
  const times = [];
  for (let i = 0; i < count; i++) {
    const t0 = process.hrtime.bigint();
    await session.request(method, params);
    times.push(ms(t0, process.hrtime.bigint()));
  }
  await session.close();
  return times;
}

/**
 * Calls per second for `total` tools/call requests kept `inFlight` at a time, after `warm` calls
 * made the same way and not timed (a host's session outlives its first calls; a relay just started
 * runs its JavaScript unoptimised for the first few thousand messages).
 */
export async function inFlightRate(launch, params, total, inFlight, warm = 0) {
  const session = await listedSession(launch);
  const burst = async (count) => {
    let sent = 0;
    const worker = async () => {
      while (sent < count) {
        sent++;
        await session.request('tools/call', params);
      }
    };
    await Promise.all(Array.from({ length: inFlight }, worker));
  };
  await burst(warm);
  const t0 = process.hrtime.bigint();
  await burst(total);
  const rate = total / (ms(t0, process.hrtime.bigint()) / 1000);
  await session.close();
  return rate;
}
