// Remote servers that sign in with OAuth, end to end through the real CLI: `mcpm login` against a
// loopback authorization server (the test's $BROWSER follows the redirect itself), then install,
// verify, diff and `mcpm run` from a guarded host entry with the stored login, a refresh after
// the token expired, a revoked login, a token kept from another resource, and a scan of every
// file mcpm wrote and everything it printed for the tokens (none outside the token store).
// Each for Streamable HTTP (`/mcp`) and the legacy HTTP+SSE transport (`/sse`).
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BROWSER_SCRIPT, leakedSecrets, loginFile, startOAuthServer, type OAuthFixture } from '../helpers/oauth-server.js';
import { TestHost } from '../helpers/test-host.js';
import { BIN, defs, mcpm, tempProject, tool, type RunResult } from './helpers.js';

let server: OAuthFixture;
let defsFile: string;

let defsDir: string;

beforeAll(async () => {
  defsDir = mkdtempSync(join(tmpdir(), 'mcpm-oauth-'));
  defsFile = join(defsDir, 'defs.json');
  writeFileSync(defsFile, JSON.stringify(defs([tool('echo', 'Echoes its arguments.')], { instructions: 'Be brief.' })));
  server = await startOAuthServer({ FIXTURE_DEFS: defsFile });
}, 30_000);
afterAll(async () => {
  await server?.stop();
  rmSync(defsDir, { recursive: true, force: true });
});

/** A dozen runs of mcpm each, a few seconds apiece on a loaded machine. */
const LONG = 180_000;

const TRANSPORTS = [
  { name: 'remote', type: 'http', path: '/mcp' },
  { name: 'legacy', type: 'sse', path: '/sse' },
] as const;

/** A user (HOME, XDG_CONFIG_HOME, XDG_STATE_HOME) and a project, the file token store, and a record of everything mcpm printed. */
function user(fixture: OAuthFixture = server) {
  const home = tempProject();
  const dir = join(home, 'project');
  mkdirSync(dir);
  const mcpServers = Object.fromEntries(TRANSPORTS.map((t) => [t.name, { type: t.type, url: `${fixture.rs}${t.path}` }]));
  mcpServers['other'] = { type: 'http', url: `${fixture.rs}/other/mcp` };
  writeFileSync(join(dir, '.mcp.json'), JSON.stringify({ mcpServers }, null, 2));
  const env = { HOME: home, XDG_CONFIG_HOME: join(home, '.config'), XDG_STATE_HOME: join(home, '.local', 'state'), MCPM_TOKEN_STORE: 'file', BROWSER: `${process.execPath} ${BROWSER_SCRIPT}` };
  const printed: string[] = [];
  const run = async (args: string[], extra: Record<string, string> = {}): Promise<RunResult> => {
    const result = await mcpm(args, { env: { ...env, ...extra } });
    printed.push(result.stdout, result.stderr);
    return result;
  };
  const credentials = join(home, '.config', 'mcpm', 'credentials');
  /** No token, code or client secret the server issued is in a file under HOME (but the store) or in anything printed. */
  const expectNoLeak = async (more: string[] = []) => {
    const secrets = await fixture.secrets();
    expect(secrets.length).toBeGreaterThan(0);
    expect(leakedSecrets(secrets, [...printed, ...more], [home], [credentials])).toEqual([]);
  };
  return { home, dir, env, run, credentials, printed, expectNoLeak };
}

/** The remote server of `u`'s config at `url` instead. */
function withUrl(u: ReturnType<typeof user>, url: string): void {
  const config = JSON.parse(readFileSync(join(u.dir, '.mcp.json'), 'utf8')) as { mcpServers: Record<string, Record<string, unknown>> };
  config.mcpServers['remote']!['url'] = url;
  writeFileSync(join(u.dir, '.mcp.json'), JSON.stringify(config));
}

function ok(result: RunResult, status = 0): RunResult {
  expect(result.status, `${result.stdout}\n${result.stderr}`).toBe(status);
  return result;
}

describe.each(TRANSPORTS)('an OAuth remote over $type', ({ name, path }) => {
  it('signs in, locks, verifies and diffs with the stored login; refreshes an expired token; a revoked login asks for mcpm login', async () => {
    const u = user();
    const url = `${server.rs}${path}`;

    const before = ok(await u.run(['install', name, '-C', u.dir]), 3);
    expect(before.stdout + before.stderr).toContain(`server "${name}" requires authorization (HTTP 401): no login is stored for it`);
    expect(before.stdout + before.stderr).toContain(`hint: sign in with "mcpm -C ${u.dir} login ${name}"`);

    const login = ok(await u.run(['login', name, '-C', u.dir]));
    expect(login.stdout).toContain(`signed in to "${name}" at ${server.rs}`);
    const record = loginFile(u.credentials, url);
    expect(statSync(u.credentials).mode & 0o777).toBe(0o700);
    expect(statSync(record).mode & 0o777).toBe(0o600);
    const stored = () => JSON.parse(readFileSync(record, 'utf8')) as { resource: string; secrets: { tokens?: { access_token: string } } };
    expect(stored().resource).toBe(url);
    const firstToken = stored().secrets.tokens!.access_token;
    // The scan below would find the token if it were anywhere but here.
    expect((await server.secrets()).includes(firstToken)).toBe(true);

    const list = JSON.parse(ok(await u.run(['login', '--list', '--json'])).stdout) as { logins: { name: string; origin: string; place: string; state: string; refreshable: boolean }[] };
    expect(list.logins).toEqual([{ name, origin: server.rs, place: 'file', state: 'valid', refreshable: true, expiresAt: expect.any(String) }]);

    ok(await u.run(['install', name, '-C', u.dir]));
    const lock = JSON.parse(readFileSync(join(u.dir, 'mcp.lock'), 'utf8')) as { servers: Record<string, { snapshot: { tools: Record<string, unknown> } }> };
    expect(Object.keys(lock.servers[name]!.snapshot.tools)).toEqual(['echo']);

    // Expired: the server answers 401, the refresh token gets a new pair, the command goes on.
    await server.expire();
    ok(await u.run(['verify', name, '-C', u.dir]));
    const renewed = stored().secrets.tokens!.access_token;
    expect(renewed).not.toBe(firstToken);
    const log = (await server.log()).filter((r) => r.path === path || r.path === '/messages');
    expect(log.some((r) => r.token === firstToken && r.status === 401)).toBe(true);
    expect(log.at(-1)!.token).toBe(renewed);
    ok(await u.run(['diff', name, '-C', u.dir]));

    // Revoked: no refresh works any more; the login ends and the hint says to sign in again.
    await server.revoke();
    const revoked = ok(await u.run(['verify', name, '-C', u.dir]), 3);
    expect(revoked.stdout + revoked.stderr).toContain(`server "${name}" requires authorization (HTTP 401): the stored login was refused and could not be renewed (invalid_grant)`);
    expect(revoked.stdout + revoked.stderr).toContain(`login ${name}"`);
    expect(stored().secrets.tokens).toBeUndefined();
    expect((JSON.parse(ok(await u.run(['login', '--list', '--json'])).stdout) as typeof list).logins[0]!.state).toBe('signed-out');

    ok(await u.run(['logout', name, '-C', u.dir]));
    expect(() => statSync(record)).toThrow();
    await u.expectNoLeak();
  }, LONG);

  it('runs from a guarded host entry end to end: renews an expired token mid-session, tells the host to sign in once revoked; --undo restores', async () => {
    const u = user();
    const cursorConfig = join(u.home, '.cursor', 'mcp.json');
    mkdirSync(join(u.home, '.cursor'));
    const original = `${JSON.stringify({ mcpServers: { [name]: { url: `${server.rs}${path}`, ...(path === '/sse' ? { type: 'sse' } : {}), auth: { scopes: ['mcp'] } } } }, null, 2)}\n`;
    writeFileSync(cursorConfig, original);

    ok(await u.run(['--host', 'cursor', 'login', name]));
    ok(await u.run(['install', '--host', 'cursor']));
    const guarded = JSON.parse(ok(await u.run(['guard', '--host', 'cursor', '--json'])).stdout) as { files: { servers: { name: string; action: string; reason?: string }[] }[] };
    expect(guarded.files[0]!.servers[0]).toMatchObject({ name, action: 'guarded', reason: expect.stringContaining(`run "mcpm login ${name}" once`) });
    const entry = (JSON.parse(readFileSync(cursorConfig, 'utf8')) as { mcpServers: Record<string, { command: string; args: string[]; auth?: unknown }> }).mcpServers[name]!;
    expect(entry.auth).toBeUndefined();
    expect(entry.args.slice(0, 2)).toEqual([BIN, 'run']);

    // The host starts the guarded entry with a small environment: its own HOME, nothing else of ours.
    const hostEnv = { HOME: u.home, XDG_CONFIG_HOME: u.env.XDG_CONFIG_HOME, MCPM_TOKEN_STORE: 'file' };
    const host = TestHost.spawn(entry.command, entry.args, { env: hostEnv, timeoutMs: 20_000 });
    const init = await host.initialize();
    expect((init['result'] as Record<string, unknown>)['instructions']).toBe('Be brief.');
    expect(await host.request('tools/list')).toMatchObject({ result: { tools: [{ name: 'echo' }] } });
    expect(await host.request('tools/call', { name: 'echo', arguments: { n: 1 } })).toMatchObject({ result: { content: [{ text: 'called echo with {"n":1}' }] } });
    await server.expire();
    expect(await host.request('tools/call', { name: 'echo', arguments: { n: 2 } })).toMatchObject({ result: { content: [{ text: 'called echo with {"n":2}' }] } });
    expect((await host.close()).code).toBe(0);

    await server.revoke();
    const refused = TestHost.spawn(entry.command, entry.args, { env: hostEnv, timeoutMs: 20_000 });
    const answer = await refused.initialize();
    const message = (answer['error'] as { message: string }).message;
    expect(message).toContain(`requires authorization (HTTP 401); sign in with "mcpm --host cursor`);
    expect(message).toContain(`login ${name}"`);
    await refused.close();

    ok(await u.run(['guard', '--host', 'cursor', '--undo']));
    expect(readFileSync(cursorConfig, 'utf8')).toBe(original);
    await u.expectNoLeak([host.received.toString(), host.stderr, refused.received.toString(), refused.stderr]);
  }, LONG);
});

describe('a token goes to the server it was issued for, only', () => {
  it('is not sent to another URL of the same origin; a record moved to another URL or resource is refused, by mcpm or by the server', async () => {
    const u = user();
    const remoteUrl = `${server.rs}/mcp`;
    const otherUrl = `${server.rs}/other/mcp`;
    ok(await u.run(['login', 'remote', '-C', u.dir]));
    const remoteRecord = readFileSync(loginFile(u.credentials, remoteUrl), 'utf8');
    const token = (JSON.parse(remoteRecord) as { secrets: { tokens: { access_token: string } } }).secrets.tokens.access_token;
    const toOther = async () => (await server.log()).filter((r) => r.path === '/other/mcp');

    const noLogin = ok(await u.run(['install', 'other', '-C', u.dir]), 3);
    expect(noLogin.stdout).toContain('requires authorization (HTTP 401): no login is stored for it');
    expect((await toOther()).every((r) => r.token === null)).toBe(true);

    // The record copied under the other URL: its tokens were issued for /mcp, so mcpm keeps them.
    const otherRecord = loginFile(u.credentials, otherUrl);
    writeFileSync(otherRecord, remoteRecord, { mode: 0o600 });
    const kept = ok(await u.run(['install', 'other', '-C', u.dir]), 3);
    expect(kept.stdout).toContain('its stored login cannot be used: the stored login is for another URL');
    // Edited to claim the other URL (by its hash, which the record is matched by): the resource check refuses it.
    const claimed = (record: string, url: string) => record.replace(/"urlHash": "[0-9a-f]{64}"/, `"urlHash": ${JSON.stringify(createHash('sha256').update(url).digest('hex'))}`);
    writeFileSync(otherRecord, claimed(remoteRecord, otherUrl), { mode: 0o600 });
    const otherResource = ok(await u.run(['install', 'other', '-C', u.dir]), 3);
    expect(otherResource.stdout).toContain('the stored tokens were issued for another resource');
    expect((await toOther()).some((r) => r.token === token)).toBe(false);

    // Claimed for /other/mcp by hand: mcpm sends it, the server refuses it (audience), and the
    // authorization server refuses to refresh it for a resource it was not granted for.
    writeFileSync(otherRecord, claimed(remoteRecord.replaceAll(JSON.stringify(remoteUrl), JSON.stringify(otherUrl)), otherUrl), { mode: 0o600 });
    const refused = ok(await u.run(['install', 'other', '-C', u.dir]), 3);
    expect(refused.stdout).toContain('the stored login was refused and could not be renewed (invalid_grant)');
    expect((await toOther()).filter((r) => r.token === token).every((r) => r.status === 401)).toBe(true);
    expect((await toOther()).some((r) => r.token === token)).toBe(true);
    await u.expectNoLeak();
  }, LONG);
});

describe('a server that shows the token it was sent', () => {
  it('is not locked: the token of mcpm login goes into no lock and no output', async () => {
    const reflecting = await startOAuthServer({ FIXTURE_DEFS: defsFile, FIXTURE_OAUTH_REFLECT_TOKEN: '1' });
    try {
      const u = user(reflecting);
      ok(await u.run(['login', 'remote', '-C', u.dir]));
      const refused = ok(await u.run(['install', 'remote', '-C', u.dir, '--json']), 3);
      const out = JSON.parse(refused.stdout) as { servers: { name: string; error?: { code: string; message: string } }[] };
      expect(out.servers[0]).toMatchObject({ name: 'remote', error: { code: 'SERVER_SECRET_REFLECTED', message: expect.stringContaining('shows the value of a token of "mcpm login"') } });
      expect(() => statSync(join(u.dir, 'mcp.lock'))).toThrow();
      await u.expectNoLeak();
    } finally {
      await reflecting.stop();
    }
  }, LONG);
});

describe('mcpm login of a URL with a key in its query', () => {
  it('signs in and locks; the key is in no file mcpm writes, the credential record included', async () => {
    const u = user();
    const key = 'SEKRET-0123456789';
    withUrl(u, `${server.rs}/mcp?api_key=${key}`);
    ok(await u.run(['login', 'remote', '-C', u.dir]));
    ok(await u.run(['install', 'remote', '-C', u.dir]));
    ok(await u.run(['verify', 'remote', '-C', u.dir]));
    const { readdirSync } = await import('node:fs');
    const written = [join(u.dir, 'mcp.lock'), ...readdirSync(u.credentials).map((f) => join(u.credentials, f))];
    for (const file of written) expect(readFileSync(file, 'utf8'), file).not.toContain(key);
    expect(u.printed.join('')).not.toContain(key);
    ok(await u.run(['logout', 'remote', '-C', u.dir]));
    expect(readdirSync(u.credentials).filter((f) => f.endsWith('.json'))).toEqual([]);
  }, LONG);

  it('a sign-in that fails does not print the key: the SDK\'s words quote the URL whole', async () => {
    const elsewhere = await startOAuthServer({ FIXTURE_DEFS: defsFile, FIXTURE_OAUTH_PUBLISHED_RESOURCE: '/other/mcp' });
    try {
      const u = user(elsewhere);
      const key = 'SEKRET-0123456789';
      withUrl(u, `${elsewhere.rs}/mcp?api_key=${key}`);
      for (const args of [['login', 'remote', '-C', u.dir], ['login', 'remote', '-C', u.dir, '--json']]) {
        const failed = await u.run(args);
        expect(failed.status).not.toBe(0);
        expect(failed.stdout + failed.stderr).toContain(`does not match expected ${elsewhere.rs}/mcp?api_key=[redacted]`);
        expect(failed.stdout + failed.stderr).not.toContain(key);
      }
    } finally {
      await elsewhere.stop();
    }
  }, LONG);
});

describe('mcpm login of a server configured otherwise than the lock says', () => {
  it('says so before signing in: the login goes where nobody has approved', async () => {
    const u = user();
    ok(await u.run(['login', 'remote', '-C', u.dir]));
    ok(await u.run(['install', 'remote', '-C', u.dir]));
    const config = JSON.parse(readFileSync(join(u.dir, '.mcp.json'), 'utf8')) as { mcpServers: Record<string, Record<string, unknown>> };
    config.mcpServers['remote']!['oauth'] = { scopes: 'admin' };
    writeFileSync(join(u.dir, '.mcp.json'), JSON.stringify(config));
    const again = ok(await u.run(['login', 'remote', '-C', u.dir]));
    expect(again.stderr).toContain('mcpm: warning: server "remote" is configured otherwise than mcp.lock says (the sign-in settings differ): this login goes where nobody has approved; "mcpm diff remote" shows the change');
  }, LONG);
});

/** `mcpm login remote --no-browser` with `args`: the authorization URL it prints, and its end. */
async function loginWithoutBrowser(u: ReturnType<typeof user>, args: string[] = []): Promise<{ url: string; stderr: () => string; ended: Promise<{ status: number | null; stdout: string; stderr: string }> }> {
  const child = spawn(process.execPath, [BIN, 'login', 'remote', '-C', u.dir, '--no-browser', ...args], {
    env: { ...process.env, ...u.env, BROWSER: '/nonexistent/browser', NO_COLOR: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  let stdout = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  const ended = new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve) => child.once('close', (status) => resolve({ status, stdout, stderr })));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no URL printed: ${stderr}`)), 20_000);
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
      const match = /^ {2}(http:\/\/\S+)$/m.exec(stderr);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]!);
      }
    });
  });
  return { url, stderr: () => stderr, ended };
}

describe('mcpm login without a browser', () => {
  it('--no-browser prints the URL and waits for the redirect (here: followed by the test)', async () => {
    const u = user();
    const { url, stderr, ended } = await loginWithoutBrowser(u);
    expect(stderr()).toContain('To sign in to "remote", open this URL in a browser on this machine:');
    const authorize = new URL(url);
    expect(authorize.origin).toBe(server.as);
    expect(authorize.searchParams.get('code_challenge_method')).toBe('S256');
    expect(authorize.searchParams.get('resource')).toBe(`${server.rs}/mcp`);
    expect(authorize.searchParams.get('redirect_uri')).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/callback$/);
    await (await fetch(url)).text();
    const { status, stdout } = await ended;
    expect(status, stderr()).toBe(0);
    expect(stdout).toContain('signed in to "remote"');
  });

  it('an authorization server that ends the sign-in naming the URL with its key: the key is not printed, nor part of it', async () => {
    const u = user();
    const key = 'SEKRET-0123456789abcdefghijklmnopqrstuvwxyz';
    withUrl(u, `${server.rs}/mcp?api_key=${key}`);
    const { url, ended } = await loginWithoutBrowser(u, ['--json']);
    // The redirect an authorization server sends when it refuses: its own words quote the URL.
    const authorize = new URL(url);
    const redirect = new URL(authorize.searchParams.get('redirect_uri')!);
    redirect.searchParams.set('state', authorize.searchParams.get('state')!);
    redirect.searchParams.set('error', 'invalid_target');
    // The key from the 190th character on: the description is cut at 200 when it is shown.
    const named = `resource ${server.rs}/mcp?api_key=`;
    redirect.searchParams.set('error_description', `${'x'.repeat(189 - named.length)} ${named}${key} is not registered`);
    await (await fetch(redirect)).text();
    const { status, stdout, stderr } = await ended;
    expect(status).toBe(3); // SERVER_AUTH_REQUIRED
    expect(JSON.parse(stdout).error.message).toContain(`mcp?api_key=[redacted]`);
    expect(stdout + stderr).not.toContain(key.slice(0, 8));
  });
});
