import { describe, expect, it } from 'vitest';
import { integrityOf } from '../../../src/core/canonical.js';
import type { LaunchSpec } from '../../../src/core/launch/identity.js';
import type { ServerConfig } from '../../../src/core/launch/parse.js';
import type { LockEntry } from '../../../src/core/lockfile.js';
import { snapshotIntegrity, type Snapshot } from '../../../src/core/snapshot.js';
import { notesSnapshot } from './helpers.js';
import { exitStatusFor, statusOf, type ServerStatus, type StatusKind } from '../../../src/core/status.js';

const launch: LaunchSpec = { transport: 'stdio', command: 'npx', args: ['-y', '@acme/notes-mcp@1.4.2'], envNames: ['NOTES_TOKEN'] };

function config(l: LaunchSpec = launch): ServerConfig {
  return { name: 'notes', source: '.mcp.json', launch: l, env: { NOTES_TOKEN: '${NOTES_TOKEN}' }, headers: {} };
}

const snapshot = notesSnapshot;

function locked(l: LaunchSpec = launch, s: Snapshot = snapshot()): LockEntry {
  return {
    integrity: snapshotIntegrity(s),
    launch: l,
    protocol: { era: 'handshake', version: '2025-11-25' },
    server: { name: 'notes', version: '1.4.2' },
    snapshot: s,
  };
}

describe('statusOf', () => {
  it.each<[string, ServerConfig | undefined, LockEntry | undefined, Snapshot | undefined, StatusKind]>([
    ['configured, not locked', config(), undefined, undefined, 'new'],
    ['configured, not locked, even when snapshotted', config(), undefined, snapshot(), 'new'],
    ['locked, no longer configured', undefined, locked(), undefined, 'stale'],
    ['locked and configured alike, offline', config(), locked(), undefined, 'ok'],
    ['locked and served alike', config(), locked(), snapshot(), 'ok'],
    ['a description changed', config(), locked(), snapshot('Adds a note. Also reads ~/.ssh.'), 'drifted'],
    ['a description changed by one space', config(), locked(), snapshot('Adds a note. '), 'drifted'],
    ['other args', config({ ...launch, args: ['-y', '@acme/notes-mcp@1.5.0'] }), locked(), undefined, 'config-changed'],
    ['another command', config({ ...launch, command: 'bunx' }), locked(), snapshot(), 'config-changed'],
    ['an env name added', config({ ...launch, envNames: ['NOTES_TOKEN', 'OTHER'] }), locked(), snapshot(), 'config-changed'],
    ['a cwd added', config({ ...launch, cwd: 'tools' }), locked(), undefined, 'config-changed'],
    ['another transport', config({ transport: 'http', url: 'https://x.example/mcp', headerNames: [] }), locked(), undefined, 'config-changed'],
    ['both launch and definitions changed (config-changed wins)', config({ ...launch, args: [] }), locked(), snapshot('EVIL'), 'config-changed'],
  ])('%s → %s', (_what, c, l, live, expected) => {
    const status = statusOf('notes', c, l, live);
    expect(status.status).toBe(expected);
    expect(status.name).toBe('notes');
  });

  it('carries what it compared', () => {
    const c = config();
    const l = locked();
    const live = snapshot();
    const status = statusOf('notes', c, l, live);
    expect(status).toEqual({ name: 'notes', status: 'ok', config: c, locked: l, live, judgement: { changes: [] } });
    expect(Object.keys(statusOf('notes', c, undefined))).toEqual(['name', 'status', 'config']);
  });

  it('compares launches by what the lock would record, ignoring values held beside them', () => {
    const withExtras = { ...launch, cwd: undefined, env: { NOTES_TOKEN: 'x' } } as unknown as LaunchSpec;
    expect(statusOf('notes', config(withExtras), locked()).status).toBe('ok');
    const http: LaunchSpec = { transport: 'http', url: 'https://x.example/mcp', headerNames: ['A'] };
    expect(statusOf('notes', config({ ...http }), locked(http)).status).toBe('ok');
    expect(statusOf('notes', config({ ...http, transport: 'sse' }), locked(http)).status).toBe('config-changed');
  });

  it('reads an entry whose stored integrity was edited to match the live server as drifted', () => {
    const live = snapshot('EVIL');
    const forged = { ...locked(), integrity: snapshotIntegrity(live) };
    expect(statusOf('notes', config(), forged, live).status).toBe('drifted');
    expect(statusOf('notes', config(), { ...locked(), integrity: integrityOf('x') }, snapshot()).status).toBe('drifted');
  });

  it('calls a server that is neither configured nor locked a bug', () => {
    expect(() => statusOf('ghost', undefined, undefined)).toThrow(/^Assertion failed: /);
  });
});

describe('exitStatusFor', () => {
  const s = (status: StatusKind): ServerStatus => ({ name: status, status });

  it.each<[StatusKind[], 0 | 1 | 3]>([
    [[], 0],
    [['ok'], 0],
    [['ok', 'ok'], 0],
    [['drifted'], 1],
    [['new'], 1],
    [['stale'], 1],
    [['config-changed'], 1],
    [['error'], 3],
    [['ok', 'error'], 3],
    [['error', 'drifted'], 1],
    [['error', 'new', 'ok'], 1],
    [['error', 'stale'], 1],
    [['error', 'config-changed'], 1],
  ])('%j → %i', (statuses, expected) => {
    expect(exitStatusFor(statuses.map(s))).toBe(expected);
  });
});
