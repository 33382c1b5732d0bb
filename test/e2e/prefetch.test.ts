// The package of an npx server is fetched before the server is started: the download does not
// count against --timeout, shows on a terminal, and a registry that cannot be reached fails
// cleanly, with npm's own words, before any server runs.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { packFixture, startRegistry, type Published } from '../helpers/npm-registry.js';
import { spawnPty } from '../helpers/pty.js';
import { mcpm, tempProject } from './helpers.js';

const PKG = '@fixture/mcp-demo';
let pack: Published;

beforeAll(async () => {
  pack = await packFixture('mcp-demo', '1.0.0');
}, 60_000);

/** A project whose `.npmrc` points at `registry` (npm retries nothing: a refused connection fails at once). */
function project(registry: string, args: string[]): { dir: string; env: Record<string, string> } {
  const dir = tempProject();
  const cache = join(dir, '.npm-cache');
  mkdirSync(cache);
  writeFileSync(join(dir, '.npmrc'), `registry=${registry}\ncache=${cache}\nupdate-notifier=false\nfetch-retries=0\n`);
  writeFileSync(join(dir, '.mcp.json'), JSON.stringify({ mcpServers: { demo: { command: 'npx', args: ['-y', ...args] } } }));
  return { dir, env: { npm_config_registry: registry, npm_config_cache: cache } };
}

async function registryWithDemo(): Promise<string> {
  const r = await startRegistry();
  onTestFinished(() => r.close());
  r.publish(PKG, '1.0.0', pack);
  return r.url;
}

/** A URL where nothing listens: the port of a server that was closed again. */
async function deadRegistry(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return `http://127.0.0.1:${port}/`;
}

describe('fetching the package first', { timeout: 90_000 }, () => {
  it('a terminal shows the fetch; the server is started once, after it', async () => {
    const { dir, env } = project(await registryWithDemo(), [`${PKG}@1.0.0`, '--launch-log', 'launches.log']);
    const term = spawnPty(['install', '-C', dir], { env: { ...env, CI: 'false' }, killAfterMs: 80_000, waitMs: 70_000 });
    await term.waitFor(/demo\s+fetching @fixture\/mcp-demo@1\.0\.0\s+\d+\.\d s/);
    expect(await term.exited).toBe(0);
    expect(term.text()).toMatch(/locked\s+demo/);
    // The fetch ran `node -e 0`, not the server: one launch, by the snapshot.
    expect(readFileSync(join(dir, 'launches.log'), 'utf8')).toBe('1.0.0\n');
  });

  it('a registry that cannot be reached: SERVER_SPAWN_FAILED with npm\'s words, no server started', async () => {
    const { dir, env } = project(await deadRegistry(), [`${PKG}@1.0.0`, '--launch-log', 'launches.log']);
    const result = await mcpm(['install', '-C', dir, '--json'], { env, timeoutMs: 60_000 });
    expect(result.status).toBe(3);
    const { servers } = JSON.parse(result.stdout) as { servers: Array<{ error: { code: string; message: string; detail?: string; hint?: string } }> };
    expect(servers[0]!.error).toMatchObject({
      code: 'SERVER_SPAWN_FAILED',
      message: expect.stringMatching(/^server "demo": npx could not fetch @fixture\/mcp-demo@1\.0\.0 \(exit \d+\); the server was not started$/),
      detail: expect.stringContaining('ECONNREFUSED'),
      hint: expect.stringContaining('the network and the registry'),
    });
    expect(() => readFileSync(join(dir, 'launches.log'))).toThrow();
  });

  it('a server that does not answer after its package was fetched: the hint says the fetch did not count', async () => {
    const { dir, env } = project(await registryWithDemo(), [`${PKG}@1.0.0`, '--silent']);
    const result = await mcpm(['install', '-C', dir, '--json', '--timeout', '4000'], { env, timeoutMs: 60_000 });
    expect(result.status).toBe(3);
    const error = (JSON.parse(result.stdout) as { servers: Array<{ error: { code: string; hint: string } }> }).servers[0]!.error;
    expect(error.code).toBe('SERVER_TIMEOUT');
    expect(error.hint).toMatch(/^fetching @fixture\/mcp-demo@1\.0\.0 beforehand took \d+\.\d s and did not count: the server itself is slow to answer/);
  });
});
