// The headers helper run as a real shell command: what it is given, what it may print, and that
// its answer never waits on what it leaves behind.
import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { headersFromHelper } from '../../../src/adapters/headers-helper.js';
import { McpmError } from '../../../src/core/errors.js';
import type { ServerConfig } from '../../../src/core/launch/parse.js';

const server = (headersHelper: string): ServerConfig => ({
  name: 'notes',
  source: '.mcp.json',
  launch: { transport: 'http', url: 'https://x.example/mcp', headerNames: [], headersHelper },
  env: {},
  headers: {},
});
const dir = mkdtempSync(join(os.tmpdir(), 'mcpm-helper-'));
const run = (command: string, env: Record<string, string> = {}) =>
  headersFromHelper(server(command), 'https://x.example/mcp', { projectDir: dir, env: { PATH: process.env.PATH!, HOME: '/home/u', ...env } });

describe('headersFromHelper', () => {
  it('gives the helper what a server inherits, the variables its command names and the two Claude Code sets: not mcpm\'s whole environment', async () => {
    const out = join(dir, 'env.json');
    const headers = await run(
      `node -e 'require("fs").writeFileSync(${JSON.stringify(out)}, JSON.stringify(process.env)); process.stdout.write(JSON.stringify({ Authorization: "Bearer " + process.env.VAULT_TOKEN }))' # uses $VAULT_TOKEN`,
      { VAULT_TOKEN: 'v-123', CI_DEPLOY_KEY: 'ci-secret' },
    );
    expect(headers).toEqual({ Authorization: 'Bearer v-123' });
    const seen = JSON.parse(readFileSync(out, 'utf8')) as Record<string, string>;
    expect(seen).toMatchObject({ HOME: '/home/u', VAULT_TOKEN: 'v-123', CLAUDE_CODE_MCP_SERVER_NAME: 'notes', CLAUDE_CODE_MCP_SERVER_URL: 'https://x.example/mcp' });
    expect(seen).not.toHaveProperty('CI_DEPLOY_KEY');
  });

  it('answers once the shell exits, not when a process it left in a session of its own closes stdout', async () => {
    // Waiting for that process would take 60 s, past the test's own limit.
    const pidFile = join(dir, 'left.pid');
    expect(await run(`printf '{"X-A":"1"}'; setsid sleep 60 & echo $! > ${pidFile}`)).toEqual({ 'X-A': '1' });
    process.kill(Number(readFileSync(pidFile, 'utf8')), 'SIGKILL');
  });

  it.each([
    ['exit 3', 'exited with status 3'],
    [`node -e 'process.stdout.write(JSON.stringify({ "X-A": "a" + String.fromCharCode(1) }))'`, 'printed a value for "X-A" that is not a valid HTTP header value'],
    [`printf '["x"]'`, 'did not print a JSON object'],
  ])('refuses %s', async (command, problem) => {
    const error = await run(command).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(McpmError);
    expect((error as McpmError).message).toBe(`.mcp.json: server "notes": "headersHelper" ${problem}`);
  });
});
