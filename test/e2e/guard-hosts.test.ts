// Host configs end to end: `--host`, `mcpm guard` and `--undo` through the real CLI, with HOME
// pointed at a temp dir, and a guarded entry launched exactly as a host would launch it.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, readFileSync, realpathSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { HOSTS, type HostName } from '../../src/adapters/hosts/index.js';
import { sidecarPath } from '../../src/adapters/hosts/sidecar-path.js';
import { HOST_FIXTURES, hostFixture, hostFixturePath } from '../helpers/host-fixtures.js';
import { TestHost } from '../helpers/test-host.js';
import { BIN, defs, mcpm, SERVERS, tempProject, tool, type RunResult } from './helpers.js';

/** A temp HOME and the env that makes mcpm (and the host paths) use it. */
function tempHome(): { home: string; env: Record<string, string> } {
  const home = realpathSync(tempProject());
  return { home, env: { HOME: home, XDG_CONFIG_HOME: '', XDG_STATE_HOME: '', CODEX_HOME: '', CLAUDE_CONFIG_DIR: '', APPDATA: '' } };
}

/** Where guard keeps the originals of `config`: mcpm's state directory under the temp HOME. */
function sidecarOf(config: string, home: string): string {
  return sidecarPath(config, { HOME: home }, 'linux')!;
}

function userFile(host: HostName, home: string): string {
  return HOSTS.find((h) => h.name === host)!.userFiles({ env: { HOME: home }, platform: 'linux' })[0]!;
}

function put(file: string, text: string): void {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, text);
}

function ok(result: RunResult, status = 0): RunResult {
  expect(result.status, `stdout: ${result.stdout}\nstderr: ${result.stderr}`).toBe(status);
  return result;
}

interface GuardJson {
  files: { config: string; host: string; servers: { name: string; action: string; reason?: string }[] }[];
  problems: string[];
}

describe('mcpm guard on Claude Desktop', () => {
  it('locks the desktop servers, guards them, and the host reaches the server through mcpm run from /', async () => {
    const { home, env } = tempHome();
    const config = userFile('claude-desktop', home);
    const defsFile = join(home, 'defs.json');
    writeFileSync(defsFile, JSON.stringify(defs([tool('add', 'Adds two numbers.', { a: { type: 'number' } }), tool('echo', 'Echoes.')])));
    const original = `{
  "globalShortcut": "Ctrl+Space",
  "mcpServers": {
    "calc": {
      "command": ${JSON.stringify(process.execPath)},
      "args": [${JSON.stringify(join(SERVERS, 'static.mjs'))}],
      "env": { "FIXTURE_DEFS": ${JSON.stringify(defsFile)} }
    }
  },
  "preferences": { "menuBarEnabled": true }
}
`;
    put(config, original);

    ok(await mcpm(['install', '--host', 'claude-desktop'], { env, cwd: home }));
    const lock = join(home, '.config', 'mcpm', 'claude-desktop.lock');
    expect(JSON.parse(readFileSync(lock, 'utf8')).servers.calc.launch.command).toBe(process.execPath);

    const guarded = JSON.parse(ok(await mcpm(['guard', '--host', 'claude-desktop', '--json'], { env, cwd: home })).stdout) as GuardJson;
    expect(guarded.files[0]!.servers).toEqual([{ name: 'calc', action: 'guarded' }]);
    const text = readFileSync(config, 'utf8');
    const entry = JSON.parse(text).mcpServers.calc as { command: string; args: string[]; env: Record<string, string> };
    expect(entry).toEqual({
      command: realpathSync(process.execPath),
      args: [realpathSync(BIN), 'run', '--host', 'claude-desktop', '--config', config, '--lockfile', lock, '--', 'calc'],
      env: { FIXTURE_DEFS: defsFile },
    });
    expect(JSON.parse(text).preferences).toEqual({ menuBarEnabled: true });
    const sidecar = sidecarOf(config, home);
    expect(statSync(sidecar).mode & 0o777).toBe(0o600);

    // As Claude Desktop launches it: the command as written, from /, with its env and no useful PATH.
    const host = TestHost.spawn(entry.command, entry.args, { cwd: '/', env: { ...entry.env, HOME: home, PATH: '/nonexistent' } });
    const init = await host.initialize();
    expect(init['result']).toMatchObject({ serverInfo: { name: 'fixture', version: '1.0.0' } });
    const list = await host.request('tools/list', {});
    expect((list['result'] as { tools: { name: string }[] }).tools.map((t) => t.name)).toEqual(['add', 'echo']);
    expect(await host.close()).toEqual({ code: 0, signal: null });

    // The lock still describes the real server: mcpm reads the guarded entry through the sidecar.
    ok(await mcpm(['verify', '--offline', '--host', 'claude-desktop'], { env, cwd: home }));

    // Idempotent: nothing changes the second time.
    const again = JSON.parse(ok(await mcpm(['guard', '--host', 'claude-desktop', '--json'], { env, cwd: home })).stdout) as GuardJson;
    expect(again.files[0]!.servers).toEqual([{ name: 'calc', action: 'unchanged', reason: 'already guarded' }]);
    expect(readFileSync(config, 'utf8')).toBe(text);

    ok(await mcpm(['guard', '--host', 'claude-desktop', '--undo'], { env, cwd: home }));
    expect(readFileSync(config, 'utf8')).toBe(original);
    expect(existsSync(sidecar)).toBe(false);
  });

  it('a server missing from the lock is not started through the guard: the host gets the reason', async () => {
    const { home, env } = tempHome();
    const config = userFile('claude-desktop', home);
    const defsFile = join(home, 'defs.json');
    writeFileSync(defsFile, JSON.stringify(defs([tool('add', 'Adds two numbers.')])));
    put(config, JSON.stringify({ mcpServers: { calc: { command: process.execPath, args: [join(SERVERS, 'static.mjs')], env: { FIXTURE_DEFS: defsFile } } } }, null, 2));
    ok(await mcpm(['guard', '--host', 'claude-desktop'], { env, cwd: home }), 1); // not locked yet: a warning, exit 1
    const entry = JSON.parse(readFileSync(config, 'utf8')).mcpServers.calc as { command: string; args: string[]; env: Record<string, string> };
    const host = TestHost.spawn(entry.command, entry.args, { cwd: '/', env: { ...entry.env, HOME: home } });
    const response = await host.request('initialize', { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 't', version: '1' } }, 0);
    expect(JSON.stringify(response['error'])).toMatch(/not started: .*claude-desktop\.lock does not exist/);
    await host.waitForExit();
  });
});

let httpServer: ChildProcess | undefined;
afterEach(() => {
  httpServer?.kill('SIGKILL');
  httpServer = undefined;
});

/** http-static.mjs on a loopback port, requiring "Authorization: Bearer <token>". */
function startHttpServer(defsFile: string, token: string): Promise<number> {
  // stdin is a pipe: the fixture exits when its stdin ends.
  const child = spawn(process.execPath, [join(SERVERS, 'http-static.mjs')], {
    env: { ...process.env, FIXTURE_DEFS: defsFile, FIXTURE_HTTP_TOKEN: token },
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  httpServer = child;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('http-static did not start')), 10_000);
    child.stdout.setEncoding('utf8').once('data', (line: string) => {
      clearTimeout(timer);
      resolve(Number(/PORT (\d+)/.exec(line)?.[1]));
    });
  });
}

type Entry = { command: string; args: string[]; env?: Record<string, string> };

async function toolsThrough(entry: Entry, env: Record<string, string>): Promise<string[]> {
  const host = TestHost.spawn(entry.command, entry.args, { cwd: '/', env });
  await host.initialize();
  const list = await host.request('tools/list', {});
  expect(await host.close()).toEqual({ code: 0, signal: null });
  return (list['result'] as { tools: { name: string }[] }).tools.map((t) => t.name);
}

describe('mcpm guard: variables', () => {
  it('env values the host expands reach the server as the host expanded them (Claude Code ${VAR})', async () => {
    const { home, env } = tempHome();
    const defsFile = join(home, 'defs.json');
    writeFileSync(defsFile, JSON.stringify(defs([tool('lookup', 'Looks up.')])));
    const config = userFile('claude-code', home);
    put(config, JSON.stringify({ numStartups: 3, mcpServers: { calc: { type: 'stdio', command: process.execPath, args: [join(SERVERS, 'static.mjs')], env: { FIXTURE_DEFS: '${DEFS_PATH}' } } } }, null, 2));
    ok(await mcpm(['install', '--host', 'claude-code'], { env: { ...env, DEFS_PATH: defsFile }, cwd: home }));
    ok(await mcpm(['guard', '--host', 'claude-code'], { env, cwd: home }));
    const entry = JSON.parse(readFileSync(config, 'utf8')).mcpServers.calc as Entry;
    expect(entry.env).toEqual({ FIXTURE_DEFS: '${DEFS_PATH}' });
    // Claude Code expands the entry's env and starts mcpm run with it; DEFS_PATH itself is not passed on.
    expect(await toolsThrough(entry, { HOME: home, FIXTURE_DEFS: defsFile })).toEqual(['lookup']);
  });

  it('a Streamable HTTP remote becomes a stdio entry; its header variable is forwarded (Cursor ${env:VAR})', async () => {
    const { home, env } = tempHome();
    const defsFile = join(home, 'defs.json');
    writeFileSync(defsFile, JSON.stringify(defs([tool('remote_tool', 'Served over HTTP.')])));
    const port = await startHttpServer(defsFile, 's3cret');
    const config = userFile('cursor', home);
    put(config, JSON.stringify({ mcpServers: { remote: { url: `http://127.0.0.1:${port}/mcp`, headers: { Authorization: 'Bearer ${env:MCP_TOKEN}' } } } }, null, 2));
    ok(await mcpm(['install', '--host', 'cursor'], { env: { ...env, MCP_TOKEN: 's3cret' }, cwd: home }));
    const lock = readFileSync(join(home, '.config', 'mcpm', 'cursor.lock'), 'utf8');
    expect(lock).not.toContain('s3cret');

    const result = JSON.parse(ok(await mcpm(['guard', '--host', 'cursor', '--json'], { env, cwd: home })).stdout) as GuardJson;
    expect(result.files[0]!.servers).toEqual([{ name: 'remote', action: 'guarded', reason: 'mcpm run connects to it over Streamable HTTP' }]);
    const entry = JSON.parse(readFileSync(config, 'utf8')).mcpServers.remote as Entry;
    expect(entry.env).toEqual({ MCP_TOKEN: '${env:MCP_TOKEN}' });
    expect(readFileSync(config, 'utf8')).not.toContain('url');
    // Cursor expands ${env:MCP_TOKEN} from its own environment into the entry's env.
    expect(await toolsThrough(entry, { HOME: home, MCP_TOKEN: 's3cret' })).toEqual(['remote_tool']);
  });
});

describe.each(Object.keys(HOST_FIXTURES) as HostName[])('mcpm guard --host %s', (hostName) => {
  it('rewrites the stdio servers, keeps everything else, reads the originals through the sidecar, and --undo restores byte for byte', async () => {
    const { home, env } = tempHome();
    const config = userFile(hostName, home);
    mkdirSync(dirname(config), { recursive: true });
    copyFileSync(hostFixturePath(hostName), config);
    const original = readFileSync(config, 'utf8');
    const before = JSON.parse(ok(await mcpm(['ls', '--host', hostName, '--json'], { env, cwd: home })).stdout) as { servers: { name: string; launch: unknown }[] };

    const result = JSON.parse(ok(await mcpm(['guard', '--host', hostName, '--json'], { env, cwd: home }), 1).stdout) as GuardJson;
    const actions = Object.fromEntries(result.files[0]!.servers.map((s) => [s.name, s.action]));
    expect(Object.values(actions)).toContain('guarded');
    // Remotes are guarded too (mcpm run connects to them), Streamable HTTP and legacy SSE alike.
    for (const remote of ['api', 'userjot', 'github', 'remote', 'httpServer', 'events']) if (remote in actions) expect(actions[remote], remote).toBe('guarded');
    if (hostName === 'zed') expect(actions['mcp-server-github']).toBe('skipped');
    // Nothing is locked yet: each guarded server is named with the command that locks it.
    expect(result.problems.length).toBe(Object.values(actions).filter((a) => a === 'guarded').length);
    expect(result.problems[0]).toContain(`mcpm install --host ${hostName}`);
    expect(readFileSync(config, 'utf8')).not.toBe(original);

    // What install, verify and run see is the original definitions, not "node mcpm.cjs run".
    const after = JSON.parse(ok(await mcpm(['ls', '--host', hostName, '--json'], { env, cwd: home })).stdout) as typeof before;
    expect(after.servers.map((s) => [s.name, s.launch])).toEqual(before.servers.map((s) => [s.name, s.launch]));

    ok(await mcpm(['guard', '--host', hostName, '--undo'], { env, cwd: home }));
    expect(readFileSync(config, 'utf8')).toBe(original);
    expect(existsSync(sidecarOf(config, home))).toBe(false);
  });
});

describe('mcpm guard: usage', () => {
  it('needs --host or --config', async () => {
    const { home, env } = tempHome();
    const result = ok(await mcpm(['guard'], { env, cwd: home }), 2);
    expect(result.stderr).toContain('mcpm guard needs --host NAME or --config FILE');
  });

  it('--config FILE guards that file, in the format its name says', async () => {
    const { home, env } = tempHome();
    const file = join(home, 'elsewhere', '.codex', 'config.toml');
    put(file, hostFixture('codex'));
    const original = readFileSync(file, 'utf8');
    const lock = join(home, 'codex.lock');
    ok(await mcpm(['guard', '--config', file, '--lockfile', lock], { env, cwd: home }), 1);
    expect(readFileSync(file, 'utf8')).toContain(`args = [${JSON.stringify(realpathSync(BIN))}, "run", "--config", ${JSON.stringify(file)}, "--lockfile", ${JSON.stringify(lock)}, "--", "docs"]`);
    ok(await mcpm(['guard', '--config', file, '--undo'], { env, cwd: home }));
    expect(readFileSync(file, 'utf8')).toBe(original);
  });

  it('a config path with a newline prints on one line, and the undo hint it prints works in a shell', async () => {
    const { home, env } = tempHome();
    // A cloned repository's directory name: what follows the newline must not print as a line of mcpm's.
    const dir = join(home, 'repo\nmcpm: every server is verified');
    const file = join(dir, '.mcp.json');
    const defsFile = join(home, 'defs.json');
    writeFileSync(defsFile, JSON.stringify(defs([tool('echo', 'Echoes.')])));
    const server = { command: process.execPath, args: [join(SERVERS, 'static.mjs')], env: { FIXTURE_DEFS: defsFile } };
    put(file, `${JSON.stringify({ mcpServers: { notes: server } }, null, 2)}\n`);
    const original = readFileSync(file, 'utf8');
    const lock = join(home, 'none.lock');
    const guarded = ok(await mcpm(['guard', '--config', file, '--lockfile', lock], { env, cwd: home }), 1);
    const lines = guarded.stdout.split('\n');
    expect(lines.some((l) => l.startsWith('mcpm: every server'))).toBe(false);
    const shown = `$'${home}/repo\\nmcpm: every server is verified/.mcp.json'`;
    expect(lines).toContain(`$'~/repo\\nmcpm: every server is verified/.mcp.json' (claude-code)`);
    // The hints' commands, run by a shell as a user would paste them: the lock's fix, then the undo.
    const fix = /run "(mcpm install .+)"$/m.exec(guarded.stdout)?.[1];
    expect(fix).toBe(`mcpm install --config ${shown} --lockfile ${lock}`);
    const hint = /Undo with "(mcpm guard .+ --undo)"/.exec(guarded.stdout)?.[1];
    expect(hint).toBe(`mcpm guard --config ${shown} --undo`);
    const inShell = (command: string) => spawnSync('bash', ['-c', `mcpm() { ${JSON.stringify(process.execPath)} ${JSON.stringify(BIN)} "$@"; }; ${command}`], { env: { ...process.env, ...env }, cwd: home, encoding: 'utf8' });
    const installed = inShell(fix!);
    expect(installed.status, installed.stderr).toBe(0);
    expect(readFileSync(lock, 'utf8')).toContain('"notes"');
    const undone = inShell(hint!);
    expect(undone.status, undone.stderr).toBe(0);
    expect(readFileSync(file, 'utf8')).toBe(original);
  });

  it('an error naming a path with a newline is one line: nothing after it reads as a line of mcpm\'s', async () => {
    const { home, env } = tempHome();
    const file = join(home, 'n\nmcpm: all servers verified', 'nope.json');
    const failed = ok(await mcpm(['guard', '--config', file], { env, cwd: home }), 2);
    expect(failed.stderr).toBe(`mcpm: ~/n⏎mcpm: all servers verified/nope.json: no such config file\nhint: check the path given to --config\n`);
  });

  it('guards run at once on one file keep every original: --undo restores it byte for byte', async () => {
    const { home, env } = tempHome();
    const file = join(home, 'proj', '.mcp.json');
    const names = ['a', 'b', 'c', 'd', 'e', 'f'];
    put(file, `${JSON.stringify({ mcpServers: Object.fromEntries(names.map((n) => [n, { command: 'npx', args: [`server-${n}`], env: { TOKEN: `tok-${n}` } }])) }, null, 2)}\n`);
    const original = readFileSync(file, 'utf8');
    const lock = join(home, 'none.lock');
    // One process per server, all at once: each reads the file and its sidecar, and writes both.
    const runs = await Promise.all(names.map((n) => mcpm(['guard', '--config', file, '--lockfile', lock, n], { env, cwd: home })));
    for (const run of runs) expect(run.status, run.stderr).toBe(1);
    const guarded = readFileSync(file, 'utf8');
    for (const n of names) expect(guarded).toContain(`"--", "${n}"`);
    const sidecar = readFileSync(sidecarOf(file, home), 'utf8');
    for (const n of names) expect(sidecar).toContain(`tok-${n}`);
    ok(await mcpm(['guard', '--config', file, '--undo'], { env, cwd: home }));
    expect(readFileSync(file, 'utf8')).toBe(original);
  });

  it('--undo says which env values edited in the guarded entry the original put back does not have', async () => {
    const { home, env } = tempHome();
    const file = join(home, 'proj', '.mcp.json');
    put(file, `${JSON.stringify({ mcpServers: { notes: { command: 'npx', args: ['notes'], env: { NOTES_TOKEN: 'old-token', REGION: 'eu' } } } }, null, 2)}\n`);
    const original = readFileSync(file, 'utf8');
    ok(await mcpm(['guard', '--config', file, '--lockfile', join(home, 'none.lock')], { env, cwd: home }), 1);
    // The user rotates the token where the host reads it now: in the guarded entry.
    writeFileSync(file, readFileSync(file, 'utf8').replace('old-token', 'new-rotated-token'));
    const undone = JSON.parse(ok(await mcpm(['guard', '--config', file, '--undo', '--json'], { env, cwd: home })).stdout) as GuardJson;
    expect(undone.files[0]!.servers).toEqual([{ name: 'notes', action: 'restored', reason: expect.stringContaining('(NOTES_TOKEN) are not in the original put back') }]);
    // The names only: the values are secrets.
    expect(JSON.stringify(undone)).not.toMatch(/rotated|old-token/);
    expect(readFileSync(file, 'utf8')).toBe(original);
  });

  it("keeps the originals of another project's local scope in ~/.claude.json when run from elsewhere", async () => {
    const { home, env } = tempHome();
    const proj = join(home, 'proj');
    mkdirSync(proj, { recursive: true });
    const file = join(home, '.claude.json');
    const server = (n: string) => ({ command: 'npx', args: [n], env: { TOKEN: `tok-${n}` } });
    put(file, `${JSON.stringify({ mcpServers: { a: server('user-a') }, projects: { [proj]: { mcpServers: { a: server('local-a') } } } }, null, 2)}\n`);
    const original = readFileSync(file, 'utf8');
    const lock = join(home, 'none.lock');
    ok(await mcpm(['guard', '--config', file, '--lockfile', lock], { env, cwd: proj }), 1);
    const guarded = readFileSync(file, 'utf8');
    expect(guarded).not.toContain('"local-a"');
    // From the home directory only the user scope is listed: the local original must stay.
    ok(await mcpm(['guard', '--config', file, '--lockfile', lock], { env, cwd: home }), 1);
    expect(readFileSync(sidecarOf(file, home), 'utf8')).toContain('tok-local-a');
    const away = JSON.parse(ok(await mcpm(['guard', '--config', file, '--undo', '--json'], { env, cwd: home })).stdout) as GuardJson;
    expect(away.files[0]!.servers).toEqual([{ name: 'a', action: 'restored' }]);
    expect(readFileSync(sidecarOf(file, home), 'utf8')).toContain('tok-local-a');
    ok(await mcpm(['guard', '--config', file, '--undo'], { env, cwd: proj }));
    expect(readFileSync(file, 'utf8')).toBe(original);
  });

  it('leaves a config its owner made read-only as it is', async () => {
    const { home, env } = tempHome();
    const file = join(home, 'proj', '.mcp.json');
    put(file, `${JSON.stringify({ mcpServers: { notes: { command: 'npx', args: ['notes'] } } }, null, 2)}\n`);
    chmodSync(file, 0o444);
    const original = readFileSync(file, 'utf8');
    const refused = ok(await mcpm(['guard', '--config', file, '--lockfile', join(home, 'none.lock')], { env, cwd: home }), 2);
    expect(refused.stderr).toContain('is read-only; it was left unchanged');
    expect(readFileSync(file, 'utf8')).toBe(original);
    expect(statSync(file).mode & 0o777).toBe(0o444);
    // Guarded while writable, then made read-only: a guard with nothing to change leaves it alone,
    // and says so, rather than refuse; an undo, which would write, is refused.
    chmodSync(file, 0o644);
    ok(await mcpm(['guard', '--config', file, '--lockfile', join(home, 'none.lock')], { env, cwd: home }), 1);
    const guarded = readFileSync(file, 'utf8');
    chmodSync(file, 0o444);
    const again = JSON.parse(ok(await mcpm(['guard', '--config', file, '--lockfile', join(home, 'none.lock'), '--json'], { env, cwd: home }), 1).stdout) as GuardJson;
    expect(again.files[0]!.servers).toEqual([{ name: 'notes', action: 'unchanged', reason: 'already guarded' }]);
    expect(ok(await mcpm(['guard', '--config', file, '--undo'], { env, cwd: home }), 2).stderr).toContain('is read-only; it was left unchanged');
    expect(readFileSync(file, 'utf8')).toBe(guarded);
  });

  it('a file named twice is guarded once, and --undo still restores it', async () => {
    const { home, env } = tempHome();
    const file = join(home, 'proj', '.cursor', 'mcp.json');
    put(file, hostFixture('cursor'));
    const original = readFileSync(file, 'utf8');
    const result = JSON.parse(ok(await mcpm(['guard', '--config', file, '--config', join(home, 'proj', '.', '.cursor', 'mcp.json'), '--json'], { env, cwd: home }), 1).stdout) as GuardJson;
    expect(result.files).toHaveLength(1);
    expect(existsSync(sidecarOf(file, home))).toBe(true);
    ok(await mcpm(['guard', '--config', file, '--undo'], { env, cwd: home }));
    expect(readFileSync(file, 'utf8')).toBe(original);
  });

  it('an entry guarded by another mcpm (moved, or another node) is pointed at this one, keeping its original', async () => {
    const { home, env } = tempHome();
    const config = userFile('cursor', home);
    const original = '{\n  "mcpServers": {\n    "a": { "command": "npx", "args": ["-y", "a-mcp@1.0.0"] }\n  }\n}\n';
    put(config, original);
    ok(await mcpm(['guard', '--host', 'cursor'], { env, cwd: home }), 1);
    // As if this mcpm had guarded it from another place: the entry and its record name an old path.
    const moved = readFileSync(config, 'utf8').replaceAll(JSON.stringify(realpathSync(BIN)), JSON.stringify('/old/mcpm/bin/mcpm.js'));
    writeFileSync(config, moved);
    const sidecar = sidecarOf(config, home);
    writeFileSync(sidecar, readFileSync(sidecar, 'utf8').replaceAll(JSON.stringify(realpathSync(BIN)), JSON.stringify('/old/mcpm/bin/mcpm.js')));
    // This mcpm does not read the old guard's original: the host would run the old mcpm, not this one.
    const before = JSON.parse(ok(await mcpm(['ls', '--host', 'cursor', '--json'], { env, cwd: home })).stdout) as { servers: { launch: { args: string[] } }[] };
    expect(before.servers[0]!.launch.args[0]).toBe('/old/mcpm/bin/mcpm.js');

    const result = JSON.parse(ok(await mcpm(['guard', '--host', 'cursor', '--json'], { env, cwd: home }), 1).stdout) as GuardJson;
    expect(result.files[0]!.servers).toEqual([{ name: 'a', action: 'updated', reason: 'now launched through this mcpm and lock' }]);
    const after = JSON.parse(ok(await mcpm(['ls', '--host', 'cursor', '--json'], { env, cwd: home })).stdout) as typeof before;
    expect(after.servers[0]!.launch).toMatchObject({ command: 'npx', args: ['-y', 'a-mcp@1.0.0'] });
    ok(await mcpm(['guard', '--host', 'cursor', '--undo'], { env, cwd: home }));
    expect(readFileSync(config, 'utf8')).toBe(original);
  });

  it('an entry that already launches mcpm run, under any of its names, is not wrapped again; another program called mcp-lock is', async () => {
    const { home, env } = tempHome();
    const config = userFile('cursor', home);
    const entries = {
      a: { command: 'mcp-lockfile', args: ['run', 'a'] },
      b: { command: '/usr/bin/node', args: ['/opt/mcpm/bin/mcpm.cjs', 'run', 'b'] },
      c: { command: 'mcpm.cmd', args: ['-C', '/p', 'run', 'c'] },
      d: { command: 'mcp-lock', args: ['run', 'd'] },
    };
    put(config, JSON.stringify({ mcpServers: entries }));
    const result = JSON.parse(ok(await mcpm(['guard', '--host', 'cursor', '--json'], { env, cwd: home }), 1).stdout) as GuardJson;
    const actions = Object.fromEntries(result.files[0]!.servers.map((s) => [s.name, s.action]));
    expect(actions).toEqual({ a: 'skipped', b: 'skipped', c: 'skipped', d: 'guarded' });
    expect(result.files[0]!.servers.find((s) => s.name === 'a')!.reason).toMatch(/^it already launches "mcpm run"/);
  });

  it('guards remotes that sign in with OAuth (the note says to run mcpm login); leaves those signing in with Google credentials', async () => {
    const { home, env } = tempHome();
    const config = userFile('gemini', home);
    put(
      config,
      JSON.stringify({
        mcpServers: {
          linear: { httpUrl: 'https://mcp.example/mcp', oauth: { enabled: true, clientId: 'c' } },
          events: { url: 'https://mcp.example/sse', authProviderType: 'dynamic_discovery' },
          vertex: { httpUrl: 'https://mcp.example/v', authProviderType: 'google_credentials' },
        },
      }),
    );
    const result = JSON.parse(ok(await mcpm(['guard', '--host', 'gemini', '--json'], { env, cwd: home }), 1).stdout) as GuardJson;
    const byName = Object.fromEntries(result.files[0]!.servers.map((s) => [s.name, s]));
    expect(byName['linear']).toMatchObject({ action: 'guarded', reason: expect.stringContaining('it signs in with OAuth, which the host no longer does for it: run "mcpm login linear" once') });
    expect(byName['events']).toMatchObject({ action: 'guarded', reason: expect.stringContaining('mcpm run connects to it over HTTP+SSE') });
    expect(byName['vertex']).toMatchObject({ action: 'skipped', reason: expect.stringContaining('"authProviderType": "google_credentials"') });
    const guarded = JSON.parse(readFileSync(config, 'utf8')) as { mcpServers: Record<string, Record<string, unknown>> };
    expect(Object.keys(guarded.mcpServers['linear']!).sort()).toEqual(['args', 'command']);
  });

  it('an unknown server name is USAGE and changes nothing', async () => {
    const { home, env } = tempHome();
    const config = userFile('cursor', home);
    put(config, hostFixture('cursor'));
    ok(await mcpm(['guard', 'nope', '--host', 'cursor'], { env, cwd: home }), 2);
    expect(existsSync(sidecarOf(config, home))).toBe(false);
  });
});

describe('mcpm ls --hosts', () => {
  it('lists the host configs found, with their servers, guarded ones and parse errors', async () => {
    const { home, env } = tempHome();
    const project = join(home, 'project');
    put(userFile('cursor', home), hostFixture('cursor'));
    put(userFile('gemini', home), '{ "mcpServers": { "x": } }');
    put(join(project, '.vscode', 'mcp.json'), hostFixture('vscode'));
    put(join(project, '.zed', 'settings.json'), hostFixture('zed'));
    // An editor's settings without servers is no MCP config: not listed.
    put(join(project, '.vscode', 'settings.json'), '{ "editor.tabSize": 2 }');
    ok(await mcpm(['guard', '--host', 'cursor'], { env, cwd: home }), 1);

    const json = JSON.parse(ok(await mcpm(['ls', '--hosts', '--json', '-C', project], { env, cwd: home })).stdout) as {
      hosts: { host: string; scope: string; path: string; found: boolean; servers: number | null; guarded: number | null; discovered: boolean; error: string | null }[];
    };
    const found = json.hosts.filter((h) => h.found);
    expect(found).toEqual([
      { host: 'cursor', scope: 'user', path: '~/.cursor/mcp.json', found: true, servers: 2, guarded: 2, discovered: false, error: null },
      { host: 'vscode', scope: 'project', path: '.vscode/mcp.json', found: true, servers: 2, guarded: 0, discovered: true, error: null },
      { host: 'gemini', scope: 'user', path: '~/.gemini/settings.json', found: true, servers: null, guarded: null, discovered: false, error: expect.stringMatching(/^~\/\.gemini\/settings\.json:1:\d+: /) as unknown as string },
      { host: 'zed', scope: 'project', path: '.zed/settings.json', found: true, servers: 3, guarded: 0, discovered: false, error: null },
    ]);
    expect(json.hosts.some((h) => h.host === 'claude-desktop' && !h.found)).toBe(true);

    const text = ok(await mcpm(['ls', '--hosts', '-C', project], { env, cwd: home })).stdout;
    expect(text).toContain('cursor  user     ~/.cursor/mcp.json  2 servers, 2 guarded');
    expect(text).toContain('(not read by discovery: pass --config)');
  });
});

describe('project discovery', () => {
  it('.cursor/mcp.json and .vscode/mcp.json are locked in one install', async () => {
    const dir = tempProject();
    const serve = (name: string) => {
      const file = join(dir, `${name}.defs.json`);
      writeFileSync(file, JSON.stringify(defs([tool(`${name}_tool`, `The ${name} tool.`)])));
      return { command: process.execPath, args: [join(SERVERS, 'static.mjs')], env: { FIXTURE_DEFS: file } };
    };
    put(join(dir, '.cursor', 'mcp.json'), JSON.stringify({ mcpServers: { alpha: serve('alpha') } }, null, 2));
    put(join(dir, '.vscode', 'mcp.json'), `// workspace servers\n{\n  "servers": {\n    "beta": ${JSON.stringify({ type: 'stdio', ...serve('beta') })}, // trailing comma next\n  },\n}\n`);
    ok(await mcpm(['install', '-C', dir]));
    const lock = JSON.parse(readFileSync(join(dir, 'mcp.lock'), 'utf8')) as { servers: Record<string, { snapshot: { tools: Record<string, unknown> } }> };
    expect(Object.keys(lock.servers)).toEqual(['alpha', 'beta']);
    expect(Object.keys(lock.servers['beta']!.snapshot.tools)).toEqual(['beta_tool']);
    ok(await mcpm(['verify', '--offline', '-C', dir]));
  });
});

// Each test runs mcpm six to ten times, most of them starting a server.
describe('more hosts: Continue, Claude Code plugins, VS Code settings.json', { timeout: 120_000 }, () => {
  /** A stdio entry serving the static fixture with `tools`, defs written to `defsFile`. */
  const fixtureEntry = (defsFile: string, tools: string[]) => {
    writeFileSync(defsFile, JSON.stringify(defs(tools.map((t) => tool(t, `The ${t} tool.`)))));
    return { command: process.execPath, args: [join(SERVERS, 'static.mjs')], env: { FIXTURE_DEFS: defsFile } };
  };

  it('Continue: config.yaml and block files are locked and verified; guard leaves YAML alone and guards a JSON block file', async () => {
    const { home, env } = tempHome();
    const yamlServer = fixtureEntry(join(home, 'yaml.defs.json'), ['from_yaml']);
    put(
      join(home, '.continue', 'config.yaml'),
      `# my Continue config\nname: Local\nversion: 1.0.0\nschema: v1\nmcpServers:\n  - name: yamlsrv\n    command: ${JSON.stringify(yamlServer.command)}\n    args: [${JSON.stringify(yamlServer.args[0])}]\n    env:\n      FIXTURE_DEFS: ${JSON.stringify(yamlServer.env.FIXTURE_DEFS)}\n  - uses: someone/hub-block\n`,
    );
    const block = join(home, '.continue', 'mcpServers', 'jsonsrv.json');
    put(block, `${JSON.stringify({ mcpServers: { jsonsrv: fixtureEntry(join(home, 'json.defs.json'), ['from_json']) } }, null, 2)}\n`);
    const blockText = readFileSync(block, 'utf8');

    const installed = JSON.parse(ok(await mcpm(['install', '--host', 'continue', '--json'], { env, cwd: home })).stdout) as { servers: { name: string; action: string }[] };
    expect(installed.servers.map((s) => [s.name, s.action])).toEqual([
      ['jsonsrv', 'added'],
      ['yamlsrv', 'added'],
    ]);
    ok(await mcpm(['verify', '--host', 'continue'], { env, cwd: home }));

    const hosts = ok(await mcpm(['ls', '--hosts'], { env, cwd: home })).stdout;
    expect(hosts).toMatch(/continue +user +~\/\.continue\/config\.yaml +1 server\b/);
    expect(hosts).toMatch(/continue +user +~\/\.continue\/mcpServers\/jsonsrv\.json +1 server\b/);

    const guarded = JSON.parse(ok(await mcpm(['guard', '--host', 'continue', '--json'], { env, cwd: home })).stdout) as GuardJson;
    const byName = Object.fromEntries(guarded.files.flatMap((f) => f.servers).map((s) => [s.name, s]));
    expect(byName['yamlsrv']).toMatchObject({ action: 'skipped', reason: expect.stringMatching(/YAML config, which mcpm guard does not rewrite/) });
    expect(byName['someone/hub-block']).toMatchObject({ action: 'skipped', reason: expect.stringMatching(/Continue hub/) });
    expect(byName['jsonsrv']).toEqual({ name: 'jsonsrv', action: 'guarded' });
    // The guarded block is still read as the original server, and it runs through mcpm run.
    ok(await mcpm(['verify', '--host', 'continue'], { env, cwd: home }));
    const entry = JSON.parse(readFileSync(block, 'utf8')).mcpServers.jsonsrv as Entry;
    expect(await toolsThrough(entry, { HOME: home, ...entry.env })).toEqual(['from_json']);
    ok(await mcpm(['guard', '--host', 'continue', '--undo'], { env, cwd: home }));
    expect(readFileSync(block, 'utf8')).toBe(blockText);
  });

  it('Claude Code plugins: found through installed_plugins.json, locked as plugin:PLUGIN:SERVER with the plugin directory, never guarded', async () => {
    const { home, env } = tempHome();
    const root = join(home, '.claude', 'plugins', 'cache', 'market', 'notes', '1.0.0');
    const server = fixtureEntry(join(home, 'notes.defs.json'), ['note']);
    put(join(root, 'defs.json'), readFileSync(join(home, 'notes.defs.json'), 'utf8'));
    // As plugins write it: the plugin's own files named through ${CLAUDE_PLUGIN_ROOT} (the fixture ignores the extra argument).
    put(join(root, '.mcp.json'), JSON.stringify({ mcpServers: { notes: { ...server, args: [...server.args, '--data', '${CLAUDE_PLUGIN_ROOT}/data'], env: { FIXTURE_DEFS: '${CLAUDE_PLUGIN_ROOT}/defs.json' } } } }));
    put(join(home, '.claude', 'plugins', 'installed_plugins.json'), JSON.stringify({ version: 2, plugins: { 'notes@market': [{ scope: 'user', installPath: root, version: '1.0.0' }] } }));

    ok(await mcpm(['install', '--host', 'claude-code-plugins'], { env, cwd: home }));
    const lock = JSON.parse(readFileSync(join(home, '.config', 'mcpm', 'claude-code-plugins.lock'), 'utf8')) as { servers: Record<string, { launch: { args: string[] }; snapshot: { tools: object } }> };
    expect(Object.keys(lock.servers)).toEqual(['plugin:notes:notes']);
    expect(lock.servers['plugin:notes:notes']!.launch.args).toEqual([join(SERVERS, 'static.mjs'), '--data', `${root}/data`]);
    expect(Object.keys(lock.servers['plugin:notes:notes']!.snapshot.tools)).toEqual(['note']);
    ok(await mcpm(['verify', '--host', 'claude-code-plugins'], { env, cwd: home }));

    const hosts = ok(await mcpm(['ls', '--hosts'], { env, cwd: home })).stdout;
    expect(hosts).toMatch(/claude-code-plugins +user +~\/\.claude\/plugins\/cache\/market\/notes\/1\.0\.0\/\.mcp\.json +1 server\b/);
    const guarded = JSON.parse(ok(await mcpm(['guard', '--host', 'claude-code-plugins', '--json'], { env, cwd: home })).stdout) as GuardJson;
    expect(guarded.files[0]!.servers).toEqual([{ name: 'plugin:notes:notes', action: 'skipped', reason: expect.stringMatching(/Claude Code replaces on every plugin update/) }]);

    // A plugin update is a new directory: a changed launch, to review before it runs.
    put(join(home, '.claude', 'plugins', 'installed_plugins.json'), JSON.stringify({ version: 2, plugins: { 'notes@market': [{ scope: 'user', installPath: join(root, '..', '1.1.0') }] } }));
    put(join(root, '..', '1.1.0', '.mcp.json'), readFileSync(join(root, '.mcp.json'), 'utf8'));
    const changed = await mcpm(['verify', '--offline', '--host', 'claude-code-plugins'], { env, cwd: home });
    expect(changed.status).toBe(1);
    expect(changed.stdout).toMatch(/CHANGED\s+plugin:notes:notes/);
  });

  it('VS Code: servers under "mcp" in the user settings.json are locked and guarded, the rest of the settings kept', async () => {
    const { home, env } = tempHome();
    const settings = join(home, '.config', 'Code', 'User', 'settings.json');
    const server = fixtureEntry(join(home, 'vs.defs.json'), ['vs_tool']);
    const original = `{
  // my editor
  "editor.fontSize": 14,
  "mcp": {
    "servers": {
      "vs": ${JSON.stringify({ type: 'stdio', ...server })},
    },
  },
}
`;
    put(settings, original);
    ok(await mcpm(['install', '--host', 'vscode'], { env, cwd: home }));
    const guarded = JSON.parse(ok(await mcpm(['guard', '--host', 'vscode', '--json'], { env, cwd: home })).stdout) as GuardJson;
    expect(guarded.files.map((f) => [f.config, f.servers])).toEqual([['~/.config/Code/User/settings.json', [{ name: 'vs', action: 'guarded' }]]]);
    expect(readFileSync(settings, 'utf8')).toContain('"editor.fontSize": 14');
    ok(await mcpm(['verify', '--host', 'vscode'], { env, cwd: home }));
    ok(await mcpm(['guard', '--host', 'vscode', '--undo'], { env, cwd: home }));
    expect(readFileSync(settings, 'utf8')).toBe(original);
  });
});
