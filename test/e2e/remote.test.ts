// A remote server in the config (`url`): the reference server-everything over Streamable HTTP on
// a loopback port, locked and verified through the real CLI; header values never reach the lock.
import { type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort, startEverythingHttp, stopChild } from '../helpers/reference-http.js';
import { mcpm, tempProject } from './helpers.js';

let server: ChildProcess | undefined;
afterEach(() => stopChild(server));

describe('remote servers', () => {
  it('locks and verifies server-everything over Streamable HTTP; header values stay out of the lock', async () => {
    const port = await freePort();
    server = await startEverythingHttp(port);
    const dir = tempProject();
    writeFileSync(
      join(dir, '.mcp.json'),
      JSON.stringify({
        mcpServers: {
          remote: { type: 'http', url: `http://127.0.0.1:${port}/mcp`, headers: { Authorization: 'Bearer ${DEMO_TOKEN}' } },
        },
      }),
    );
    const env = { DEMO_TOKEN: 'secret-value-that-must-not-be-written' };
    const installed = await mcpm(['install', '-C', dir, '--json'], { env });
    expect(installed.status).toBe(0);
    const lock = readFileSync(join(dir, 'mcp.lock'), 'utf8');
    expect(lock).not.toContain('secret-value');
    expect(lock).not.toContain('Bearer');
    const entry = JSON.parse(lock).servers.remote;
    // "Bearer ${DEMO_TOKEN}" has literal text, so it is bound as a salted hash, not written.
    expect(entry.launch).toEqual({
      headerNames: ['Authorization'],
      headerValues: { Authorization: expect.stringMatching(/^scrypt:[\w-]{22}:[\w-]{43}$/) },
      transport: 'http',
      url: `http://127.0.0.1:${port}/mcp`,
    });
    expect(Object.keys(entry.snapshot.tools).length).toBeGreaterThan(5);
    expect((await mcpm(['verify', '-C', dir], { env })).status).toBe(0);
  });
});
