// bindValues with the values found to match before (adapters/value-matches.ts): a server whose
// values were all found to hash to the lock's digests is bound without hashing them again, and
// anything else is hashed, compared as always, and kept only when it matches.
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ValueMatches } from '../../../src/adapters/value-matches.js';
import { bindValues } from '../../../src/app/project.js';
import { valueDigest } from '../../../src/core/canonical.js';
import { launchDifference, type LaunchSpec } from '../../../src/core/launch/identity.js';
import type { ServerConfig } from '../../../src/core/launch/parse.js';
import { hashedForm } from '../../../src/core/launch/values.js';

let dir: string;
let matches: () => ValueMatches;
beforeEach(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'mcpm-bind-values-'));
  matches = () => new ValueMatches({ env: { XDG_CACHE_HOME: path.join(dir, 'cache'), XDG_STATE_HOME: path.join(dir, 'state') }, platform: process.platform });
});
afterEach(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

const salts = { API_KEY: 'QUFBQUFBQUFBQUFBQUFBQQ', MODE: 'QkJCQkJCQkJCQkJCQkJCQg' };

function server(env: Record<string, string>): ServerConfig {
  return { name: 'notes', source: '.mcp.json', launch: { transport: 'stdio', command: 'node', args: ['s.js'], envNames: Object.keys(env).sort() }, env, headers: {} };
}

/** The lock's launch for `values` (the digests of those values unless `digests` says otherwise), with a reference beside them. */
async function lockedLaunch(values: { API_KEY: string; MODE: string }, digests: Partial<Record<keyof typeof salts, string>> = {}): Promise<LaunchSpec> {
  const stored = async (name: keyof typeof salts) => hashedForm(salts[name], digests[name] ?? (await valueDigest(values[name], salts[name])));
  return { transport: 'stdio', command: 'node', args: ['s.js'], envNames: ['API_KEY', 'MODE', 'TOKEN'], envValues: { API_KEY: await stored('API_KEY'), MODE: await stored('MODE'), TOKEN: '${TOKEN}' } };
}

/** The launch bindValues gives the config `env`, against `locked`. */
async function bound(env: Record<string, string>, locked: LaunchSpec, using: ValueMatches | undefined): Promise<LaunchSpec> {
  const servers = new Map([['notes', server({ ...env, TOKEN: '${TOKEN}' })]]);
  await bindValues(servers, new Map([['notes', locked]]), { matches: using });
  return servers.get('notes')!.launch;
}

const values = { API_KEY: 'sk-live-0123456789', MODE: 'fast' };

describe('bindValues with the values found to match before', () => {
  it('values that hash to the lock are kept as found; the next run binds them the same, and another value of the same length is still a change', async () => {
    const locked = await lockedLaunch(values);
    expect(launchDifference(locked, await bound(values, locked, matches()))).toBeUndefined();
    expect(matches().has([
      { salt: salts.API_KEY, digest: locked.transport === 'stdio' ? locked.envValues!.API_KEY!.split(':')[2]! : '', value: values.API_KEY },
      { salt: salts.MODE, digest: locked.transport === 'stdio' ? locked.envValues!.MODE!.split(':')[2]! : '', value: values.MODE },
    ])).toBe(true);
    expect(launchDifference(locked, await bound(values, locked, matches()))).toBeUndefined();
    expect(launchDifference(locked, await bound({ ...values, API_KEY: 'sk-live-0123456780' }, locked, matches()))).toBe('the env values ("API_KEY")');
  });

  it('a server found before is bound to the lock without hashing: a finding kept for a digest its value does not have is taken', async () => {
    // Only whoever holds the key can make such a tag: here, the test, as a stand-in for hashing
    // that took place. scrypt would give another digest, so the bound launch shows which way was taken.
    const forged = await lockedLaunch(values, { API_KEY: 'ZGlnZXN0ZGlnZXN0ZGlnZXN0ZGlnZXN0ZGlnZXN0ZGk' });
    expect(launchDifference(forged, await bound(values, forged, undefined))).toBe('the env values ("API_KEY")');
    const planted = matches();
    const digestOf = (name: 'API_KEY' | 'MODE') => (forged.transport === 'stdio' ? forged.envValues![name]!.split(':')[2]! : '');
    planted.add([
      { salt: salts.API_KEY, digest: digestOf('API_KEY'), value: values.API_KEY },
      { salt: salts.MODE, digest: digestOf('MODE'), value: values.MODE },
    ]);
    planted.save();
    expect(launchDifference(forged, await bound(values, forged, matches()))).toBeUndefined();
    // The finding is of these values together: with MODE changed, every value is hashed, and the
    // unchanged API_KEY no longer passes for the digest it does not have.
    expect(launchDifference(forged, await bound({ ...values, MODE: 'slow' }, forged, matches()))).toBe('the env values ("API_KEY")');
  });

  it('nothing is kept for values that do not all match, nor for a value the lock has no digest for', async () => {
    const locked = await lockedLaunch(values);
    await bound({ ...values, MODE: 'slow' }, locked, matches());
    const withoutMode: LaunchSpec = locked.transport === 'stdio' ? { ...locked, envValues: { API_KEY: locked.envValues!.API_KEY!, TOKEN: '${TOKEN}' } } : locked;
    await bound(values, withoutMode, matches());
    await expect(fs.readdir(path.join(dir, 'cache', 'mcpm')).catch(() => [])).resolves.toEqual([]);
  });
});
