// The review half that approve and update share, with `--yes` as the decision: real files in a
// temp dir, the lock read back with the real parser. No server is started here, which is the point:
// the caller hands over the snapshots it took.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { reviewAndLock, reviewSourceOf, type Reviewed } from '../../../src/app/review-and-lock.js';
import type { JsonValue } from '../../../src/core/json-strict.js';
import type { LaunchSpec } from '../../../src/core/launch/identity.js';
import { emptyLock, parseLock, serializeLock, type LockEntry, type PackagePin } from '../../../src/core/lockfile.js';
import { buildSnapshot, snapshotIntegrity, type Snapshot } from '../../../src/core/snapshot.js';
import type { Deps } from '../../../src/deps.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function snap(description: string): Snapshot {
  return buildSnapshot('demo', {
    era: 'handshake',
    protocolVersion: '2025-11-25',
    serverInfo: { name: 'demo', version: '1' },
    capabilities: { tools: {} },
    lists: { tools: [{ name: 'echo', description, inputSchema: { type: 'object' } } as JsonValue], prompts: null, resources: null, resourceTemplates: null },
  });
}

const npx = (version: string): LaunchSpec => ({ transport: 'stdio', command: 'npx', args: ['-y', `@acme/demo@${version}`], envNames: [] });
const pin = (version: string): PackagePin => ({ manager: 'npm', name: '@acme/demo', version, integrity: `sha512-${version}` });

function entry(snapshot: Snapshot, version: string): LockEntry {
  return { integrity: snapshotIntegrity(snapshot), launch: npx(version), package: pin(version), protocol: { era: 'handshake', version: '2025-11-25' }, server: { name: 'demo', version: '1' }, snapshot };
}

function project(locked: LockEntry | undefined) {
  const dir = mkdtempSync(join(tmpdir(), 'mcpm-review-'));
  dirs.push(dir);
  writeFileSync(join(dir, '.mcp.json'), `${JSON.stringify({ mcpServers: { demo: { command: 'npx', args: ['-y', '@acme/demo@1.0.0'] } } }, null, 2)}\n`);
  const lock = emptyLock();
  if (locked) lock.servers.set('demo', locked);
  writeFileSync(join(dir, 'mcp.lock'), serializeLock(lock));
  return {
    project: { dir, configFiles: ['.mcp.json'], lockFile: join(dir, 'mcp.lock'), lockLabel: 'mcp.lock' },
    config: () => readFileSync(join(dir, '.mcp.json'), 'utf8'),
    lockText: () => readFileSync(join(dir, 'mcp.lock'), 'utf8'),
    lock: () => parseLock(readFileSync(join(dir, 'mcp.lock'), 'utf8'), 'mcp.lock'),
  };
}

function deps(dir: string): Deps {
  const sink = { write: () => undefined, isTTY: false };
  return { cwd: dir, env: {}, stdout: sink, stderr: sink, stdinIsTTY: false, now: () => new Date(0), signal: new AbortController().signal };
}

/** update's review of @acme/demo 1.0.0 → 1.0.1, which serves `live`. */
function updateTo101(locked: LockEntry, live: Snapshot): Reviewed {
  return {
    source: reviewSourceOf({ name: 'demo', status: 'config-changed', launch: npx('1.0.1'), locked }, live, new Map()),
    era: 'handshake',
    protocolVersion: '2025-11-25',
    newLaunch: { package: pin('1.0.1'), edits: [{ server: 'demo', argIndex: 1, from: '@acme/demo@1.0.0', to: '@acme/demo@1.0.1' }] },
  };
}

describe('reviewAndLock', () => {
  it('writes the snapshot it was given with the new launch, its package pin and the config edit, together', async () => {
    const locked = entry(snap('Echoes.'), '1.0.0');
    const p = project(locked);
    const live = snap('Echoes the text.');
    const result = await reviewAndLock(p.project, [updateTo101(locked, live)], { yes: true }, deps(p.project.dir));
    expect(result?.outcomes.map((o) => o.result)).toEqual(['approved']);
    expect(result).toMatchObject({ lockWritten: true, configs: ['.mcp.json'] });
    expect(result?.outcomes[0]?.integrity).toBe(snapshotIntegrity(live));
    const written = p.lock().servers.get('demo')!;
    expect(written).toMatchObject({ integrity: snapshotIntegrity(live), launch: npx('1.0.1'), package: pin('1.0.1') });
    expect(p.config()).toContain('"@acme/demo@1.0.1"');
  });

  it('writes nothing, config or lock, when the entry changed on disk since it was read (a conflict)', async () => {
    const locked = entry(snap('Echoes.'), '1.0.0');
    const p = project(locked);
    const meanwhile = emptyLock();
    meanwhile.servers.set('demo', entry(snap('Echoes, approved elsewhere.'), '1.0.0'));
    writeFileSync(p.project.lockFile, serializeLock(meanwhile));
    const [configBefore, lockBefore] = [p.config(), p.lockText()];
    const result = await reviewAndLock(p.project, [updateTo101(locked, snap('Echoes the text.'))], { yes: true }, deps(p.project.dir));
    expect(result?.outcomes.map((o) => o.result)).toEqual(['conflict']);
    expect(result?.outcomes[0]?.integrity).toBeUndefined();
    expect(result).toMatchObject({ lockWritten: false, configs: [] });
    expect([p.config(), p.lockText()]).toEqual([configBefore, lockBefore]);
  });

  it('a new server that another mcpm locked meanwhile is a conflict, not overwritten', async () => {
    const p = project(undefined);
    const theirs = entry(snap('Theirs.'), '1.0.0');
    const meanwhile = emptyLock();
    meanwhile.servers.set('demo', theirs);
    writeFileSync(p.project.lockFile, serializeLock(meanwhile));
    const reviewed: Reviewed = {
      source: reviewSourceOf({ name: 'demo', status: 'new', launch: npx('1.0.0'), locked: undefined }, snap('Ours.'), new Map()),
      era: 'handshake',
      protocolVersion: '2025-11-25',
    };
    const result = await reviewAndLock(p.project, [reviewed], { yes: true }, deps(p.project.dir));
    expect(result?.outcomes.map((o) => o.result)).toEqual(['conflict']);
    expect(p.lock().servers.get('demo')?.integrity).toBe(theirs.integrity);
  });

  it('holds an update with high findings under --yes, writing nothing, until acceptHigh is given', async () => {
    const locked = entry(snap('Echoes.'), '1.0.0');
    const p = project(locked);
    const before = { config: p.config(), lock: p.lockText() };
    // A right-to-left override in the new description: a high finding.
    const hostile = updateTo101(locked, snap('Echoes.\u202E'));
    expect(hostile.source.findings.some((f) => f.severity === 'high')).toBe(true);
    const held = await reviewAndLock(p.project, [hostile], { yes: true }, deps(p.project.dir));
    expect(held?.outcomes.map((o) => o.result)).toEqual(['held']);
    expect(held?.lockWritten).toBe(false);
    expect({ config: p.config(), lock: p.lockText() }).toEqual(before);
    const accepted = await reviewAndLock(p.project, [hostile], { yes: true, acceptHigh: true }, deps(p.project.dir));
    expect(accepted?.outcomes.map((o) => o.result)).toEqual(['approved']);
    expect(p.lock().servers.get('demo')?.package?.version).toBe('1.0.1');
  });

  it('has nothing to decide for no servers, and writes nothing', async () => {
    const p = project(undefined);
    const before = p.lockText();
    expect(await reviewAndLock(p.project, [], { yes: true }, deps(p.project.dir))).toEqual({ outcomes: [], lockWritten: false, configs: [] });
    expect(p.lockText()).toBe(before);
  });
});
