// A server that echoes the API key it was given into what it shows: the copy must never reach
// mcp.lock, nor stdout or stderr, in any of the spellings a copy would take.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { mcpm, SERVERS, tempProject } from './helpers.js';

// A key with characters that percent-encoding and base64 change, as real keys have.
const KEY = 'sk-live_4f9b+2c/81e7d0a3=';

function reflectingProject(env: Record<string, string>): string {
  const dir = tempProject();
  const config = {
    mcpServers: {
      reflector: { command: process.execPath, args: [join(SERVERS, 'reflect-secret.mjs')], env: { API_KEY: '${REFLECTOR_KEY}', ...env } },
    },
  };
  writeFileSync(join(dir, '.mcp.json'), JSON.stringify(config, null, 2));
  return dir;
}

describe('a server that reflects a configured secret', () => {
  it.each([
    ['plain', 'version', '/serverInfo/version'],
    ['base64', 'description', '/tools/lookup/definition/description'],
    ['base64url', 'version', '/serverInfo/version'],
    ['hex', 'description', '/tools/lookup/definition/description'],
    ['url', 'version', '/serverInfo/version'],
    // Two copies: the one named is the first served (the lock orders keys, description before title).
    ['plain', 'title', '/tools/lookup/definition/title'],
  ])('is refused when it shows the key %s in its %s, naming the field and never the value', async (as, where, pointer) => {
    const dir = reflectingProject({ REFLECT_AS: as, REFLECT_IN: where });
    const run = (args: string[]) => mcpm([...args, '-C', dir], { env: { REFLECTOR_KEY: KEY } });
    const installed = await run(['install', '--json']);
    expect(installed.status, installed.stderr).toBe(3);
    const out = JSON.parse(installed.stdout) as { servers: { name: string; status: string; error: { code: string; message: string } }[] };
    expect(out.servers[0]).toMatchObject({ name: 'reflector', status: 'error', error: { code: 'SERVER_SECRET_REFLECTED' } });
    expect(out.servers[0]!.error.message).toContain(`"\${REFLECTOR_KEY}" in env "API_KEY"`);
    expect(out.servers[0]!.error.message).toContain(JSON.stringify(pointer));
    const lock = join(dir, 'mcp.lock');
    const written = existsSync(lock) ? readFileSync(lock, 'utf8') : '';
    expect(written).not.toContain('reflector');
    const diff = await run(['diff']);
    for (const text of [installed.stdout, installed.stderr, diff.stdout, diff.stderr, written]) {
      for (const spelling of [KEY, Buffer.from(KEY).toString('hex'), encodeURIComponent(KEY), Buffer.from(KEY).toString('base64').slice(0, 12)]) {
        expect(text.toLowerCase()).not.toContain(spelling.toLowerCase());
      }
    }
  });

  it('fails with its own words, the key left out: its error and its stderr are redacted where every report (text, --json, SARIF, telemetry) takes them', async () => {
    const dir = reflectingProject({ REFLECT_IN: 'error' });
    const run = (args: string[]) => mcpm([...args, '-C', dir], { env: { REFLECTOR_KEY: KEY } });
    const installed = await run(['install', '--json']);
    expect(installed.status, installed.stderr).toBe(3);
    const out = JSON.parse(installed.stdout) as { servers: { error: { code: string; message: string; detail?: string } }[] };
    expect(out.servers[0]!.error.message).toContain('invalid credentials build [redacted]');
    expect(out.servers[0]!.error.detail).toContain('upstream refused build [redacted]');
    const human = await run(['install']);
    expect(human.stdout + human.stderr).toContain('[redacted]');
    for (const text of [installed.stdout, installed.stderr, human.stdout, human.stderr]) {
      for (const spelling of [KEY, encodeURIComponent(KEY)]) expect(text).not.toContain(spelling);
    }
  });

  it('is locked as usual when the value is short or not a secret', async () => {
    const dir = reflectingProject({ REFLECT_IN: 'version' });
    const installed = await mcpm(['install', '-C', dir], { env: { REFLECTOR_KEY: 'v7' } });
    expect(installed.status, installed.stderr).toBe(0);
    expect(readFileSync(join(dir, 'mcp.lock'), 'utf8')).toContain('"version": "build v7"');
  });
});
