import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { escapeInvisible, valueDigest, writeSortedJson } from '../../../../src/core/canonical.js';
import { launchDifference } from '../../../../src/core/launch/identity.js';
import type { ServerConfig } from '../../../../src/core/launch/parse.js';
import { boundLaunch, hashedForm, isReferencesOnly, isStoredValue, valueJobs } from '../../../../src/core/launch/values.js';
import { parseStrictJson } from '../../../../src/core/json-strict.js';

function server(env: Record<string, string>): ServerConfig {
  return { name: 'notes', source: '.mcp.json', launch: { transport: 'stdio', command: 'node', args: ['s.js'], envNames: Object.keys(env).sort() }, env, headers: {} };
}

async function bind(config: ServerConfig, locked?: ServerConfig['launch']): Promise<ServerConfig['launch']> {
  let n = 0;
  const jobs = valueJobs(config, locked, () => `fresh-salt-${n++}`.padEnd(22, 'x'));
  const digests = new Map<string, string>();
  for (const job of jobs) digests.set(job.name, hashedForm(job.salt, await valueDigest(job.value, job.salt)));
  return boundLaunch(config, digests);
}

describe('stored values', () => {
  it.each([
    ['${API_KEY}', true],
    ['${env:API_KEY}${input:api-key}', true],
    ['${API_KEY:-sk-live-123}', false],
    ['Bearer ${TOKEN}', false],
    ['', false],
    ['sk-live-123', false],
  ])('%j is kept verbatim: %s', (value, verbatim) => {
    expect(isReferencesOnly(value)).toBe(verbatim);
    expect(isStoredValue(value)).toBe(verbatim);
  });

  it('any change of a literal value changes the launch; the value is never in the stored form', async () => {
    const salt = 'AAAAAAAAAAAAAAAAAAAAAA';
    await fc.assert(
      fc.asyncProperty(fc.string({ minLength: 1 }), fc.string(), async (a, b) => {
        fc.pre(a !== b && !isReferencesOnly(a) && !isReferencesOnly(b));
        const locked = await bind(server({ V: a }));
        const lockedWithSalt = { ...locked, envValues: { V: hashedForm(salt, await valueDigest(a, salt)) } };
        const same = await bind(server({ V: a }), lockedWithSalt);
        const other = await bind(server({ V: b }), lockedWithSalt);
        expect(launchDifference(lockedWithSalt, same)).toBeUndefined();
        expect(launchDifference(lockedWithSalt, other)).toBe('the env values ("V")');
        expect(other.transport === 'stdio' && other.envValues?.V).toMatch(/^scrypt:[\w-]{22}:[\w-]{43}$/);
      }),
      { numRuns: 15 },
    );
  });

  it('re-binding with the lock reuses its salt, so the same config gives the same stored form', async () => {
    const first = await bind(server({ MODE: 'fast', KEY: '${KEY}' }));
    const again = await bind(server({ MODE: 'fast', KEY: '${KEY}' }), first);
    expect(again).toEqual(first);
    expect(first.transport === 'stdio' && first.envValues?.KEY).toBe('${KEY}');
  });

  it('a lock entry without values matches only a launch that sets none', async () => {
    const bound = await bind(server({ MODE: 'fast' }));
    const { envValues: _, ...old } = bound as Extract<typeof bound, { transport: 'stdio' }>;
    expect(launchDifference(old, bound)).toBe('the env values (not recorded in the lock yet)');
    expect(launchDifference(server({}).launch, await bind(server({})))).toBeUndefined();
  });
});

describe('escapeInvisible', () => {
  it('reads back as the same string, and leaves no invisible code point in the text', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (value) => {
        const text = writeSortedJson({ value }, { indent: '  ', eol: '\n' });
        expect((parseStrictJson(text) as { value: string }).value).toBe(value);
        expect(text).not.toMatch(/[\p{Cf}\p{Co}\p{Zl}\p{Zp}\u0080-\u009f\u007f\p{Default_Ignorable_Code_Point}]/u);
      }),
    );
    expect(escapeInvisible('"a\u{E0041}\u200b"')).toBe('"a\\udb40\\udc41\\u200b"');
    // ASCII, yet DEL is a control: the only one JSON.stringify leaves raw.
    expect(escapeInvisible('"a\x7f"')).toBe('"a\\u007f"');
    expect(escapeInvisible('{\n  "a": "b"\n}')).toBe('{\n  "a": "b"\n}');
  });
});
