// loadConfig with hosts: `--host NAME`, host formats picked by file name, and guarded configs read
// through their sidecar.
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig, OTHER_PROJECT_FILES } from '../../../../src/adapters/config-files.js';
import { HOSTS, type HostPlace } from '../../../../src/adapters/hosts/index.js';
import { serializeSidecar, type Sidecar } from '../../../../src/adapters/hosts/sidecar.js';
import { putFile, rejection } from '../helpers.js';
import { fixture } from './helpers.js';

const BIN = fileURLToPath(new URL('../../../../bin/mcpm.cjs', import.meta.url));

let home: string;
let place: HostPlace;
beforeEach(async () => {
  home = await fs.realpath(await fs.mkdtemp(path.join(os.tmpdir(), 'mcpm-hosts-')));
  place = { env: { HOME: home }, platform: 'linux' };
});
afterEach(async () => {
  await fs.rm(home, { recursive: true, force: true });
});

const put = (file: string, text: string): Promise<string> => putFile(home, file, text);

describe('loadConfig --host', () => {
  it('reads the host\'s user-level file instead of discovering, naming it ~/…', async () => {
    await put('.config/Claude/claude_desktop_config.json', fixture('claude-desktop'));
    await put('project/.mcp.json', '{"mcpServers": {"project-only": {"command": "x"}}}');
    const { servers, files } = await loadConfig(path.join(home, 'project'), [], { host: 'claude-desktop', place });
    expect(files).toEqual(['~/.config/Claude/claude_desktop_config.json']);
    expect([...servers.keys()]).toEqual(['filesystem', 'notes']);
    expect(servers.get('notes')!.source).toBe('~/.config/Claude/claude_desktop_config.json');
  });

  it('reads every user-level file of the host that exists', async () => {
    await put('.codeium/windsurf/mcp_config.json', '{"mcpServers": {"a": {"command": "x"}}}');
    await put('.codeium/mcp_config.json', '{"mcpServers": {"b": {"serverUrl": "https://b"}}}');
    const { servers, files } = await loadConfig(home, [], { host: 'windsurf', place });
    expect(files).toEqual(['~/.codeium/windsurf/mcp_config.json', '~/.codeium/mcp_config.json']);
    expect([...servers.keys()]).toEqual(['a', 'b']);
  });

  it('none found is CONFIG_NOT_FOUND naming where it looked', async () => {
    const error = await rejection(loadConfig(home, [], { host: 'codex', place }), 'CONFIG_NOT_FOUND');
    expect(error.message).toBe('no Codex CLI config found (looked for ~/.codex/config.toml)');
  });

  it('an unknown host is USAGE', async () => {
    await rejection(loadConfig(home, [], { host: 'claude', place }), 'USAGE');
  });

  it('claude-code is the user scope of ~/.claude.json, whatever the project', async () => {
    await put('.claude.json', fixture('claude-code'));
    const { servers } = await loadConfig('/home/user/src/app', [], { host: 'claude-code', place });
    expect([...servers.keys()]).toEqual(['memory', 'api']);
  });

  it('with --config, the named files are read in the host\'s format', async () => {
    const file = await put('backup-of-settings.json', fixture('gemini'));
    const { servers } = await loadConfig(home, [file], { host: 'gemini', place });
    expect(servers.get('events')!.launch.transport).toBe('sse');
  });
});

describe('loadConfig --config picks a host format by file name', () => {
  it('Gemini settings.json in .gemini, Codex .toml, Zed settings.json, Windsurf mcp_config.json', async () => {
    const gemini = await put('p/.gemini/settings.json', fixture('gemini'));
    const codex = await put('.codex/config.toml', fixture('codex'));
    const zed = await put('.config/zed/settings.json', fixture('zed'));
    const windsurf = await put('.codeium/windsurf/mcp_config.json', fixture('windsurf'));
    const load = async (file: string) => (await loadConfig(path.join(home, 'p'), [file])).servers;
    expect((await loadConfig(path.join(home, 'p'), [gemini])).files).toEqual(['.gemini/settings.json']);
    expect((await load(gemini)).get('events')!.launch.transport).toBe('sse'); // Gemini: url is SSE
    expect((await load(codex)).get('github')!.env['GITHUB_TOOLSETS']).toBe('repos,issues');
    expect((await load(zed)).get('legacy')!.launch).toMatchObject({ command: '/usr/local/bin/legacy-mcp' });
    expect((await load(windsurf)).get('remote')!.launch).toMatchObject({ url: 'https://example.com/mcp' }); // serverUrl
  });

  it('~/.claude.json named with --config: the user scope and this project\'s local scope', async () => {
    const file = await put('.claude.json', fixture('claude-code'));
    const { servers } = await loadConfig('/home/user/src/app', [file]);
    expect([...servers.keys()]).toEqual(['memory', 'api', 'db']);
  });
});

describe('loadConfig reads a guarded config as it was before guard', () => {
  const original = '{\n  "command": "npx",\n  "args": ["-y", "pkg@1.0.0"],\n  "env": { "TOKEN": "t" }\n}';
  const guardedLaunch = (config: string) => ({ command: process.execPath, args: [BIN, 'run', '--config', config, '--lockfile', '/l.lock', '--', 'notes'] });

  async function guarded(launch: { command: string; args: string[] }, record = launch): Promise<string> {
    const file = path.join(home, '.cursor', 'mcp.json');
    await put('.cursor/mcp.json', JSON.stringify({ mcpServers: { notes: { ...launch, env: { TOKEN: 't' } }, other: { command: 'o' } } }, null, 2));
    const sidecar: Sidecar = { host: 'cursor', records: [{ path: ['mcpServers', 'notes'], original, guarded: record }] };
    await put('.cursor/mcp.json.mcpm-guard.json', serializeSidecar(sidecar));
    return file;
  }

  it('an entry that launches this mcpm as guard wrote it is read from its original text', async () => {
    await guarded(guardedLaunch(path.join(home, '.cursor', 'mcp.json')));
    const { servers } = await loadConfig(home, [], { host: 'cursor', place });
    expect(servers.get('notes')!.launch).toEqual({ transport: 'stdio', command: 'npx', args: ['-y', 'pkg@1.0.0'], envNames: ['TOKEN'] });
    expect(servers.get('other')!.launch).toMatchObject({ command: 'o' });
  });

  it('also for a discovered project file and a --config file', async () => {
    const file = await guarded(guardedLaunch(path.join(home, '.cursor', 'mcp.json')));
    expect((await loadConfig(home, [])).servers.get('notes')!.launch).toMatchObject({ command: 'npx' });
    expect((await loadConfig('/', [file])).servers.get('notes')!.launch).toMatchObject({ command: 'npx' });
  });

  it('a sidecar claiming that some other command is "guarded" is not honoured (a repository could ship one)', async () => {
    const evil = { command: 'npx', args: ['-y', 'evil'] };
    await guarded(evil);
    const { servers } = await loadConfig(home, [], { host: 'cursor', place });
    expect(servers.get('notes')!.launch).toMatchObject({ command: 'npx', args: ['-y', 'evil'] });
  });

  it('nor a "guarded" form that is not exactly what guard writes for this entry of this file: the host could start something else', async () => {
    const config = path.join(home, '.cursor', 'mcp.json');
    const launch = guardedLaunch(config);
    const forms = [
      // The host's own program in the host; this mcpm's node in mcpm.
      { command: '/proc/self/exe', args: launch.args },
      // Resolved against another working directory in the host.
      { command: launch.command, args: [path.relative(process.cwd(), BIN), ...launch.args.slice(1)] },
      // Another config's server, under another lock.
      { command: launch.command, args: [BIN, 'run', '--config', path.join(home, 'other.json'), '--lockfile', '/l.lock', '--', 'notes'] },
      { command: launch.command, args: [BIN, 'run', '--config', config, '--lockfile', 'l.lock', '--', 'notes'] },
      { command: launch.command, args: [BIN, 'run', '-C', home, '--config', config, '--lockfile', '/l.lock', '--', 'notes'] },
    ];
    for (const form of forms) {
      await guarded(form);
      const { servers } = await loadConfig(home, [], { host: 'cursor', place });
      expect(servers.get('notes')!.launch, JSON.stringify(form)).toMatchObject({ command: form.command, args: form.args });
    }
  });

  it('an original that would put back more or less than its own entry is CONFIG_INVALID (it could comment out other servers)', async () => {
    const config = path.join(home, '.cursor', 'mcp.json');
    const launch = guardedLaunch(config);
    await put('.cursor/mcp.json', `{"mcpServers": {"notes": ${JSON.stringify(launch)}}}`);
    // In a JSONC file, `{"command": "npx"}} /*` would comment out the servers after it instead.
    const sidecar: Sidecar = { host: 'cursor', records: [{ path: ['mcpServers', 'notes'], original: '{"command": "npx"}, "extra": {"command": "unseen"}', guarded: launch }] };
    await put('.cursor/mcp.json.mcpm-guard.json', serializeSidecar(sidecar));
    const error = await rejection(loadConfig(home, [], { host: 'cursor', place }), 'CONFIG_INVALID');
    expect(error.message).toBe('~/.cursor/mcp.json.mcpm-guard.json: an original definition does not put back exactly one server of ~/.cursor/mcp.json');
    // JSONC: a comment after the original's closing brace, or an early close, would hide "helper".
    const vscode = path.join(home, '.vscode', 'mcp.json');
    const guardedVscode = guardedLaunch(vscode);
    await put('.vscode/mcp.json', `{"servers": {"notes": ${JSON.stringify(guardedVscode)}, "helper": {"command": "evil"}} /* */ }`);
    for (const hiding of ['{"command": "npx"} //', '{"command": "npx"}} /*', '{"command": "npx"} /* } */']) {
      const record = { path: ['servers', 'notes'], original: hiding, guarded: guardedVscode };
      await put('.vscode/mcp.json.mcpm-guard.json', serializeSidecar({ host: 'vscode', records: [record] }));
      await rejection(loadConfig(home, [vscode]), 'CONFIG_INVALID');
    }
    // Comments and a trailing comma inside it are the original's own.
    const record = { path: ['servers', 'notes'], original: '{\n  // the server\n  "command": "npx", /* pinned */ "args": ["-y", "pkg@1.0.0"],\n}', guarded: guardedVscode };
    await put('.vscode/mcp.json.mcpm-guard.json', serializeSidecar({ host: 'vscode', records: [record] }));
    const { servers } = await loadConfig(home, [vscode]);
    expect([...servers.keys()].sort()).toEqual(['helper', 'notes']);
    expect(servers.get('notes')!.launch).toMatchObject({ command: 'npx', args: ['-y', 'pkg@1.0.0'] });
  });

  it('an entry changed since guard is read as it is now', async () => {
    const launch = guardedLaunch(path.join(home, '.cursor', 'mcp.json'));
    await guarded({ command: launch.command, args: [...launch.args.slice(0, -1), 'renamed'] }, launch);
    const { servers } = await loadConfig(home, [], { host: 'cursor', place });
    expect(servers.get('notes')!.launch).toMatchObject({ command: process.execPath });
  });

  it('a sidecar that does not parse is CONFIG_INVALID naming it', async () => {
    await put('.cursor/mcp.json', '{"mcpServers": {}}');
    await put('.cursor/mcp.json.mcpm-guard.json', '{"mcpmGuard": 1, "host": "cursor"}');
    const error = await rejection(loadConfig(home, [], { host: 'cursor', place }), 'CONFIG_INVALID');
    expect(error.message).toBe('~/.cursor/mcp.json.mcpm-guard.json: "records" must be an array');
  });
});

describe('the other hosts\' project files install warns of', () => {
  it('are every host\'s project file that discovery does not read, each with its host', () => {
    const discovered = ['.mcp.json', '.cursor/mcp.json', '.vscode/mcp.json'];
    const expected = HOSTS.flatMap((h) => h.projectFiles.filter((file) => !discovered.includes(file)).map((file) => ({ file, host: h.name })));
    expect([...OTHER_PROJECT_FILES].sort((a, b) => a.file.localeCompare(b.file))).toEqual(expected.sort((a, b) => a.file.localeCompare(b.file)));
  });
});
