// npm pins against a local registry (test/helpers/npm-registry.ts): only packuments matter for
// `npm view`, so the tarballs here are placeholders with made-up integrities.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PinResolveError, npmVersions, resolveNpmVersion, resolvePin, type NpmOptions } from '../../../../src/adapters/pins/index.js';
import { parseCommandLine } from '../../../../src/core/package-spec.js';
import { startRegistry, type FixtureRegistry } from '../../../helpers/npm-registry.js';

const PKG = '@fixture/mcp-demo';
const integrity = (v: string) => `sha512-${Buffer.from(`tarball ${v}`).toString('base64')}`;
let registry: FixtureRegistry;
let work = '';

/** mcpm's environment (its npm settings are not npm view's: see npmEnv). */
function cleanEnv(extra: Record<string, string> = {}): Record<string, string | undefined> {
  return { ...process.env, ...extra };
}

/** The registry and cache as the server's own env sets them, which its npx gets. */
function options(extra: Record<string, string> = {}, cwd = work): NpmOptions {
  return { cwd, env: cleanEnv(), serverEnv: { npm_config_cache: join(work, 'cache'), npm_config_registry: registry.url, ...extra }, timeoutMs: 20_000 };
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'mcpm-npm-'));
  registry = await startRegistry();
  for (const v of ['1.0.0', '1.0.1', '1.1.0', '2.0.0', '2.1.0-beta.1']) {
    registry.publish(PKG, v, { tarball: Buffer.from(`tarball ${v}`), integrity: integrity(v) }, null);
  }
  registry.setTag(PKG, 'latest', '1.1.0');
  registry.setTag(PKG, 'next', '2.1.0-beta.1');
});

afterAll(async () => {
  await registry.close();
  rmSync(work, { recursive: true, force: true });
});

describe('resolveNpmVersion', () => {
  it.each([
    ['an exact version', '1.0.1', '1.0.1'],
    ['no spec: the latest dist-tag', undefined, '1.1.0'],
    ['a dist-tag', 'next', '2.1.0-beta.1'],
    ['a range that latest satisfies: latest, as npm picks it', '^1.0.0', '1.1.0'],
    ['a range latest is outside of: the highest match', '~1.0.0', '1.0.1'],
    ['a range above latest', '>=2', '2.0.0'],
  ])('%s', async (_label, spec, version) => {
    expect(await resolveNpmVersion(PKG, spec, options())).toEqual({ version, integrity: integrity(version) });
  });

  it('not found: an unknown package, a range nothing matches', async () => {
    for (const [name, spec] of [['@fixture/nope', undefined], [PKG, '^9']] as const) {
      const error = await resolveNpmVersion(name, spec, options()).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(PinResolveError);
      expect(error).toMatchObject({ kind: 'not-found', message: expect.stringContaining('E404') });
    }
  });

  it('a registry that does not answer is a failure, not "not found"', async () => {
    const down = await startRegistry();
    await down.close();
    const error = await resolveNpmVersion(PKG, '1.0.0', { ...options({ npm_config_registry: down.url, npm_config_fetch_retries: '0' }) }).catch((e: unknown) => e);
    expect(error).toMatchObject({ kind: 'failed' });
  });

  it("honours the project's .npmrc, as the npx that launches the server does", async () => {
    const projectDir = mkdtempSync(join(work, 'project-'));
    writeFileSync(join(projectDir, '.npmrc'), `registry=${registry.url}\ncache=${join(work, 'cache')}\n`);
    const resolved = await resolveNpmVersion(PKG, '1.0.0', { cwd: projectDir, env: cleanEnv(), timeoutMs: 20_000 });
    expect(resolved.version).toBe('1.0.0');
  });

  it("leaves out npm's settings in mcpm's environment, which the server's npx does not get (a CI's registry), and takes the server's own", async () => {
    const other = await startRegistry();
    other.publish(PKG, '1.0.0', { tarball: Buffer.from('other bytes'), integrity: integrity('other') }, null);
    const projectDir = mkdtempSync(join(work, 'project-'));
    writeFileSync(join(projectDir, '.npmrc'), `registry=${registry.url}\ncache=${join(work, 'cache')}\n`);
    try {
      const ci = cleanEnv({ npm_config_registry: other.url, NPM_CONFIG_REGISTRY: other.url });
      expect(await resolveNpmVersion(PKG, '1.0.0', { cwd: projectDir, env: ci, timeoutMs: 20_000 })).toEqual({ version: '1.0.0', integrity: integrity('1.0.0') });
      // The server's env names a registry: its npx fetches from there, and so is the pin checked.
      const own = { npm_config_registry: other.url };
      expect(await resolveNpmVersion(PKG, '1.0.0', { cwd: projectDir, env: ci, serverEnv: own, timeoutMs: 20_000 })).toEqual({ version: '1.0.0', integrity: integrity('other') });
    } finally {
      await other.close();
    }
  });
});

describe('npmVersions', () => {
  it('lists every version and the latest tag', async () => {
    expect(await npmVersions(PKG, options())).toEqual({ versions: ['1.0.0', '1.0.1', '1.1.0', '2.0.0', '2.1.0-beta.1'], latest: '1.1.0' });
  });
});

describe('resolvePin', () => {
  const spec = (line: string) => {
    const [command, ...args] = line.split(' ');
    return parseCommandLine(command!, args);
  };

  it('npm: the exact version and integrity, with a warning when the launch floats', async () => {
    expect(await resolvePin(spec(`npx -y ${PKG}@1.0.0`), options())).toEqual({ pin: { manager: 'npm', name: PKG, version: '1.0.0', integrity: integrity('1.0.0') } });
    const floating = await resolvePin(spec(`npx -y ${PKG}`), options());
    expect(floating.pin).toMatchObject({ version: '1.1.0' });
    expect(floating.warning).toMatch(/has no version.*locked @fixture\/mcp-demo@1\.1\.0/);
  });

  it('npm: a failed lookup is a warning and no pin', async () => {
    expect(await resolvePin(spec('npx -y @fixture/nope'), options())).toEqual({ warning: expect.stringMatching(/^package not pinned: npm view @fixture\/nope@latest: E404/) });
  });

  it('PyPI, Docker and local files need no registry', async () => {
    const offline = { cwd: work, env: {}, timeoutMs: 1 };
    expect(await resolvePin(spec('uvx mcp-server-time@0.6.2'), offline)).toEqual({ pin: { manager: 'pypi', name: 'mcp-server-time', version: '0.6.2' } });
    expect(await resolvePin(spec('uvx mcp-server-time'), offline)).toEqual({ pin: { manager: 'pypi', name: 'mcp-server-time' }, warning: expect.stringContaining('has no version') });
    const digest = `sha256:${'0'.repeat(64)}`;
    expect(await resolvePin(spec(`docker run -i ghcr.io/a/b:1@${digest}`), offline)).toEqual({ pin: { manager: 'docker', name: 'ghcr.io/a/b', version: '1', integrity: digest } });
    expect((await resolvePin(spec('docker run -i ghcr.io/a/b:1'), offline)).warning).toContain('docker buildx imagetools inspect ghcr.io/a/b:1');
    expect(await resolvePin(spec('node ./server.js'), offline)).toEqual({});
    expect(await resolvePin(null, offline)).toEqual({});
  });
});
