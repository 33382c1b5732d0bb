// HTTP transports against the http-static fixture: Streamable HTTP (JSON and SSE answers), the
// legacy HTTP+SSE fallback, header resolution from the environment, and 401.
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:http';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { snapshotServer, type SnapshotOptions } from '../../../src/adapters/mcp-client.js';
import { McpmError } from '../../../src/core/errors.js';
import { stopChild } from '../../helpers/reference-http.js';
import { caught, DEFS, fixture, httpConfig, makeTempDir, mcpmEnv, plain, removeDir, writeJson } from './helpers.js';

let dir: string;
let server: ChildProcess | undefined;
beforeEach(() => {
  dir = makeTempDir();
});
afterEach(async () => {
  await stopChild(server);
  server = undefined;
  removeDir(dir);
});

/** Starts http-static.mjs with `env` and resolves with its port, read from its first stdout line. */
async function startHttp(env: Record<string, string>): Promise<number> {
  const defs = writeJson(path.join(dir, 'defs.json'), DEFS);
  server = spawn(process.execPath, [fixture('http-static.mjs')], {
    env: { PATH: process.env.PATH, FIXTURE_DEFS: defs, ...env },
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const child = server;
  return new Promise<number>((resolve, reject) => {
    let text = '';
    const timer = setTimeout(() => reject(new Error('http-static did not start')), 10_000);
    child.stdout!.on('data', (chunk: Buffer) => {
      text += chunk.toString();
      const match = /PORT (\d+)\n/.exec(text);
      if (match) {
        clearTimeout(timer);
        resolve(Number(match[1]));
      }
    });
    child.once('exit', (code) => reject(new Error(`http-static exited (${code})`)));
  });
}

function options(env: Record<string, string> = {}): SnapshotOptions {
  return { timeoutMs: 10_000, env: mcpmEnv(env), projectDir: dir };
}

describe('snapshotServer over HTTP', () => {
  it.each(['json', 'sse-response'])('Streamable HTTP answering as %s keeps every field', async (mode) => {
    const port = await startHttp({ FIXTURE_HTTP_MODE: mode });
    const listing = await snapshotServer(httpConfig('remote', `http://127.0.0.1:${port}/mcp`), options());
    expect(listing.era).toBe('handshake');
    expect(plain(listing.serverInfo)).toEqual(DEFS.serverInfo);
    expect(plain(listing.capabilities)).toEqual(DEFS.capabilities);
    expect(plain(listing.lists)).toEqual({
      tools: DEFS.tools,
      prompts: DEFS.prompts,
      resources: DEFS.resources,
      resourceTemplates: DEFS.resourceTemplates,
    });
  });

  it('falls back to HTTP+SSE when Streamable HTTP gets a 4xx', async () => {
    const port = await startHttp({ FIXTURE_HTTP_MODE: 'legacy-sse' });
    const listing = await snapshotServer(httpConfig('old', `http://127.0.0.1:${port}/sse`), options());
    expect(plain(listing.lists.tools)).toEqual(DEFS.tools);
  });

  it('speaks only HTTP+SSE for transport "sse"', async () => {
    const port = await startHttp({ FIXTURE_HTTP_MODE: 'legacy-sse' });
    const listing = await snapshotServer(httpConfig('old', `http://127.0.0.1:${port}/sse`, {}, 'sse'), options());
    expect(plain(listing.lists.prompts)).toEqual(DEFS.prompts);
  });

  it.each([
    ['json', 'mcp'],
    ['legacy-sse', 'sse'],
  ])('reads only the bodies the SDK reads as messages: a JSON body answering a %s POST that carries no request is ignored', async (mode, path) => {
    const port = await startHttp({ FIXTURE_HTTP_MODE: mode, FIXTURE_HTTP_POST_BODY: '{"accepted":true}' });
    const listing = await snapshotServer(httpConfig('remote', `http://127.0.0.1:${port}/${path}`, {}, mode === 'json' ? 'http' : 'sse'), options());
    expect(plain(listing.lists.tools)).toEqual(DEFS.tools);
  });

  it('sends configured headers, resolved from the environment at call time', async () => {
    const port = await startHttp({ FIXTURE_HTTP_TOKEN: 's3cret' });
    const config = httpConfig('remote', `http://127.0.0.1:${port}/mcp`, { Authorization: 'Bearer ${X_TOKEN}' });
    const listing = await snapshotServer(config, options({ X_TOKEN: 's3cret' }));
    expect(listing.lists.tools).toHaveLength(1);
  });

  it.each(['json', 'legacy-sse'])('reports 401 as SERVER_AUTH_REQUIRED (%s)', async (mode) => {
    const port = await startHttp({ FIXTURE_HTTP_TOKEN: 's3cret', FIXTURE_HTTP_MODE: mode });
    const url = `http://127.0.0.1:${port}/${mode === 'json' ? 'mcp' : 'sse'}`;
    const error = (await caught(() => snapshotServer(httpConfig('remote', url), options()))) as McpmError;
    expect(error).toBeInstanceOf(McpmError);
    expect(error.code).toBe('SERVER_AUTH_REQUIRED');
    expect(error.message).toBe('server "remote" requires authorization (HTTP 401): no login is stored for it');
    expect(error.hint).toBe('sign in with "mcpm login remote" (or, for a server that takes a fixed token, set its header in the config: "Authorization": "Bearer ${TOKEN}")');
  });

  it('reports a server that is not listening', async () => {
    const port = await startHttp({});
    server!.kill('SIGKILL');
    await new Promise((resolve) => server!.once('exit', resolve));
    const error = (await caught(() => snapshotServer(httpConfig('gone', `http://127.0.0.1:${port}/mcp`), options()))) as McpmError;
    expect(error.code).toBe('SERVER_SPAWN_FAILED');
    expect(error.message).toBe(`server "gone": cannot connect to http://127.0.0.1:${port} (ECONNREFUSED)`);
    // Not the status line's default for this code, which is about a command and PATH.
    expect(error.hint).toBe('check the URL in the config, and that the server is up and reachable from this machine');
  });

  it('a URL that is not the MCP endpoint (HTTP 404): the hint points at the URL', async () => {
    const port = await startHttp({});
    const error = (await caught(() => snapshotServer(httpConfig('typo', `http://127.0.0.1:${port}/mpc`), options()))) as McpmError;
    expect(error.code).toBe('SERVER_PROTOCOL');
    expect(error.message).toMatch(/answered HTTP 404$/);
    expect(error.hint).toBe("check the URL in the config: is it the server's MCP endpoint?");
  });

  it.each([
    ['json', 'initialize', '', 'SERVER_SPAWN_FAILED', 'server "remote": cannot connect to ORIGIN (UND_ERR_SOCKET)'],
    ['json', 'tools/list', '', 'SERVER_EXITED', 'server "remote" at ORIGIN closed the connection during tools/list'],
    ['sse-response', 'initialize', 'end', 'SERVER_EXITED', 'server "remote" at ORIGIN closed the connection during initialize'],
    ['sse-response', 'prompts/list', 'end', 'SERVER_EXITED', 'server "remote" at ORIGIN closed the connection during prompts/list'],
    ['sse-response', 'tools/list', '', 'SERVER_EXITED', 'server "remote" at ORIGIN closed the connection during tools/list'],
  ])('reports a %s answer to %s that never comes (connection dropped, stream ended %s) at once', async (mode, method, by, code, message) => {
    const port = await startHttp({ FIXTURE_HTTP_MODE: mode, FIXTURE_HTTP_DROP_ON: method, FIXTURE_HTTP_DROP_BY: by });
    const started = Date.now();
    const error = (await caught(() => snapshotServer(httpConfig('remote', `http://127.0.0.1:${port}/mcp`), options()))) as McpmError;
    expect(error).toBeInstanceOf(McpmError);
    expect(error.code).toBe(code);
    expect(error.message).toBe(message.replace('ORIGIN', `http://127.0.0.1:${port}`));
    // A hint of its own: the status line's default for these codes is about a command.
    expect(error.hint).toBe(code === 'SERVER_EXITED' ? 'check that the server is up; its own logs say why it closed the connection' : 'check the URL in the config, and that the server is up and reachable from this machine');
    // Not the deadline (10 s): the lost answer is seen when its body ends.
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('reports an HTTP+SSE server that is not listening', async () => {
    const port = await startHttp({});
    server!.kill('SIGKILL');
    await new Promise((resolve) => server!.once('exit', resolve));
    const error = (await caught(() => snapshotServer(httpConfig('gone', `http://127.0.0.1:${port}/sse`, {}, 'sse'), options()))) as McpmError;
    expect(error).toBeInstanceOf(McpmError);
    expect(error.code).toBe('SERVER_SPAWN_FAILED');
    expect(error.message).toMatch(new RegExp(`^server "gone": cannot connect to http://127\\.0\\.0\\.1:${port}`));
  });

  it('fails closed on duplicate keys in an HTTP body', async () => {
    const port = await startHttp({
      FIXTURE_HTTP_RAW_TOOLS: '{"tools":[{"name":"t","description":"benign","description":"<IMPORTANT>x</IMPORTANT>","inputSchema":{"type":"object"}}]}',
    });
    const error = (await caught(() => snapshotServer(httpConfig('remote', `http://127.0.0.1:${port}/mcp`), options()))) as McpmError;
    expect(error.code).toBe('SERVER_PROTOCOL');
    expect(error.message).toMatch(/duplicate/i);
  });

  it('caps the size of an HTTP body', async () => {
    const port = await startHttp({ FIXTURE_HTTP_RAW_TOOLS: `{"tools":[{"name":"t","description":"${'x'.repeat(100_000)}"}]}` });
    const error = (await caught(() =>
      snapshotServer(httpConfig('remote', `http://127.0.0.1:${port}/mcp`), { ...options(), maxMessageBytes: 64 * 1024 }),
    )) as McpmError;
    expect(error.code).toBe('SERVER_MESSAGE_TOO_LARGE');
    expect(error.message).toBe('server "remote" sent a message over 64 KiB (limit); it was stopped');
  });

  it('does not follow a redirect to another origin', async () => {
    let hits = 0;
    const target = createServer((_req, res) => {
      hits += 1;
      res.writeHead(500).end();
    });
    await new Promise<void>((resolve) => target.listen(0, '127.0.0.1', resolve));
    try {
      const targetPort = (target.address() as { port: number }).port;
      const port = await startHttp({ FIXTURE_HTTP_REDIRECT: `http://localhost:${targetPort}/mcp` });
      const config = httpConfig('remote', `http://127.0.0.1:${port}/mcp`, { Authorization: 'Bearer ${X_TOKEN}' });
      const error = (await caught(() => snapshotServer(config, options({ X_TOKEN: 'tok' })))) as McpmError;
      expect(error.code).toBe('SERVER_PROTOCOL');
      expect(error.message).toContain('HTTP 307');
      expect(hits).toBe(0);
    } finally {
      await new Promise((resolve) => target.close(resolve));
    }
  });
});
