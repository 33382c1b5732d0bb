// Shared by the adapter tests: fixture paths, configs for them, temp dirs, and process liveness.
import { mkdtempSync, promises as fs, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, expect } from 'vitest';
import type { ServerProcess } from '../../../src/adapters/process.js';
import { McpmError, type ErrorCode } from '../../../src/core/errors.js';
import type { ServerConfig } from '../../../src/core/launch/parse.js';

export const FIXTURES = fileURLToPath(new URL('../../fixtures/servers/', import.meta.url));
export const REPO = fileURLToPath(new URL('../../../', import.meta.url));

export function fixture(name: string): string {
  return path.join(FIXTURES, name);
}

export function referenceServer(pkg: string): string {
  return path.join(REPO, 'node_modules', '@modelcontextprotocol', pkg, 'dist', 'index.js');
}

/** A stdio entry running `node <script> ...args` with the given configured env. */
export function stdioConfig(name: string, script: string, env: Record<string, string> = {}, args: string[] = []): ServerConfig {
  return {
    name,
    source: '.mcp.json',
    launch: { transport: 'stdio', command: process.execPath, args: [script, ...args], envNames: Object.keys(env).sort() },
    env,
    headers: {},
  };
}

export function httpConfig(name: string, url: string, headers: Record<string, string> = {}, transport: 'http' | 'sse' = 'http'): ServerConfig {
  return { name, source: '.mcp.json', launch: { transport, url, headerNames: Object.keys(headers).sort() }, env: {}, headers };
}

/** mcpm's own environment in tests: what a developer's shell would hold, secrets included. */
export function mcpmEnv(extra: Record<string, string> = {}): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: process.env.HOME ?? '/tmp',
    GITHUB_TOKEN: 'ghp_secret_value',
    AWS_SECRET_ACCESS_KEY: 'aws-secret',
    NODE_OPTIONS: '--require /nonexistent/hook.js',
    ...extra,
  };
}

/** A temp dir per test; call the returned cleanup in afterEach. */
export function makeTempDir(): string {
  return mkdtempSync(path.join(tmpdir(), 'mcpm-adapters-'));
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

/**
 * Registers hooks giving each test a fresh temp dir (handed to `onDir`) and, after it, killing the
 * server processes it pushed onto the returned list and removing the dir.
 */
export function tempDirAndServersPerTest(onDir: (dir: string) => void): ServerProcess[] {
  let dir: string;
  const started: ServerProcess[] = [];
  beforeEach(() => {
    dir = makeTempDir();
    onDir(dir);
  });
  afterEach(async () => {
    await Promise.all(started.splice(0).map((p) => p.kill()));
    removeDir(dir);
  });
  return started;
}

export function writeJson(file: string, value: unknown): string {
  writeFileSync(file, JSON.stringify(value));
  return file;
}

export function readPids(file: string): number[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map(Number);
}

/** True while `pid` runs; a zombie (exited, not yet reaped by a non-reaping init) counts as dead. */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return true;
  }
}

/** Waits (polling: a foreign process's death has no event) until none of `pids` is alive, or `ms` passes. */
export async function allDead(pids: number[], ms = 2000): Promise<boolean> {
  const end = Date.now() + ms;
  for (;;) {
    if (!pids.some(isAlive)) return true;
    if (Date.now() > end) return false;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Writes `text` to `file` under `dir`, making its directories; returns the absolute path. */
export async function putFile(dir: string, file: string, text: string | Buffer): Promise<string> {
  const absolute = path.join(dir, file);
  await fs.mkdir(path.dirname(absolute), { recursive: true });
  await fs.writeFile(absolute, text);
  return absolute;
}

/** The McpmError `promise` rejects with, after checking its code (fails the test if it resolves). */
export async function rejection(promise: Promise<unknown>, code: ErrorCode): Promise<McpmError> {
  const error = await promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (reason: unknown) => reason,
  );
  expect(error).toBeInstanceOf(McpmError);
  expect((error as McpmError).code).toBe(code);
  return error as McpmError;
}

/** Plain objects from the null-prototype ones the strict parser makes, for toEqual. */
export function plain(value: unknown): unknown {
  return JSON.parse(JSON.stringify(value));
}

/** Runs `fn` and returns what it threw (fails the test if it did not throw). */
export async function caught(fn: () => Promise<unknown>): Promise<unknown> {
  try {
    await fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

export const DEFS = {
  serverInfo: { name: 'notes', version: '1.4.2', extraInfo: { build: 7 } },
  capabilities: { tools: { listChanged: true, extraFlag: true }, prompts: {}, resources: {}, customCap: { on: true } },
  instructions: 'Use the notes tools for notes.',
  tools: [
    {
      name: 'add_note',
      description: 'Adds a note.',
      inputSchema: { type: 'object', properties: { text: { type: 'string' } }, required: ['text'] },
      outputSchema: { type: 'array' },
      annotations: { readOnlyHint: false, vendorHint: 'x' },
      extraTopLevel: { anything: [1, 2, 3] },
    },
  ],
  prompts: [{ name: 'summarize', arguments: [{ name: 'topic', title: 'Topic', required: true }] }],
  resources: [{ uri: 'notes://all', name: 'all notes', annotations: { lastModified: 'not a date' } }],
  resourceTemplates: [{ uriTemplate: 'notes://{id}', name: 'one note' }],
};
