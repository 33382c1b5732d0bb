import { describe, expect, it } from 'vitest';
import { lockMatchers, managedSettingsFor, projectSettingsFor } from '../../../src/core/host-allowlist.js';
import type { LaunchSpec } from '../../../src/core/launch/identity.js';
import type { Lock, LockEntry } from '../../../src/core/lockfile.js';

// Only the launches are read: the rest of an entry does not reach a host's allow-list.
const lockOf = (launches: Record<string, LaunchSpec>): Lock => ({
  eol: '\n',
  servers: new Map(Object.entries(launches).map(([name, launch]) => [name, { launch } as LockEntry])),
});

describe('host allow-lists from a lock', () => {
  const lock = lockOf({
    zeta: { transport: 'http', url: 'https://mcp.acme.example/notes', headerNames: ['Authorization'] },
    alpha: { transport: 'stdio', command: 'npx', args: ['-y', '@acme/notes@1.4.2'], envNames: ['TOKEN'] },
    beta: { transport: 'stdio', command: 'npx', args: ['-y', '@acme/notes@1.4.2'], envNames: [] },
  });
  it('one matcher per distinct launch, in name order: the exact command array, or the URL', () => {
    expect(lockMatchers(lock)).toEqual([{ serverCommand: ['npx', '-y', '@acme/notes@1.4.2'] }, { serverUrl: 'https://mcp.acme.example/notes' }]);
  });
  it('claude-code makes it the only allow-list; copilot has no such key', () => {
    expect(managedSettingsFor('claude-code', lock)).toMatchObject({ allowManagedMcpServersOnly: true });
    expect(Object.keys(managedSettingsFor('copilot', lock))).toEqual(['allowedMcpServers']);
  });
  it('an empty lock allows nothing, rather than everything', () => {
    expect(managedSettingsFor('copilot', lockOf({}))).toEqual({ allowedMcpServers: [] });
  });
  it('enabledMcpjsonServers names only locked servers of .mcp.json', () => {
    expect(projectSettingsFor(lock, new Set(['beta', 'zeta', 'unlocked']))).toEqual({ enabledMcpjsonServers: ['beta', 'zeta'] });
  });
});
