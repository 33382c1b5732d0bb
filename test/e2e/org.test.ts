// An organisation's controls end to end: an allow-list published in a (local, bare) git repository,
// locks signed with SSH keys the test generates, and the real CLI refusing what either forbids.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { defs, mcpm, tempProject, tool, writeProject } from './helpers.js';

interface Status {
  name: string;
  status: string;
  denial?: string;
}
const servers = (out: string) => (JSON.parse(out) as { servers: Status[] }).servers;
const errorOf = (out: string) => (JSON.parse(out) as { error: { code: string; message: string } }).error;

function keygen(dir: string, name: string): { key: string; pub: string } {
  const key = join(dir, name);
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', name, '-f', key]);
  return { key, pub: readFileSync(`${key}.pub`, 'utf8').trim() };
}

/** A bare repository holding `files` on branch main, as a security group would publish them. */
function centralRepo(root: string, files: Record<string, string>): string {
  const work = join(root, 'work');
  const bare = join(root, 'policy.git');
  mkdirSync(work);
  const git = (cwd: string, ...args: string[]) => execFileSync('git', ['-c', 'user.name=sec', '-c', 'user.email=sec@example.com', '-c', 'init.defaultBranch=main', ...args], { cwd, env: { ...process.env, GIT_DIR: undefined } as NodeJS.ProcessEnv });
  git(root, 'init', '-q', '--bare', bare);
  git(work, 'init', '-q');
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(work, path, '..'), { recursive: true });
    writeFileSync(join(work, path), text);
  }
  git(work, 'add', '-A');
  git(work, 'commit', '-q', '-m', 'allow-list');
  git(work, 'push', '-q', bare, 'HEAD:refs/heads/main');
  return bare;
}

/** Two servers: "notes" runs the static fixture, "rogue" the same fixture under another argument. */
function twoServers(dir: string): void {
  writeProject(dir, {
    notes: { defs: defs([tool('add', 'Adds two numbers.')]), env: { FIXTURE_PID_FILE: join(dir, 'notes.pids') } },
    rogue: { defs: defs([tool('exfil', 'Sends files.')]), env: { FIXTURE_PID_FILE: join(dir, 'rogue.pids') }, args: ['--rogue'] },
  });
}

function allowlist(extra: Record<string, unknown> = {}): string {
  return JSON.stringify({ allowlistVersion: 1, allow: [{ command: ['node', '*/static.mjs'] }], guard: { deny: ['sampling'] }, ...extra }, null, 2);
}

describe('signed locks', () => {
  it('verify --require-signature passes a signed lock and refuses a missing, stale or untrusted signature', { timeout: 90_000 }, async () => {
    const dir = tempProject();
    const keys = tempProject();
    const alice = keygen(keys, 'alice');
    const mallory = keygen(keys, 'mallory');
    writeFileSync(join(keys, 'allowed_signers'), `alice@example.com namespaces="mcp.lock" ${alice.pub}\n`);
    writeProject(dir, { notes: { defs: defs([tool('add', 'Adds two numbers.')]) } });
    expect((await mcpm(['install', '-C', dir])).status).toBe(0);
    const verify = () => mcpm(['verify', '--offline', '-C', dir, '--require-signature', '--allowed-signers', join(keys, 'allowed_signers'), '--json']);

    const unsigned = await verify();
    expect(unsigned.status).toBe(2);
    expect(errorOf(unsigned.stdout)).toMatchObject({ code: 'SIGNATURE_MISSING', message: 'mcp.lock.sig does not exist: mcp.lock is not signed' });

    const signed = await mcpm(['sign', '-C', dir, '--key', alice.key]);
    expect(signed.status, signed.stderr).toBe(0);
    expect(readFileSync(join(dir, 'mcp.lock.sig'), 'utf8')).toMatch(/^-----BEGIN SSH SIGNATURE-----\n/);
    const good = await verify();
    expect(good.status, good.stderr).toBe(0);
    expect(JSON.parse(good.stdout)).toMatchObject({ signedBy: 'alice@example.com', exitStatus: 0 });

    // The attacker's lock, with the approved signature left beside it: a new server slipped in.
    writeProject(dir, { notes: { defs: defs([tool('add', 'Adds two numbers.')]) }, extra: { defs: defs([tool('x', 'X.')]) } });
    expect((await mcpm(['install', '-C', dir])).status).toBe(0);
    const stale = await verify();
    expect(stale.status).toBe(2);
    expect(errorOf(stale.stdout).code).toBe('SIGNATURE_STALE');

    // ...and signed again with a key the organisation does not trust.
    expect((await mcpm(['sign', '-C', dir, '--key', mallory.key])).status).toBe(0);
    const untrusted = await verify();
    expect(untrusted.status).toBe(2);
    expect(errorOf(untrusted.stdout).code).toBe('SIGNATURE_UNTRUSTED');

    // A signature alice made for something else (a git commit) is not one over a lock.
    const lock = readFileSync(join(dir, 'mcp.lock'));
    writeFileSync(join(dir, 'mcp.lock.sig'), execFileSync('ssh-keygen', ['-Y', 'sign', '-f', alice.key, '-n', 'git'], { input: lock, stdio: ['pipe', 'pipe', 'ignore'] }));
    const otherNamespace = await verify();
    expect(otherNamespace.status).toBe(2);
    expect(errorOf(otherNamespace.stdout).code).toMatch(/^SIGNATURE_(STALE|UNTRUSTED)$/);

    // A link committed in the signature's place: signing refuses it, and the file it points at is untouched.
    const victim = join(keys, 'victim');
    writeFileSync(victim, 'precious\n');
    rmSync(join(dir, 'mcp.lock.sig'));
    symlinkSync(victim, join(dir, 'mcp.lock.sig'));
    const linked = await mcpm(['sign', '-C', dir, '--key', alice.key]);
    expect(linked.status).toBe(2);
    expect(linked.stderr).toContain('mcp.lock.sig is a symbolic link; mcpm writes the signature only as a regular file');
    expect(readFileSync(victim, 'utf8')).toBe('precious\n');
  });
});

describe('an organisation allow-list from a git repository', () => {
  it('denies what it does not allow in verify, install and run, and keeps working from its cache offline', { timeout: 120_000 }, async () => {
    const root = tempProject();
    const keys = tempProject();
    const alice = keygen(keys, 'alice');
    const bare = centralRepo(root, {
      'mcp/mcp-allowlist.json': allowlist({ allowedSigners: 'allowed_signers' }),
      'mcp/allowed_signers': `alice@example.com ${alice.pub}\n`,
    });
    const env = { XDG_CACHE_HOME: join(root, 'cache') };
    const source = `git+file://${bare}#main:mcp`;
    const dir = tempProject();
    twoServers(dir);

    const installed = await mcpm(['install', '-C', dir, '--allowlist', source, '--json'], { env });
    expect(installed.status, installed.stderr).toBe(1);
    expect(servers(installed.stdout)).toEqual([
      expect.objectContaining({ name: 'notes', status: 'new', action: 'added' }),
      expect.objectContaining({ name: 'rogue', status: 'denied', denial: expect.stringContaining('does not allow the command "node ') }),
    ]);
    // Refused before anything started, and not locked.
    expect(existsSync(join(dir, 'rogue.pids'))).toBe(false);
    expect(readFileSync(join(dir, 'mcp.lock'), 'utf8')).not.toContain('"rogue"');

    const sarif = await mcpm(['verify', '--offline', '-C', dir, '--allowlist', source, '--format', 'sarif'], { env });
    expect(sarif.status).toBe(1);
    const results = (JSON.parse(sarif.stdout) as { runs: { results: { ruleId: string; message: { text: string } }[] }[] }).runs[0]!.results;
    expect(results).toContainEqual(expect.objectContaining({ ruleId: 'mcpm/denied', message: { text: expect.stringMatching(/^server "rogue": git\+file:.*#main:mcp @ [0-9a-f]{12} does not allow/) } }));

    // The environment default, as an admin would set it machine-wide.
    const run = await mcpm(['run', '-C', dir, 'rogue'], { env: { ...env, MCPM_ALLOWLIST: source } });
    expect(run.status).toBe(1);
    expect(run.stderr).toContain('mcpm: server "rogue" was not started: git+file://');
    expect(existsSync(join(dir, 'rogue.pids'))).toBe(false);

    // The repository goes away (a laptop on a plane): the cached commit still decides, and says so.
    renameSync(bare, `${bare}.gone`);
    const offline = await mcpm(['verify', '--offline', '-C', dir, '--allowlist', source, '--json', 'notes'], { env });
    expect(offline.status, offline.stderr).toBe(0);
    expect(offline.stderr).toMatch(/could not fetch .* using the cached commit [0-9a-f]{12}/);
    // mcpm run, started at every host session, takes a ref fetched minutes ago from the cache without asking.
    const cachedRun = await mcpm(['run', '-C', dir, 'rogue'], { env: { ...env, MCPM_ALLOWLIST: source } });
    expect(cachedRun.status).toBe(1);
    expect(cachedRun.stderr).toContain('was not started: git+file://');
    expect(cachedRun.stderr).not.toContain('could not fetch');
    // The cache is read-only: what the organisation published, not a place to edit it.
    const cached = execFileSync('find', [join(root, 'cache', 'mcpm', 'allowlists'), '-name', 'mcp-allowlist.json', '-perm', '0444']).toString();
    expect(cached).toContain('mcp-allowlist.json');

    // The list names the allowed signers: a lock signed by alice passes with nothing else given.
    expect((await mcpm(['sign', '-C', dir, '--key', alice.key])).status).toBe(0);
    const signed = await mcpm(['verify', '--offline', '-C', dir, '--allowlist', source, '--require-signature', '--json', 'notes'], { env });
    expect(signed.status, signed.stderr).toBe(0);
    expect(JSON.parse(signed.stdout)).toMatchObject({ signedBy: 'alice@example.com' });
  });

  it('a deny pattern wins over an allow rule, and a pinned launch locked with another integrity is denied', { timeout: 90_000 }, async () => {
    const dir = tempProject();
    twoServers(dir);
    expect((await mcpm(['install', '-C', dir])).status).toBe(0);
    const lock = JSON.parse(readFileSync(join(dir, 'mcp.lock'), 'utf8')) as { servers: Record<string, { integrity: string }> };
    const list = join(dir, 'list.json');
    writeFileSync(
      list,
      JSON.stringify({
        allowlistVersion: 1,
        allow: [{ command: ['node', '**'], integrity: lock.servers['notes']!.integrity }],
        deny: [{ command: ['node', '*', '--rogue'] }],
      }),
    );
    const verified = await mcpm(['verify', '--offline', '-C', dir, '--allowlist', list, '--json']);
    expect(verified.status).toBe(1);
    expect(servers(verified.stdout)).toEqual([
      expect.objectContaining({ name: 'notes', status: 'ok' }),
      expect.objectContaining({ name: 'rogue', status: 'denied', denial: expect.stringContaining('(deny pattern "node * --rogue")') }),
    ]);

    writeFileSync(list, JSON.stringify({ allowlistVersion: 1, allow: [{ command: ['node', '**'], integrity: `sha256-${'A'.repeat(43)}=` }] }));
    const pinned = await mcpm(['verify', '--offline', '-C', dir, '--allowlist', list, '--json', 'notes']);
    expect(pinned.status).toBe(1);
    expect(servers(pinned.stdout)[0]).toMatchObject({ status: 'denied', denial: expect.stringContaining(`pins the command "node `) });

    // approve and diff judge by the list too: a config change to the denied launch is neither started nor approved.
    writeFileSync(list, JSON.stringify({ allowlistVersion: 1, allow: [{ command: ['node', '**'] }], deny: [{ command: ['node', '*', '--rogue'] }] }));
    const config = JSON.parse(readFileSync(join(dir, '.mcp.json'), 'utf8')) as { mcpServers: Record<string, { env: Record<string, string> }> };
    config.mcpServers['rogue']!.env['MODE'] = 'changed';
    writeFileSync(join(dir, '.mcp.json'), JSON.stringify(config));
    rmSync(join(dir, 'rogue.pids'), { force: true });
    const approved = await mcpm(['approve', '--yes', '--json', '-C', dir, '--allowlist', list, 'rogue']);
    expect(approved.status).toBe(1);
    expect(JSON.parse(approved.stdout).servers[0]).toMatchObject({ name: 'rogue', status: 'denied', result: 'not-started', denial: expect.stringContaining('deny pattern') });
    const diffed = await mcpm(['diff', '-C', dir, '--allowlist', list, 'rogue']);
    expect(diffed.status).toBe(1);
    expect(existsSync(join(dir, 'rogue.pids'))).toBe(false);

    writeFileSync(list, '{"allowlistVersion": 1, "allow": [{"command": ["node"], "url": "https://x"}]}');
    const invalid = await mcpm(['verify', '--offline', '-C', dir, '--allowlist', list, '--json']);
    expect(invalid.status).toBe(2);
    expect(errorOf(invalid.stdout)).toMatchObject({ code: 'ALLOWLIST_INVALID', message: expect.stringContaining('allow[0]: needs exactly one of "command" or "url"') });
  });
});
