// Shared by the launch unit tests.
import { readFileSync } from 'node:fs';
import { expect } from 'vitest';
import type { ErrorCode, McpmError } from '../../../../src/core/errors.js';
import type { LaunchSpec } from '../../../../src/core/launch/identity.js';
import type { ServerConfig } from '../../../../src/core/launch/parse.js';
import { caught } from '../helpers.js';

export const fixture = (name: string): string => readFileSync(new URL(`../../../fixtures/configs/${name}`, import.meta.url), 'utf8');

export function expectError(fn: () => unknown, code: ErrorCode, message: string | RegExp): McpmError {
  const error = caught(fn);
  expect(error.code).toBe(code);
  if (typeof message === 'string') expect(error.message).toBe(message);
  else expect(error.message).toMatch(message);
  return error;
}

export const stdio = (args: string[], extra: Partial<Extract<LaunchSpec, { transport: 'stdio' }>> = {}): LaunchSpec => ({
  transport: 'stdio',
  command: 'npx',
  args,
  envNames: [],
  ...extra,
});
export const server = (name: string, source: string, launch: LaunchSpec, env: Record<string, string> = {}): ServerConfig => ({
  name,
  source,
  launch,
  env,
  headers: {},
});
