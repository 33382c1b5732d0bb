// A tiny npm registry on 127.0.0.1 for tests that must not reach the internet: it serves
// packuments (`GET /<name>`, scoped names as `@scope%2fname` or `@scope/name`) and tarballs
// (`GET /<name>/-/<file>.tgz`). Tests publish versions, move dist-tags and re-publish a version with
// other bytes, then point `npm_config_registry` (or a project `.npmrc`) at `registry.url`.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';

export const PACKAGES = resolve(import.meta.dirname, '..', 'fixtures', 'packages');

export interface Published {
  tarball: Buffer;
  /** `sha512-<base64>` of the tarball bytes, as npm computes it. */
  integrity: string;
  /** The `bin` of its package.json, copied into the packument as npm's registry does. */
  bin?: Record<string, string>;
}

export interface FixtureRegistry {
  /** `http://127.0.0.1:<port>/` */
  url: string;
  /** Adds or replaces `name@version`; moves `latest` to it unless `tag` says otherwise (null: no tag). */
  publish(name: string, version: string, published: Published, tag?: string | null): void;
  setTag(name: string, tag: string, version: string): void;
  /** Every request path served, in order (tests assert that an offline command asked nothing). */
  readonly requests: string[];
  close(): Promise<void>;
}

interface PackageState {
  versions: Map<string, Published>;
  tags: Map<string, string>;
}

export async function startRegistry(): Promise<FixtureRegistry> {
  const packages = new Map<string, PackageState>();
  const requests: string[] = [];
  let url = '';

  const packument = (name: string, state: PackageState) => {
    const versions: Record<string, unknown> = {};
    for (const [version, { integrity, bin }] of state.versions) {
      const file = `${name.split('/').pop()}-${version}.tgz`;
      versions[version] = {
        name,
        version,
        ...(bin ? { bin } : {}),
        dist: {
          integrity,
          shasum: '0'.repeat(40),
          tarball: `${url}${name}/-/${file}`,
        },
      };
    }
    return { name, 'dist-tags': Object.fromEntries(state.tags), versions };
  };

  const server: Server = createServer((req, res) => {
    const path = decodeURIComponent((req.url ?? '/').split('?')[0]!);
    requests.push(path);
    const tarball = /^\/(.+)\/-\/(.+)-(\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?)\.tgz$/.exec(path);
    if (tarball) {
      const found = packages.get(tarball[1]!)?.versions.get(tarball[3]!);
      if (!found) return notFound(res);
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': found.tarball.length });
      res.end(found.tarball);
      return;
    }
    const name = path.slice(1);
    const state = packages.get(name);
    if (!state) return notFound(res);
    const body = JSON.stringify(packument(name, state));
    res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-cache' });
    res.end(body);
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;

  return {
    url,
    requests,
    publish(name, version, published, tag = 'latest') {
      let state = packages.get(name);
      if (!state) packages.set(name, (state = { versions: new Map(), tags: new Map() }));
      state.versions.set(version, published);
      if (tag !== null) state.tags.set(tag, version);
    },
    setTag(name, tag, version) {
      packages.get(name)?.tags.set(tag, version);
    },
    close: () =>
      new Promise<void>((done) => {
        server.closeAllConnections();
        server.close(() => done());
      }),
  };
}

function notFound(res: import('node:http').ServerResponse): void {
  res.writeHead(404, { 'content-type': 'application/json' });
  res.end('{"error":"Not found"}');
}

const run = promisify(execFile);

/**
 * `npm pack` of the fixture package `test/fixtures/packages/<dir>` with `version` written into its
 * package.json; `variant` appends a comment to server.mjs, so the same version can be re-published
 * with other bytes (and another integrity) while serving identical definitions.
 */
export async function packFixture(dir: string, version: string, variant?: string): Promise<Published> {
  const work = mkdtempSync(join(tmpdir(), 'mcpm-pack-'));
  try {
    const src = join(work, 'pkg');
    cpSync(join(PACKAGES, dir), src, { recursive: true });
    const manifest = JSON.parse(readFileSync(join(src, 'package.json'), 'utf8')) as Record<string, unknown>;
    writeFileSync(join(src, 'package.json'), `${JSON.stringify({ ...manifest, version }, null, 2)}\n`);
    if (variant !== undefined) writeFileSync(join(src, 'server.mjs'), `${readFileSync(join(src, 'server.mjs'), 'utf8')}// ${variant}\n`);
    const { stdout } = await run('npm', ['pack', '--json', '--pack-destination', work], {
      cwd: src,
      env: { ...process.env, npm_config_cache: join(work, 'cache'), npm_config_loglevel: 'silent' },
    });
    const [info] = JSON.parse(stdout) as [{ filename: string; integrity: string }];
    const tarball = readFileSync(join(work, info.filename));
    const integrity = `sha512-${createHash('sha512').update(tarball).digest('base64')}`;
    if (integrity !== info.integrity) throw new Error(`npm pack reported ${info.integrity}, the file hashes to ${integrity}`);
    const bin = manifest.bin as Record<string, string> | undefined;
    return { tarball, integrity, ...(bin ? { bin } : {}) };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
