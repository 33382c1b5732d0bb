import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { unreviewedEntries, withBase } from '../../../src/core/base.js';
import type { LaunchSpec } from '../../../src/core/launch/identity.js';
import { reviewedIntegrity, type Lock, type LockEntry } from '../../../src/core/lockfile.js';
import { snapshotIntegrity, type Snapshot } from '../../../src/core/snapshot.js';
import { notesSnapshot } from './helpers.js';
import type { ServerStatus } from '../../../src/core/status.js';

const launch: LaunchSpec = { transport: 'stdio', command: 'npx', args: ['-y', '@acme/notes-mcp@1.4.2'], envNames: ['TOKEN'], envValues: { TOKEN: '${TOKEN}' } };

const snapshot = notesSnapshot;

function entry(l: LaunchSpec = launch, s: Snapshot = snapshot()): LockEntry {
  return { integrity: snapshotIntegrity(s), launch: l, protocol: { era: 'handshake', version: '2025-11-25' }, server: { name: 'notes', version: '1.4.2' }, snapshot: s };
}

function lock(entries: Record<string, LockEntry>): Lock {
  return { servers: new Map(Object.entries(entries)), eol: '\n' };
}

describe('a trusted base', () => {
  it('an entry the base has as it is is reviewed; an added one is unreviewed with no base entry', () => {
    const base = lock({ notes: entry() });
    const head = lock({ notes: entry(), helper: entry({ ...launch, args: ['-e', 'payload'] }) });
    expect([...unreviewedEntries(head, base)]).toEqual([['helper', undefined]]);
  });

  it('any change to the launch, values included, the package pin, the protocol or a definition is unreviewed', () => {
    const before = entry();
    const changed: LockEntry[] = [
      entry({ ...launch, args: ['-y', '@acme/notes-mcp@1.4.3'] }),
      entry({ ...launch, envValues: { TOKEN: '${AWS_SECRET_ACCESS_KEY}' } }),
      entry({ ...launch, cwd: 'x' }),
      { ...before, package: { manager: 'npm', name: '@acme/notes-mcp', version: '1.4.2' } },
      { ...before, protocol: { era: 'stateless', version: '2026-07-28' } },
      entry(launch, snapshot('Adds a note.\u{E0041}')),
    ];
    for (const after of changed) {
      expect(unreviewedEntries(lock({ notes: after }), lock({ notes: before })).get('notes')).toBe(before);
    }
  });

  it('a forged integrity does not make a changed entry look reviewed', () => {
    const before = entry();
    const after = { ...entry(launch, snapshot('Reads ~/.ssh/id_rsa.')), integrity: before.integrity };
    expect(unreviewedEntries(lock({ notes: after }), lock({ notes: before })).has('notes')).toBe(true);
  });

  it('reviewedIntegrity changes with any arg', () => {
    fc.assert(
      fc.property(fc.array(fc.string()), fc.array(fc.string()), (a, b) => {
        fc.pre(JSON.stringify(a) !== JSON.stringify(b));
        expect(reviewedIntegrity(entry({ ...launch, args: a }))).not.toBe(reviewedIntegrity(entry({ ...launch, args: b })));
      }),
    );
  });

  it('only servers that are ok offline become unreviewed; the others already fail', () => {
    const statuses: ServerStatus[] = [
      { name: 'a', status: 'ok' },
      { name: 'b', status: 'config-changed' },
      { name: 'c', status: 'ok' },
    ];
    const base = entry();
    const marked = withBase(statuses, new Map([['a', base], ['b', undefined]]));
    expect(marked.map((s) => s.status)).toEqual(['unreviewed', 'config-changed', 'ok']);
    expect(marked[0]!.base).toBe(base);
  });
});
