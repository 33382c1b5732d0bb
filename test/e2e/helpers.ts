// End-to-end helpers: run the real CLI (`node bin/mcpm.cjs`) in a temp project whose servers are
// the fixture servers of test/fixtures/servers, spawned for real.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { onTestFinished } from 'vitest';
import type { JsonObject } from '../../src/core/json-strict.js';
import { parseLock, serializeLock } from '../../src/core/lockfile.js';
import { buildSnapshot, snapshotIntegrity } from '../../src/core/snapshot.js';

export const ROOT = resolve(import.meta.dirname, '..', '..');
export const BIN = join(ROOT, 'bin', 'mcpm.cjs');
export const SERVERS = join(ROOT, 'test', 'fixtures', 'servers');

export interface RunResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Runs mcpm to completion with a hard timeout, so a hang fails the test instead of the suite. */
export function mcpm(args: string[], options: { cwd?: string; env?: Record<string, string>; timeoutMs?: number } = {}): Promise<RunResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd: options.cwd ?? ROOT,
      env: { ...process.env, NO_COLOR: '1', ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`mcpm ${args.join(' ')} did not finish in time\nstdout: ${stdout}\nstderr: ${stderr}`));
    }, options.timeoutMs ?? 25_000);
    child.on('error', reject);
    child.on('close', (status) => {
      clearTimeout(timer);
      resolvePromise({ status, stdout, stderr });
    });
  });
}

export function tempProject(): string {
  const dir = mkdtempSync(join(tmpdir(), 'mcpm-e2e-'));
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

export interface Defs {
  serverInfo: Record<string, unknown>;
  capabilities: Record<string, unknown>;
  instructions?: string;
  tools?: unknown[];
  prompts?: unknown[];
  resources?: unknown[];
  resourceTemplates?: unknown[];
}

export function defs(tools: unknown[], extra: Partial<Defs> = {}): Defs {
  return { serverInfo: { name: 'fixture', version: '1.0.0' }, capabilities: { tools: {} }, tools, ...extra };
}

export function tool(name: string, description: string, properties: Record<string, unknown> = {}): Record<string, unknown> {
  return { name, description, inputSchema: { type: 'object', properties } };
}

/** Writes .mcp.json with one static fixture server per entry, each serving its own defs file. */
export function writeProject(dir: string, servers: Record<string, { defs?: Defs; script?: string; env?: Record<string, string>; args?: string[] }>): void {
  const mcpServers: Record<string, unknown> = {};
  for (const [name, s] of Object.entries(servers)) {
    const env: Record<string, string> = { ...s.env };
    if (s.defs) {
      const file = join(dir, `${safeFileName(name)}.defs.json`);
      writeFileSync(file, JSON.stringify(s.defs));
      env.FIXTURE_DEFS = file;
    }
    mcpServers[name] = { command: 'node', args: [join(SERVERS, s.script ?? 'static.mjs'), ...(s.args ?? [])], env };
  }
  writeFileSync(join(dir, '.mcp.json'), JSON.stringify({ mcpServers }, null, 2));
}

export function writeDefs(dir: string, name: string, d: Defs): void {
  writeFileSync(join(dir, `${safeFileName(name)}.defs.json`), JSON.stringify(d));
}

function safeFileName(name: string): string {
  return Buffer.from(name).toString('hex');
}

/**
 * The lock text of `file` with server "a" locked with the tools `toolsOf` makes from its locked
 * tool "x", every integrity consistent with them.
 */
export function relockedText(file: string, toolsOf: (x: JsonObject) => JsonObject[]): string {
  const lock = parseLock(readFileSync(file, 'utf8'), 'mcp.lock');
  const entry = lock.servers.get('a')!;
  const snapshot = buildSnapshot('a', {
    era: 'handshake',
    protocolVersion: entry.protocol.version,
    serverInfo: entry.snapshot.serverInfo,
    capabilities: entry.snapshot.capabilities,
    lists: { tools: toolsOf(entry.snapshot.tools.get('x')!.definition), prompts: null, resources: null, resourceTemplates: null },
  });
  lock.servers.set('a', { ...entry, snapshot, integrity: snapshotIntegrity(snapshot) });
  return serializeLock(lock);
}
