// The official reference servers, spawned for real: the adapter must snapshot each one, over stdio
// and (server-everything) over Streamable HTTP.
import type { ChildProcess } from 'node:child_process';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { snapshotServer, type SnapshotOptions } from '../../../src/adapters/mcp-client.js';
import type { RawListing } from '../../../src/core/snapshot.js';
import { freePort, startEverythingHttp, stopChild } from '../../helpers/reference-http.js';
import { httpConfig, makeTempDir, mcpmEnv, referenceServer, removeDir, stdioConfig } from './helpers.js';

let dir: string;
beforeEach(() => {
  dir = makeTempDir();
});
afterEach(() => removeDir(dir));

function options(): SnapshotOptions {
  return { timeoutMs: 20_000, env: mcpmEnv(), projectDir: dir };
}

function names(listing: RawListing, kind: 'tools' | 'prompts' | 'resources' | 'resourceTemplates'): string[] {
  return (listing.lists[kind] ?? []).map((item) => (item as { name: string }).name);
}

describe('reference servers over stdio', () => {
  it('server-everything: tools, prompts, resources, templates', async () => {
    const started = Date.now();
    const listing = await snapshotServer(stdioConfig('everything', referenceServer('server-everything'), {}, ['stdio']), options());
    const elapsed = Date.now() - started;
    expect(listing.era).toBe('handshake');
    expect(listing.protocolVersion).toBe('2025-11-25');
    expect((listing.serverInfo as { name: string }).name).toMatch(/everything/);
    expect(names(listing, 'tools')).toContain('echo');
    expect(names(listing, 'prompts').length).toBeGreaterThan(0);
    expect(listing.lists.resources!.length).toBeGreaterThan(0);
    expect(listing.lists.resourceTemplates!.length).toBeGreaterThan(0);
    expect(typeof listing.instructions).toBe('string');
    console.log(`server-everything over stdio: ${elapsed} ms`);
  });

  it('server-memory', async () => {
    const listing = await snapshotServer(
      stdioConfig('memory', referenceServer('server-memory'), { MEMORY_FILE_PATH: `${dir}/memory.jsonl` }),
      options(),
    );
    expect(names(listing, 'tools')).toContain('create_entities');
  });

  it('server-filesystem, given a directory', async () => {
    const listing = await snapshotServer(stdioConfig('fs', referenceServer('server-filesystem'), {}, [dir]), options());
    expect(names(listing, 'tools')).toContain('read_text_file');
  });

  it('server-sequential-thinking', async () => {
    const listing = await snapshotServer(stdioConfig('think', referenceServer('server-sequential-thinking')), options());
    expect(names(listing, 'tools')).toEqual(['sequentialthinking']);
  });
});

describe('reference servers over HTTP', () => {
  let child: ChildProcess | undefined;
  afterEach(async () => {
    await stopChild(child);
    child = undefined;
  });

  it('server-everything over Streamable HTTP', async () => {
    const port = await freePort();
    child = await startEverythingHttp(port);
    const listing = await snapshotServer(httpConfig('everything-http', `http://127.0.0.1:${port}/mcp`), options());
    expect(listing.era).toBe('handshake');
    expect(names(listing, 'tools')).toContain('echo');
    expect(listing.lists.resources!.length).toBeGreaterThan(0);
  });
});
