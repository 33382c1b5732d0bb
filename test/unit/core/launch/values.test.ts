import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { escapeInvisible, valueDigest, writeSortedJson } from '../../../../src/core/canonical.js';
import { launchDifference, valuesUnrecorded, type LaunchSpec } from '../../../../src/core/launch/identity.js';
import type { ServerConfig } from '../../../../src/core/launch/parse.js';
import { boundLaunch, hashedForm, isReferencesOnly, isStoredValue, jobKey, MASKED, shownUrl, urlParts, userInfoOf, valueJobs } from '../../../../src/core/launch/values.js';
import { describeLaunch } from '../../../../src/core/launch-text.js';
import { parseStrictJson } from '../../../../src/core/json-strict.js';

function server(env: Record<string, string>): ServerConfig {
  return { name: 'notes', source: '.mcp.json', launch: { transport: 'stdio', command: 'node', args: ['s.js'], envNames: Object.keys(env).sort() }, env, headers: {} };
}

async function bind(config: ServerConfig, locked?: ServerConfig['launch']): Promise<ServerConfig['launch']> {
  let n = 0;
  const jobs = valueJobs(config, locked, () => `fresh-salt-${n++}`.padEnd(22, 'x'));
  const digests = new Map<string, string>();
  for (const job of jobs) digests.set(jobKey(job), hashedForm(job.salt, await valueDigest(job.value, job.salt)));
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

function remote(url: string, headers: Record<string, string> = {}): ServerConfig {
  return { name: 'notes', source: '.mcp.json', launch: { transport: 'http', url, headerNames: Object.keys(headers).sort() }, env: {}, headers };
}

describe('urlParts: a URL\'s query values, masked', () => {
  it.each([
    ['https://mcp.example.com/mcp', 'https://mcp.example.com/mcp', []],
    ['https://mcp.example.com/mcp?api_key=sk-live-1&mode=ro#top', 'https://mcp.example.com/mcp?api_key=***&mode=***#top', [['query.1', 'sk-live-1'], ['query.2', 'ro']]],
    ['https://h/mcp?key=${API_KEY}&sk-live-2&empty=&=x', 'https://h/mcp?key=${API_KEY}&***&empty=&=***', [['query.2', 'sk-live-2'], ['query.4', 'x']]],
    ['https://h/p?a=b=c', 'https://h/p?a=***', [['query.1', 'b=c']]],
    // Before the query everything is kept as written: a userinfo (refused when connecting), and a
    // backslash that the URL parser reads as the end of the host.
    ['https://user:pa$s@h/mcp', 'https://user:pa$s@h/mcp', []],
    ['http://127.0.0.1:1\\@127.0.0.1:2/../mcp?k=v', 'http://127.0.0.1:1\\@127.0.0.1:2/../mcp?k=***', [['query.1', 'v']]],
    ['https://h/p#frag?x=1', 'https://h/p#frag?x=1', []],
    ['${BASE_URL}?token=t0k', '${BASE_URL}?token=***', [['query.1', 't0k']]],
    // A reference is one piece: a # or & in its default ends or splits nothing.
    ['https://h/mcp?region=${REGION:-eu#}&token=sk-live-3', 'https://h/mcp?region=***&token=***', [['query.1', '${REGION:-eu#}'], ['query.2', 'sk-live-3']]],
    ['https://h/mcp?${T:-k=sk-live-4}', 'https://h/mcp?***', [['query.1', '${T:-k=sk-live-4}']]],
    ['https://h${P:-/a?b}/mcp?x=${X}', 'https://h${P:-/a?b}/mcp?x=${X}', []],
  ])('%s', (url, masked, parts) => {
    const found = urlParts(url);
    expect(found.masked).toBe(masked);
    expect(found.parts.map((p) => [p.name, p.value])).toEqual(parts);
    expect(urlParts(found.masked).masked).toBe(found.masked);
  });

  // Generated from the parts, so the expected mask is known: the secret values are gone, every
  // one is listed, and masking again changes nothing (a lock's URL reads back as written).
  it('masks exactly the literal query values, and is idempotent (property)', () => {
    const text = fc.stringMatching(/^[a-zA-Z0-9_.:@=$%+/\\-]{0,8}$/);
    const value = fc.oneof(text, fc.constantFrom('${TOKEN}', '${env:A}${B}', 'Bearer ${T}', '', MASKED, '${R:-a#b}', '${R:-x&y}', '${R:-p?q}'));
    const param = fc.record({ name: fc.stringMatching(/^[a-z_]{0,5}$/), equals: fc.boolean(), value });
    fc.assert(
      fc.property(fc.array(param, { maxLength: 5 }), fc.boolean(), fc.constantFrom('https://u:p@mcp.example.com/p/x', 'http://h\\@g/..', '${BASE}'), (params, query, start) => {
        const secret = (v: string) => v !== '' && !isReferencesOnly(v);
        const written = params.map((p) => (p.equals ? `${p.name}=${p.value}` : p.value.replace(/=/g, '')));
        const url = `${start}${query ? `?${written.join('&')}` : ''}`;
        const expectedParts: [string, string][] = [];
        let masked = start;
        if (query) {
          masked += `?${params
            .map((p, i) => {
              const v = p.equals ? p.value : written[i]!;
              if (!secret(v)) return written[i]!;
              expectedParts.push([`query.${i + 1}`, v]);
              return p.equals ? `${p.name}=${MASKED}` : MASKED;
            })
            .join('&')}`;
        }
        const found = urlParts(url);
        expect(found.masked).toBe(masked);
        expect(found.parts.map((p) => [p.name, p.value])).toEqual(expectedParts);
        expect(urlParts(found.masked).masked).toBe(found.masked);
        expect(urlParts(found.masked).parts.map((p) => p.name)).toEqual(found.parts.map((p) => p.name));
      }),
      { numRuns: 500 },
    );
  });

  it('binds the parts as values: a changed key is a changed launch, the key is never in the stored form', async () => {
    const url = 'https://mcp.example.com/mcp?api_key=sk-live-0123456789&mode=ro';
    const bound = (await bind(remote(url, { 'X-Team': 'blue' }))) as Extract<LaunchSpec, { transport: 'http' | 'sse' }>;
    expect(bound).toMatchObject({ url, urlValues: { 'query.1': expect.stringMatching(/^scrypt:/), 'query.2': expect.stringMatching(/^scrypt:/) } });
    expect(JSON.stringify(bound.urlValues)).not.toContain('sk-live');
    // Re-bound with the lock's salts: the same stored form; another key, another value.
    expect(await bind(remote(url, { 'X-Team': 'blue' }), bound)).toEqual(bound);
    const rotated = await bind(remote(url.replace('0123456789', '9876543210'), { 'X-Team': 'blue' }), bound);
    expect(launchDifference(bound, rotated)).toBe('the URL values ("query.1")');
    expect(launchDifference(bound, await bind(remote(url.replace('api_key', 'apikey'), { 'X-Team': 'blue' }), bound))).toBe('the URLs');
    // The lock's own URL, masked, is the same launch as the configured one.
    expect(launchDifference({ ...bound, url: urlParts(url).masked }, bound)).toBeUndefined();
    // A lock written before URL values were bound holds the URL in clear: the same URL is only not
    // recorded yet (and may be recorded); another value is another URL (and may not).
    const { urlValues: _, ...old } = bound;
    expect(launchDifference(old, bound)).toBe('the URL values (not recorded in the lock yet)');
    expect(valuesUnrecorded(bound, old)).toBe(true);
    // Against the values in clear, the one that changed is named: masked, the two print alike.
    expect(launchDifference(old, rotated)).toBe('the URL values ("query.1")');
    expect(valuesUnrecorded(rotated, old)).toBe(false);
    expect(launchDifference(old, await bind(remote(url.replace('api_key', 'apikey'), { 'X-Team': 'blue' })))).toBe('the URLs');
    // A reference in the query is kept as written, and no value is bound for it.
    const referenced = await bind(remote('https://h/mcp?key=${API_KEY}'));
    expect(referenced).toEqual(remote('https://h/mcp?key=${API_KEY}').launch);
  });
});

describe('shownUrl: a URL as mcpm shows it, without a user name or password', () => {
  it.each([
    ['https://mcp.example.com/mcp?key=sk-live-1', 'https://mcp.example.com/mcp?key=***'],
    ['https://alice:hunter2-secret@mcp.example.com/mcp?key=sk-live-1', 'https://***@mcp.example.com/mcp?key=***'],
    ['https://ghp_0123456789abcdef@github.com/org/repo.git', 'https://***@github.com/org/repo.git'],
    // As the URL parser reads the host: slashes after the scheme are optional, the last @ ends the user information.
    ['https:alice:pw@h/mcp', 'https:***@h/mcp'],
    ['https:\\\\a:b@h', 'https:\\\\***@h'],
    ['https://a@b:c@h/p@q', 'https://***@h/p@q'],
    ['  https://a:b@h', '  https://***@h'],
    ['git+https://x-access-token:tok-0123456789@github.com/org/list#main:mcp', 'git+https://***@github.com/org/list#main:mcp'],
    ['https://${USER}:${TOKEN}@h/mcp', 'https://***@h/mcp'],
    // An @ after the host is not user information.
    ['https://h/mcp?mail=a@b', 'https://h/mcp?mail=***'],
    ['https://h/p#x@y', 'https://h/p#x@y'],
    // One inside a reference is opaque to mcpm, but the URL parser, given the text unexpanded,
    // reads user information there: nothing of the URL is shown.
    ['https://${HOST:-a@b}/mcp', MASKED],
    ['${BASE_URL}/mcp', '${BASE_URL}/mcp'],
    // A password with a / or ? in it: the URL parser ends the host there and refuses its "port".
    ['https://user:pa/ss@h/mcp', MASKED],
    ['https://user:pa?ss@h/mcp', MASKED],
    ['https://h/users/me@example.com/mcp', 'https://h/users/me@example.com/mcp'],
    ['https://alice:s3cret#pass@mcp.example.com/mcp', MASKED],
    // An @ in the path of a URL with references, read with each reference as a value.
    ['http://localhost:${PORT}/@org/mcp', 'http://localhost:${PORT}/@org/mcp'],
    ['${BASE_URL}/@org/mcp', '${BASE_URL}/@org/mcp'],
    ['https://${HOST:-mcp.example.com}/@org/mcp', 'https://${HOST:-mcp.example.com}/@org/mcp'],
    // A default that holds a user: masked as any.
    ['https://${HOST:-me:pw@h}/mcp', MASKED],
    ['https://${P:-a#b}@host:99999/mcp', MASKED],
    // To the parser and to mcpm a host, a port and a path: shown as the URL connected to.
    ['https://alice:2024/pass@mcp.example.com/mcp', 'https://alice:2024/pass@mcp.example.com/mcp'],
    // …but a host and port cut short by a # whose fragment has an @ before any / are a password cut short.
    ['https://alice:2024#pass@mcp.example.com/mcp', MASKED],
    ['https://localhost:8080#/@scope/pkg', 'https://localhost:8080#/@scope/pkg'],
    // A ? makes the rest a query, masked as any.
    ['https://alice:2024?pass@mcp.example.com/mcp', 'https://alice:2024?***'],
    ['https://mcp.example.com:8080?email=me@example.com', 'https://mcp.example.com:8080?email=***'],
    ['https://${HOST:-localhost}?email=a@b', 'https://${HOST:-localhost}?email=***'],
    // A reference may give the scheme.
    ['${SCHEME}://x-access-token:ghp_abcdef123456@github.com/mcp', '${SCHEME}://***@github.com/mcp'],
    ['${S}s://user:secret@host/mcp', '${S}s://***@host/mcp'],
    // Without a scheme an @ ends no password: git's scp form, a base URL's path (read with its references as values).
    ['git+git@github.com:org/repo.git#main', 'git+git@github.com:org/repo.git#main'],
    ['${BASE_URL:-}/@org/mcp', '${BASE_URL:-}/@org/mcp'],
    ['${MCP_HOST}:${MCP_PORT}/@org/mcp', '${MCP_HOST}:${MCP_PORT}/@org/mcp'],
    ['${URL}@latest', '${URL}@latest'],
  ])('%s', (url, shown) => {
    expect(shownUrl(url)).toBe(shown);
    expect(shownUrl(shown)).toBe(shown);
  });

  it('leaves nothing in which the URL parser finds a user name or password but the mask (property)', () => {
    const piece = fc.stringMatching(/^[a-zA-Z0-9@:/\\?#%.${}\t -]{0,10}$/);
    fc.assert(
      fc.property(fc.constantFrom('https://', 'https:', 'http:/\\', 'HTTPS://', ' wss://', 'ftp://'), piece, piece, piece, (scheme, a, b, rest) => {
        const url = `${scheme}${a}@${b}${rest}`;
        const shown = shownUrl(url);
        let parsed: URL | undefined;
        try {
          parsed = new URL(shown);
        } catch {
          parsed = undefined;
        }
        if (parsed !== undefined) {
          expect(parsed.password).toBe('');
          expect(['', MASKED]).toContain(parsed.username);
        }
        // Whatever the parser made of the original, its password is not in what is shown.
        try {
          const original = new URL(url);
          if (original.password.length >= 4) expect(shown).not.toContain(decodeURIComponent(original.password));
        } catch {
          // not a URL: nothing for a client to send either
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('userInfoOf finds where it is', () => {
    expect(userInfoOf('https://u:p@h/x')).toEqual({ start: 8, end: 11, text: 'u:p' });
    expect(userInfoOf('https://h/x')).toBeUndefined();
    expect(userInfoOf('mcp.example.com/x@y')).toBeUndefined();
  });

  it('describeLaunch shows neither, and says mcpm does not connect with one', () => {
    const text = describeLaunch({ transport: 'http', url: 'https://alice:hunter2-secret@mcp.example.com/mcp', headerNames: [] });
    expect(text).not.toContain('hunter2');
    expect(text).not.toContain('alice');
    expect(text).toBe("http 'https://***@mcp.example.com/mcp'  (a user name or password in the URL: mcpm does not connect with one)");
    expect(describeLaunch({ transport: 'http', url: 'https://mcp.example.com/mcp', headerNames: [] })).toBe('http https://mcp.example.com/mcp');
    expect(describeLaunch({ transport: 'http', url: 'https://alice:2024#pass@mcp.example.com/mcp', headerNames: [] })).toBe(
      "http '***'  (not shown: the URL may hold a user name or password, which mcpm does not connect with)",
    );
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
