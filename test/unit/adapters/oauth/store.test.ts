import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { McpmError } from '../../../../src/core/errors.js';
import { StoredLoginProvider } from '../../../../src/adapters/oauth/provider.js';
import { resourceCovers, TokenStore, userTokenStore, type StoredLogin } from '../../../../src/adapters/oauth/store.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function store(mode: 'file' | 'auto' | 'keychain' = 'file'): TokenStore {
  const dir = mkdtempSync(join(tmpdir(), 'mcpm-store-'));
  dirs.push(dir);
  return new TokenStore({ dir: join(dir, 'mcpm', 'credentials'), mode });
}

function login(url = 'https://mcp.example/api/mcp', extra: Partial<StoredLogin> = {}): StoredLogin {
  return {
    name: 'notes',
    url,
    resource: url,
    issuer: 'https://auth.example/',
    redirectUrl: 'http://127.0.0.1:5555/callback',
    obtainedAt: 1_000_000,
    client: { client_id: 'client-1' },
    tokens: { access_token: 'access-token-one', token_type: 'Bearer', expires_in: 60, refresh_token: 'refresh-token-one' },
    ...extra,
  };
}

describe('TokenStore (file)', () => {
  it('keeps a login in a 0600 file in a 0700 directory, and gives it back for its URL only', async () => {
    const s = store();
    expect(await s.write(login())).toEqual({ place: 'file' });
    expect(statSync(s.dir).mode & 0o777).toBe(0o700);
    expect(statSync(s.fileFor(login().url)).mode & 0o777).toBe(0o600);
    expect(await s.read(login().url)).toEqual({ kind: 'found', login: login(), place: 'file' });
    expect(await s.read('https://mcp.example/api/mcp/')).toEqual({ kind: 'none' });
    expect(await s.read('https://other.example/api/mcp')).toEqual({ kind: 'none' });
  });

  it('refuses a record found under another URL, or whose resource does not cover the URL', async () => {
    const s = store();
    const url = 'https://mcp.example/b';
    const moved = { ...login('https://mcp.example/a') };
    await s.write(moved);
    // As if copied by hand under the other URL's name.
    const { copyFileSync } = await import('node:fs');
    copyFileSync(s.fileFor(moved.url), s.fileFor(url));
    expect(await s.read(url)).toEqual({ kind: 'unusable', reason: 'the stored login is for another URL' });
    await s.write(login(url, { resource: 'https://mcp.example/a' }));
    expect(await s.read(url)).toEqual({ kind: 'unusable', reason: 'the stored tokens were issued for another resource' });
  });

  it('lists logins without their secrets: valid, expired (refreshable or not), signed out', async () => {
    const s = store();
    await s.write(login('https://a.example/mcp', { name: 'a' }));
    await s.write(login('https://b.example/mcp', { name: 'b', tokens: { access_token: 'x-token-b', token_type: 'Bearer', expires_in: 60 } }));
    const { tokens: _t, ...signedOut } = login('https://c.example/mcp', { name: 'c' });
    await s.write(signedOut);
    const now = 1_000_000 + 30_000;
    const listed = await s.list(now);
    expect(listed.map((l) => [l.name, l.origin, l.state, l.refreshable])).toEqual(
      expect.arrayContaining([
        ['a', 'https://a.example', 'valid', true],
        ['b', 'https://b.example', 'valid', false],
        ['c', 'https://c.example', 'signed-out', false],
      ]),
    );
    expect((await s.list(1_000_000 + 61_000)).find((l) => l.name === 'a')!.state).toBe('expired');
    expect(JSON.stringify(listed)).not.toContain('token-');
  });

  it('removes by URL and by the name a login was made under', async () => {
    const s = store();
    await s.write(login('https://a.example/mcp', { name: 'a' }));
    await s.write(login('https://b.example/mcp', { name: 'b' }));
    expect(await s.remove('https://a.example/mcp')).toBe(true);
    expect(await s.remove('https://a.example/mcp')).toBe(false);
    expect(await s.removeByName('b')).toBe(1);
    expect(await s.list(0)).toEqual([]);
  });

  it('holds a URL\'s query values only masked, matches the URL by its hash, and still reads a record written before', async () => {
    const s = store();
    const url = 'https://mcp.example/api/mcp?api_key=sk-live-0123456789';
    // The resource is the URL itself when the server published none: masked too.
    await s.write(login(url, { name: 'keyed' }));
    const text = readFileSync(s.fileFor(url), 'utf8');
    expect(text).not.toContain('sk-live');
    expect(JSON.parse(text)).toMatchObject({ url: 'https://mcp.example/api/mcp?api_key=***', resource: 'https://mcp.example/api/mcp?api_key=***', urlHash: expect.stringMatching(/^[0-9a-f]{64}$/) });
    expect(await s.read(url)).toMatchObject({ kind: 'found', login: { url, tokens: { access_token: 'access-token-one' } } });
    // Copied under another key's name: the hash is another URL's.
    const other = 'https://mcp.example/api/mcp?api_key=sk-live-9999999999';
    const { copyFileSync, writeFileSync } = await import('node:fs');
    copyFileSync(s.fileFor(url), s.fileFor(other));
    expect(await s.read(other)).toEqual({ kind: 'unusable', reason: 'the stored login is for another URL' });
    expect((await s.list(0)).map((l) => l.origin)).toEqual(['https://mcp.example', 'https://mcp.example']);
    expect(await s.removeByName('keyed')).toBe(2);
    // A record an earlier mcpm wrote: the URL in clear, no hash. Read; written again, masked.
    const old = { ...JSON.parse(text), url };
    delete old.urlHash;
    writeFileSync(s.fileFor(url), JSON.stringify(old), { mode: 0o600 });
    expect(await s.read(url)).toMatchObject({ kind: 'found', login: { url } });
    await s.update(url, (current) => ({ ...current!, obtainedAt: 2_000_000 }));
    expect(readFileSync(s.fileFor(url), 'utf8')).not.toContain('sk-live');
    expect(await s.read(url)).toMatchObject({ kind: 'found', login: { url, obtainedAt: 2_000_000 } });
  });

  it('keeps no query value a server echoed into what it published: the discovery is dropped, the issuer and resource redacted', async () => {
    const s = store();
    const url = 'https://mcp.example/api/mcp?api_key=sk-live%2B0123456789';
    const discovery = {
      authorizationServerUrl: 'https://auth.example/',
      // As the server read it: percent-decoded.
      resourceMetadataUrl: 'https://mcp.example/.well-known/oauth-protected-resource?k=sk-live+0123456789',
      authorizationServerMetadata: { issuer: 'https://auth.example/', authorization_endpoint: 'https://auth.example/authorize', token_endpoint: 'https://auth.example/token', response_types_supported: ['code'] },
    };
    await s.write(login(url, { issuer: 'https://auth.example/sk-live%2B0123456789/', resource: 'https://mcp.example/api/sk-live%2B0123456789', discovery }));
    const text = readFileSync(s.fileFor(url), 'utf8');
    expect(text).not.toContain('0123456789');
    const record = JSON.parse(text);
    expect(record.discovery).toBeUndefined();
    expect(record.issuer).toBe('https://auth.example/[redacted]/');
    // No longer covering the URL, the login is refused rather than sent anywhere.
    expect(await s.read(url)).toEqual({ kind: 'unusable', reason: 'the stored tokens were issued for another resource' });

    // A discovery that holds no query value is kept, as before.
    const plain = 'https://mcp.example/api/mcp?api_key=sk-live-0123456789';
    const clean = { ...discovery, resourceMetadataUrl: 'https://mcp.example/.well-known/oauth-protected-resource' };
    await s.write(login(plain, { discovery: clean }));
    expect(JSON.parse(readFileSync(s.fileFor(plain), 'utf8')).discovery).toEqual(clean);
    expect(await s.read(plain)).toMatchObject({ kind: 'found', login: { discovery: clean } });

    // A query value the URL also holds outside its query is shown with it anyway: not taken out of
    // what the servers published, which would leave the login unusable.
    const tenant = 'https://eu-west-1.mcp.example.com/tenants/acme-corp/mcp?tenant=acme-corp&region=eu-west-1';
    const published = { ...clean, resourceMetadataUrl: 'https://eu-west-1.mcp.example.com/.well-known/oauth-protected-resource/tenants/acme-corp/mcp' };
    const issuer = 'https://eu-west-1.auth.example.com/';
    await s.write(login(tenant, { resource: 'https://eu-west-1.mcp.example.com/tenants/acme-corp/mcp', issuer, discovery: published }));
    expect(await s.read(tenant)).toMatchObject({ kind: 'found', login: { issuer, discovery: published } });
  });

  it('a record that does not parse is unusable, never a crash', async () => {
    const s = store();
    await s.write(login());
    const { writeFileSync } = await import('node:fs');
    writeFileSync(s.fileFor(login().url), '{"mcpLogin": ');
    expect(await s.read(login().url)).toMatchObject({ kind: 'unusable', reason: expect.stringContaining('is not valid JSON') });
  });
});

describe('StoredLoginProvider', () => {
  it('saves refreshed tokens; a refused login is dropped only while it is still the one stored', async () => {
    const s = store();
    await s.write(login());
    const found = await s.read(login().url);
    if (found.kind !== 'found') throw new Error('no login');
    const stale = new StoredLoginProvider(s, found.login, () => 2_000_000);
    const fresh = new StoredLoginProvider(s, found.login, () => 2_000_000);
    // Another mcpm refreshed first; this one's refusal must not drop those fresh tokens.
    await fresh.saveTokens({ access_token: 'access-token-two', token_type: 'Bearer', refresh_token: 'refresh-token-two' });
    await stale.invalidateCredentials('tokens');
    expect(stale.refusal).toBe('invalid_grant');
    const after = await s.read(login().url);
    expect(after.kind === 'found' && after.login.tokens?.access_token).toBe('access-token-two');
    expect(after.kind === 'found' && after.login.obtainedAt).toBe(2_000_000);
    // Refused while still stored: dropped, the rest of the login kept.
    await fresh.invalidateCredentials('tokens');
    const ended = await s.read(login().url);
    expect(ended.kind === 'found' && ended.login.tokens).toBeUndefined();
    expect(ended.kind === 'found' && ended.login.client).toEqual({ client_id: 'client-1' });
  });

  it('never starts a sign-in, and redacts every token it held', async () => {
    const s = store();
    const provider = new StoredLoginProvider(s, login(), () => 0);
    expect(() => provider.redirectToAuthorization()).toThrow(/sign-in is needed/);
    expect(() => provider.saveCodeVerifier()).toThrow(/sign-in is needed/);
    expect(provider.redact('a access-token-one b refresh-token-one')).toBe('a [redacted] b [redacted]');
    // Given back encoded, as a hostile server's error message may: redacted all the same.
    const base64 = Buffer.from('access-token-one').toString('base64');
    const hex = Buffer.from('refresh-token-one').toString('hex');
    const redacted = provider.redact(`x ${base64} ${hex} y`);
    expect(redacted).not.toContain(base64.slice(0, 16));
    expect(redacted).not.toContain(hex);
    expect(redacted.match(/\[redacted\]/g)).toHaveLength(2);
    expect('saveClientInformation' in provider).toBe(false);
    // A token got after the first redaction is redacted too, with the ones held before.
    await provider.saveTokens({ access_token: 'access-token-three', token_type: 'Bearer' });
    expect(provider.redact('c access-token-three d access-token-one')).toBe('c [redacted] d [redacted]');
  });
});

describe('the OS keychain', () => {
  // Linux: pointing D-Bus nowhere makes sure no real Secret Service is touched, here or elsewhere.
  it.runIf(process.platform === 'linux')('falls back to the file when there is none, and fails when it was required', async () => {
    const saved = process.env['DBUS_SESSION_BUS_ADDRESS'];
    process.env['DBUS_SESSION_BUS_ADDRESS'] = 'unix:path=/nonexistent/mcpm-test-bus';
    try {
      const auto = store('auto');
      const written = await auto.write(login());
      expect(written.place).toBe('file');
      expect(written.keychainProblem).toMatch(/\S/);
      expect(await auto.read(login().url)).toMatchObject({ kind: 'found', place: 'file' });
      const required = store('keychain');
      const error = await required.write(login()).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(McpmError);
      expect((error as McpmError).code).toBe('TOKEN_STORE_FAILED');
      expect((error as McpmError).message).not.toContain('access-token-one');
    } finally {
      if (saved === undefined) delete process.env['DBUS_SESSION_BUS_ADDRESS'];
      else process.env['DBUS_SESSION_BUS_ADDRESS'] = saved;
    }
  });
});

describe('userTokenStore', () => {
  it('lives in mcpm\'s config directory, and takes MCPM_TOKEN_STORE', () => {
    expect(userTokenStore({ env: { HOME: '/h' }, platform: 'linux' })).toMatchObject({ dir: '/h/.config/mcpm/credentials', mode: 'auto' });
    expect(userTokenStore({ env: { HOME: '/h', XDG_CONFIG_HOME: '/x', MCPM_TOKEN_STORE: 'file' }, platform: 'linux' })).toMatchObject({ dir: '/x/mcpm/credentials', mode: 'file' });
    expect(() => userTokenStore({ env: { HOME: '/h', MCPM_TOKEN_STORE: 'plain' }, platform: 'linux' })).toThrow(/MCPM_TOKEN_STORE is "plain"/);
  });
});

describe('resourceCovers', () => {
  const segment = fc.stringMatching(/^[a-z0-9-]{1,8}$/);
  it('a resource covers its own URL and every path under it, on its origin only', () => {
    fc.assert(
      fc.property(fc.array(segment, { maxLength: 3 }), fc.array(segment, { maxLength: 3 }), (base, rest) => {
        const resource = `https://mcp.example/${base.join('/')}`;
        expect(resourceCovers(resource, `https://mcp.example/${[...base, ...rest].join('/')}`)).toBe(true);
        expect(resourceCovers(resource, `https://other.example/${[...base, ...rest].join('/')}`)).toBe(false);
        expect(resourceCovers(resource, `http://mcp.example/${[...base, ...rest].join('/')}`)).toBe(false);
      }),
    );
  });

  it('a sibling path or a longer name is not under it', () => {
    expect(resourceCovers('https://mcp.example/api', 'https://mcp.example/api2')).toBe(false);
    expect(resourceCovers('https://mcp.example/a/mcp', 'https://mcp.example/b/mcp')).toBe(false);
    expect(resourceCovers('not a url', 'https://mcp.example/')).toBe(false);
  });
});

it('a file record says where its secrets are and holds them under "secrets"', async () => {
  const s = store();
  await s.write(login());
  const text = readFileSync(s.fileFor(login().url), 'utf8');
  expect(JSON.parse(text)).toMatchObject({ mcpmLogin: 1, place: 'file', secrets: { tokens: { access_token: 'access-token-one' } } });
});
