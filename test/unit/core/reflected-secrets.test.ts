import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ServerConfig } from '../../../src/core/launch/parse.js';
import { findReflection, MIN_SECRET_LENGTH, redactSecrets, secretValuesOf, spellingsOf } from '../../../src/core/reflected-secrets.js';

function stdio(env: Record<string, string>, args: string[] = [], headers: Record<string, string> = {}): ServerConfig {
  return { name: 'notes', source: '.mcp.json', launch: { transport: 'stdio', command: 'node', args, envNames: Object.keys(env) } as never, env, headers };
}

const secret = fc.string({ unit: 'grapheme', minLength: MIN_SECRET_LENGTH, maxLength: 40 }).filter((s) => s.length >= MIN_SECRET_LENGTH);
const bytes = fc.uint8Array({ maxLength: 7 });

describe('findReflection', () => {
  it('finds a secret embedded at any offset, as written, in base64, base64url, hex (any case) and URL-encoded', () => {
    const encoders: Record<string, (b: Buffer) => string> = {
      base64: (b) => b.toString('base64'),
      base64url: (b) => b.toString('base64url'),
      hex: (b) => b.toString('hex'),
      HEX: (b) => b.toString('hex').toUpperCase(),
    };
    fc.assert(
      fc.property(secret, bytes, bytes, fc.constantFrom(...Object.keys(encoders)), (value, before, after, how) => {
        const blob = encoders[how]!(Buffer.concat([Buffer.from(before), Buffer.from(value), Buffer.from(after)]));
        const found = findReflection({ serverInfo: { name: 'x', version: `v ${blob} z` } }, [{ label: 'env "K"', value }]);
        expect(found?.pointer).toBe('/serverInfo/version');
        expect(found?.label).toBe('env "K"');
      }),
    );
    fc.assert(
      fc.property(secret, fc.string(), (value, around) => {
        const text = `${around}${encodeURIComponent(value)}${around}`;
        expect(findReflection({ tools: { a: { definition: { description: text } } } }, [{ label: 'k', value }])?.pointer).toBe('/tools/a/definition/description');
      }),
    );
  });

  it('finds a secret in another case, and a secret of digits echoed as a number', () => {
    const value = 'sk-live-4f9b2c81e7d0a3';
    expect(findReflection({ serverInfo: { name: 'x', version: value.toUpperCase() } }, [{ label: 'k', value }])).toMatchObject({ pointer: '/serverInfo/version', encoding: 'as written' });
    expect(findReflection({ serverInfo: { name: encodeURIComponent('a/b c+1234567').toLowerCase() } }, [{ label: 'k', value: 'a/b c+1234567' }])).toMatchObject({ encoding: 'URL-encoded' });
    const digits = '8675309123456';
    expect(findReflection({ tools: { a: { definition: { inputSchema: { default: Number(digits) } } } } }, [{ label: 'k', value: digits }])?.pointer).toBe('/tools/a/definition/inputSchema/default');
    // Base64 keeps its case: other letters are other bytes.
    const b64 = Buffer.from(value).toString('base64');
    expect(findReflection({ serverInfo: { name: b64.toLowerCase() } }, [{ label: 'k', value }])).toBeUndefined();
  });

  it('looks in object keys and arrays, and escapes the pointer', () => {
    const value = 'tok_123456789';
    expect(findReflection({ tools: { 'a/b': { definition: { enum: ['x', `${value}`] } } } }, [{ label: 'k', value }])?.pointer).toBe('/tools/a~1b/definition/enum/1');
    expect(findReflection({ tools: { [value]: {} } }, [{ label: 'k', value }])?.pointer).toBe(`/tools/${value}`);
    expect(findReflection({ tools: {} }, [{ label: 'k', value }])).toBeUndefined();
  });

  it('finds no base64 spelling shorter than the threshold', () => {
    fc.assert(fc.property(secret, (value) => spellingsOf(value).every((s) => s.text.length >= MIN_SECRET_LENGTH)));
  });
});

describe('secretValuesOf', () => {
  const env = { TOKEN: 'ghp_0123456789abcdef', HOME: '/home/someone', SHORT: 'abc' };

  it('takes referenced values (env, args, headers), header values and literal credential-like env values; never paths, words or short values', () => {
    const server = stdio(
      { GITHUB_TOKEN: '${TOKEN}', NODE_ENV: 'production', LITERAL: 'key-2024-abcdef', FLAG: '1', DIR: '${userHome}/notes', S: '${SHORT}' },
      ['--token=${env:TOKEN}'],
    );
    expect(secretValuesOf(server, env)).toEqual([
      { label: 'env "LITERAL"', value: 'key-2024-abcdef' },
      { label: '"${env:TOKEN}" in args[0]', value: 'ghp_0123456789abcdef' },
    ]);
    const remote: ServerConfig = { name: 'r', source: '.mcp.json', launch: { transport: 'http', url: 'https://x.example/mcp' } as never, env: {}, headers: { Authorization: 'Bearer plain-literal-token' } };
    expect(secretValuesOf(remote, env)).toEqual([
      { label: 'header "Authorization"', value: 'Bearer plain-literal-token' },
      { label: 'header "Authorization"', value: 'plain-literal-token' },
    ]);
  });

  it('takes the credentials inside a header value, a headers helper\'s output, and credential-like env file values', () => {
    const remote: ServerConfig = { name: 'r', source: '.mcp.json', launch: { transport: 'http', url: 'https://x.example/mcp' } as never, env: {}, headers: {} };
    const basic = Buffer.from('deploy:hunter2-s3cret').toString('base64');
    expect(secretValuesOf(remote, env, {}, { helperHeaders: { Authorization: `Basic ${basic}`, 'X-Key': 'k3y-from-helper' } }).map((s) => s.value)).toEqual([
      `Basic ${basic}`,
      basic,
      'deploy:hunter2-s3cret',
      'hunter2-s3cret',
      'k3y-from-helper',
    ]);
    const server = stdio({}, []);
    expect(secretValuesOf(server, env, {}, { envFile: { NODE_ENV: 'production', API_KEY: 'sk-0123456789' } })).toEqual([{ label: 'envFile variable "API_KEY"', value: 'sk-0123456789' }]);
  });

  it('takes a URL\'s credential-like query values, written literally; a reference as its value', () => {
    const url = 'https://x.example/mcp?api_key=sk-live-0123456789&region=europe&token=${TOKEN}';
    const remote: ServerConfig = { name: 'r', source: '.mcp.json', launch: { transport: 'http', url, headerNames: [] }, env: {}, headers: {} };
    expect(secretValuesOf(remote, env)).toEqual([
      { label: 'the URL\'s query.1', value: 'sk-live-0123456789' },
      { label: '"${TOKEN}" in url', value: 'ghp_0123456789abcdef' },
    ]);
  });

  it('takes a percent-encoded query value as the server reads it too, decoded (and with + as a space)', () => {
    const url = 'https://x.example/mcp?sig=AbC%2BdEf%3D123+x';
    const remote: ServerConfig = { name: 'r', source: '.mcp.json', launch: { transport: 'http', url, headerNames: [] }, env: {}, headers: {} };
    const values = secretValuesOf(remote, env).map((s) => s.value);
    expect(values).toEqual(['AbC%2BdEf%3D123+x', 'AbC+dEf=123+x', 'AbC+dEf=123 x']);
    // A server that shows the key it received is caught, as for any other spelling.
    expect(findReflection({ tools: [{ name: 'a', description: 'signed with AbC+dEf=123 x' }] }, secretValuesOf(remote, env))).toMatchObject({ pointer: '/tools/0/description' });
  });
});

describe('redactSecrets', () => {
  it('replaces every spelling of every secret, in any case where case does not matter, and leaves the rest', () => {
    const value = 'sk-live-4f9b2c81e7d0a3';
    const secrets = [{ label: 'env "K"', value }];
    const text = `invalid credentials ${value}; upper ${value.toUpperCase()}; hex ${Buffer.from(value).toString('hex')}; b64 ${Buffer.from(value).toString('base64')}; url ${encodeURIComponent('x' + value)}`;
    const out = redactSecrets(text, secrets);
    for (const spelling of spellingsOf(value)) expect(out.toLowerCase()).not.toContain(spelling.text.toLowerCase());
    expect(out).toMatch(/^invalid credentials \[redacted\]; upper \[redacted\]; hex \[redacted\]; b64 \[redacted\][A-Za-z0-9+/=]{0,4}; url x\[redacted\]$/);
    expect(redactSecrets('nothing here', secrets)).toBe('nothing here');
  });

  /** redactSecrets as it was before its expressions were kept per list: every spelling, longest first, made and compiled per call. */
  const redactedOnce = (text: string, secrets: readonly { label: string; value: string }[]): string => {
    const needles = secrets.flatMap((s) => spellingsOf(s.value)).sort((a, b) => b.text.length - a.text.length);
    let out = text;
    for (const n of needles) out = out.replace(new RegExp(n.text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'), n.caseless ? 'gi' : 'g'), '[redacted]');
    return out;
  };

  it('redacts as making every expression per call did, for texts holding spellings of overlapping secrets, with the same list each time', () => {
    // Secrets that share parts, so that one's spelling can sit inside or across another's.
    const secretArb = fc.constantFrom('sk-live-4f9b2c81e7d0a3', '4f9b2c81e7d0a3ff', 'ghp_16C7e42F292c6912E7', 'abc123def456ghi789', 'xx+/==09azAZ');
    fc.assert(
      fc.property(fc.uniqueArray(secretArb, { minLength: 1, maxLength: 4 }), fc.array(fc.oneof(fc.string(), secretArb, secretArb.map((v) => Buffer.from(v).toString('base64')), secretArb.map((v) => Buffer.from(v).toString('hex')), secretArb.map((v) => v.toUpperCase())), { maxLength: 8 }), (values, pieces) => {
        const secrets = values.map((value, i) => ({ label: `env "S${i}"`, value }));
        const text = pieces.join(' ');
        // Twice with the same list: the second call uses what the first one made.
        expect(redactSecrets(text, secrets)).toBe(redactedOnce(text, secrets));
        expect(redactSecrets(`${text}!`, secrets)).toBe(redactedOnce(`${text}!`, secrets));
      }),
      { numRuns: 300 },
    );
  });

  it('makes its expressions again when the list it was given has changed since', () => {
    const secrets = [{ label: 'env "A"', value: 'sk-live-4f9b2c81e7d0a3' }];
    expect(redactSecrets('token ghp_16C7e42F292c6912E7', secrets)).toBe('token ghp_16C7e42F292c6912E7');
    secrets.push({ label: 'env "B"', value: 'ghp_16C7e42F292c6912E7' });
    expect(redactSecrets('token ghp_16C7e42F292c6912E7', secrets)).toBe('token [redacted]');
    secrets[0] = { label: 'env "A"', value: 'another-secret-123456' };
    expect(redactSecrets('a another-secret-123456 b sk-live-4f9b2c81e7d0a3', secrets)).toBe('a [redacted] b sk-live-4f9b2c81e7d0a3');
  });

  it('takes a hole in the list as no secret, and a hole filled later as the secret it now holds', () => {
    const secrets: { label: string; value: string }[] = [{ label: 'env "A"', value: 'alpha-secret-1' }];
    secrets.length = 2;
    expect(redactSecrets('alpha-secret-1 bravo-secret-2', secrets)).toBe('[redacted] bravo-secret-2');
    secrets[1] = { label: 'env "B"', value: 'bravo-secret-2' };
    expect(redactSecrets('alpha-secret-1 bravo-secret-2', secrets)).toBe('[redacted] [redacted]');
    delete secrets[1];
    expect(redactSecrets('alpha-secret-1 bravo-secret-2', secrets)).toBe('[redacted] bravo-secret-2');
  });

  it('redacts secrets too many or too long for one joined search, one spelling at a time', () => {
    const secrets = Array.from({ length: 40 }, (_, i) => ({ label: `env "S${i}"`, value: `${String(i).padStart(2, '0')}-${'k'.repeat(997)}` }));
    const text = `a ${secrets[7]!.value} b ${Buffer.from(secrets[31]!.value).toString('hex')} c`;
    expect(redactSecrets(text, secrets)).toBe('a [redacted] b [redacted] c');
    expect(redactSecrets(text, secrets)).toBe(redactedOnce(text, secrets));
    expect(redactSecrets('nothing here', secrets)).toBe('nothing here');
    // findReflection's one search is given up alike, and its walk still finds the place.
    expect(findReflection({ tools: [{ name: 'a', description: `see ${secrets[12]!.value}` }] }, secrets)).toMatchObject({ pointer: '/tools/0/description', label: 'env "S12"' });
    expect(findReflection({ tools: [{ name: 'a', description: 'nothing here' }] }, secrets)).toBeUndefined();
  });
});
