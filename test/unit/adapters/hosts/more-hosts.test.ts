// The hosts added for reach: Cline, Continue (YAML, read-only for guard but for JSON block files),
// Claude Code plugins (found through installed_plugins.json, read-only for guard) and VS Code's
// older settings.json `mcp` key.
import { mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { installedPluginFiles } from '../../../../src/adapters/hosts/claude-code-plugins.js';
import { rewriteEntries, type ReadContext } from '../../../../src/adapters/hosts/format.js';
import { hostInfo, hostUserFiles, type HostName } from '../../../../src/adapters/hosts/index.js';
import { McpmError } from '../../../../src/core/errors.js';
import type { ServerConfig } from '../../../../src/core/launch/parse.js';
import { fixtureFilePath } from '../../../helpers/host-fixtures.js';
import { fixture } from './helpers.js';

function tempDir(): string {
  const dir = realpathSync(mkdtempSync(join(tmpdir(), 'mcpm-hosts-')));
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function read(host: HostName, text: string, file: string, context: ReadContext = {}): Map<string, ServerConfig> {
  return new Map(hostInfo(host).format.read(text, file, context).map((s) => [s.name, s]));
}

function readError(host: HostName, text: string, file: string, context: ReadContext = {}): McpmError {
  try {
    hostInfo(host).format.read(text, file, context);
  } catch (error) {
    expect(error).toBeInstanceOf(McpmError);
    return error as McpmError;
  }
  throw new Error('expected an error');
}

const LAUNCH = { command: '/opt/node', args: ['/opt/mcpm/bin/mcpm.cjs', 'run', '--', 'NAME'] };

describe('Cline', () => {
  it('reads mcpServers, streamableHttp included, keeping Cline\'s own settings out of the launch', () => {
    const servers = read('cline', fixture('cline'), 'cline_mcp_settings.json');
    expect([...servers.keys()]).toEqual(['github', 'remote']);
    expect(servers.get('github')!.launch).toEqual({
      transport: 'stdio',
      command: 'npx',
      args: ['-y', '@modelcontextprotocol/server-github@2025.4.8'],
      envNames: ['GITHUB_PERSONAL_ACCESS_TOKEN'],
    });
    expect(servers.get('remote')!.launch).toEqual({ transport: 'http', url: 'https://docs.example.com/mcp', headerNames: ['Authorization'] });
  });
});

describe('Continue', () => {
  const yamlText = readFileSync(fixtureFilePath('continue.config.yaml'), 'utf8');

  it('reads the mcpServers list of config.yaml, with secrets as variables and hub blocks left out', () => {
    const servers = read('continue', yamlText, 'config.yaml');
    expect([...servers.keys()]).toEqual(['GitHub', 'docs']);
    expect(servers.get('GitHub')!.launch).toEqual({
      transport: 'stdio',
      command: 'npx',
      args: ['-y', '@modelcontextprotocol/server-github@2025.4.8'],
      envNames: ['GITHUB_PERSONAL_ACCESS_TOKEN'],
    });
    expect(servers.get('GitHub')!.env['GITHUB_PERSONAL_ACCESS_TOKEN']).toBe('${GITHUB_TOKEN}');
    expect(servers.get('docs')!.launch).toEqual({ transport: 'http', url: 'https://docs.example.com/mcp', headerNames: ['Authorization'] });
  });

  it('lists every YAML entry as one guard leaves alone, saying why', () => {
    const entries = hostInfo('continue').format.entries(yamlText, 'config.yaml');
    expect(entries.map((e) => [e.name, e.transport])).toEqual([
      ['GitHub', 'stdio'],
      ['docs', 'http'],
      ['anthropic/memory-mcp', 'unknown'],
    ]);
    expect(entries[0]!.unsupported).toMatch(/YAML config, which mcpm guard does not rewrite/);
    expect(entries[2]!.unsupported).toMatch(/Continue hub/);
  });

  it('reads a JSON block file in Claude\'s shape, and guard can rewrite and restore it byte for byte', () => {
    const text = '{\n  "mcpServers": {\n    "fs": { "command": "npx", "args": ["-y", "fs-mcp@1.0.0"], "env": { "T": "${{ secrets.T }}" } }\n  }\n}\n';
    const format = hostInfo('continue').format;
    expect(read('continue', text, 'fs.json').get('fs')!.env).toEqual({ T: '${T}' });
    const entries = format.entries(text, 'fs.json');
    expect(entries[0]!.unsupported).toBeUndefined();
    const guarded = rewriteEntries(text, entries, [{ path: entries[0]!.path, text: format.guardedEntry(text, entries[0]!, LAUNCH) }]);
    expect(read('continue', guarded, 'fs.json').get('fs')!.launch).toMatchObject({ command: '/opt/node', args: LAUNCH.args });
    expect(rewriteEntries(guarded, format.entries(guarded, 'fs.json'), [{ path: entries[0]!.path, text: text.slice(entries[0]!.start, entries[0]!.end) }])).toBe(text);
  });

  it.each([
    ['not YAML', 'mcpServers: [\n', /config\.yaml: not valid YAML/],
    ['a duplicate key', 'mcpServers:\n  - name: a\n    command: x\n    command: y\n', /not valid YAML/],
    ['two servers of one name', 'mcpServers:\n  - name: a\n    command: x\n  - name: a\n    command: y\n', /two servers are named "a"/],
    ['a server without a name', 'mcpServers:\n  - command: x\n', /item 1 has no "name"/],
    ['a map instead of a list', 'mcpServers:\n  a:\n    command: x\n', /"mcpServers" must be a list/],
    ['an alias bomb', `a: &a ["x","x","x","x","x","x","x","x","x","x"]\nb: &b [${'*a,'.repeat(9)}*a]\nc: &c [${'*b,'.repeat(9)}*b]\nd: [${'*c,'.repeat(9)}*c]\nmcpServers: []\n`, /not valid YAML/],
  ])('%s is CONFIG_INVALID naming the file', (_name, text, message) => {
    const error = readError('continue', text, 'config.yaml');
    expect(error.code).toBe('CONFIG_INVALID');
    expect(error.message).toMatch(message);
  });

  it('an empty file or one without servers has none', () => {
    expect(read('continue', '', 'config.yaml').size).toBe(0);
    expect(read('continue', 'name: x\nversion: 1\n', 'config.yaml').size).toBe(0);
  });

  it('finds the block files of ~/.continue/mcpServers after config.yaml', async () => {
    const home = tempDir();
    mkdirSync(join(home, '.continue', 'mcpServers'), { recursive: true });
    for (const name of ['b.yaml', 'a.json', 'notes.txt', 'c.yml']) writeFileSync(join(home, '.continue', 'mcpServers', name), '');
    const files = await hostUserFiles(hostInfo('continue'), { env: { HOME: home }, platform: 'linux' });
    expect(files.map((f) => f.file.slice(home.length))).toEqual(['/.continue/config.yaml', '/.continue/mcpServers/a.json', '/.continue/mcpServers/b.yaml', '/.continue/mcpServers/c.yml']);
  });
});

describe('VS Code settings.json (the older "mcp" key)', () => {
  const text = `{
  // editor settings
  "editor.fontSize": 14,
  "mcp": {
    "inputs": [{ "type": "promptString", "id": "key", "password": true }],
    "servers": {
      "perplexity": { "type": "stdio", "command": "npx", "args": ["-y", "server-perplexity-ask@0.1.0"], "env": { "KEY": "\${input:key}" } },
    },
  },
}
`;

  it('reads mcp.servers with mcp.inputs', () => {
    const servers = read('vscode', text, 'settings.json');
    expect([...servers.keys()]).toEqual(['perplexity']);
    expect(servers.get('perplexity')!.launch).toMatchObject({ command: 'npx', envNames: ['KEY'] });
  });

  it('guard rewrites the entry inside "mcp" and keeps the rest of the settings', () => {
    const format = hostInfo('vscode').format;
    const entries = format.entries(text, 'settings.json');
    expect(entries.map((e) => e.path)).toEqual([['mcp', 'servers', 'perplexity']]);
    const guarded = rewriteEntries(text, entries, [{ path: entries[0]!.path, text: format.guardedEntry(text, entries[0]!, LAUNCH) }]);
    expect(guarded).toContain('"editor.fontSize": 14');
    expect(read('vscode', guarded, 'settings.json').get('perplexity')!.launch).toMatchObject({ command: '/opt/node' });
  });

  it('a settings.json without "mcp" has no server', () => {
    expect(read('vscode', '{ "editor.fontSize": 14 }', 'settings.json').size).toBe(0);
  });
});

describe('Claude Code plugins', () => {
  const plugin = { name: 'notes', root: '/home/u/.claude/plugins/cache/mp/notes/1.2.0' };

  it('names servers plugin:PLUGIN:SERVER and puts the plugin directory for ${CLAUDE_PLUGIN_ROOT}', () => {
    const text = JSON.stringify({ notes: { command: '${CLAUDE_PLUGIN_ROOT}/bin/server', args: ['--db', '${CLAUDE_PLUGIN_ROOT}/db'], env: { TOKEN: '${NOTES_TOKEN}' } } });
    const servers = read('claude-code-plugins', text, '.mcp.json', { plugin });
    expect([...servers.keys()]).toEqual(['plugin:notes:notes']);
    expect(servers.get('plugin:notes:notes')!.launch).toEqual({ transport: 'stdio', command: `${plugin.root}/bin/server`, args: ['--db', `${plugin.root}/db`], envNames: ['TOKEN'] });
    expect(servers.get('plugin:notes:notes')!.env).toEqual({ TOKEN: '${NOTES_TOKEN}' });
  });

  it('reads {"mcpServers": …} in .mcp.json and plugin.json', () => {
    const text = JSON.stringify({ name: 'notes', version: '1.2.0', mcpServers: { api: { type: 'http', url: 'https://x.example/mcp' } } });
    expect([...read('claude-code-plugins', text, 'plugin.json', { plugin }).keys()]).toEqual(['plugin:notes:api']);
    expect([...read('claude-code-plugins', text, '.mcp.json', { plugin }).keys()]).toEqual(['plugin:notes:api']);
  });

  it('is read only with the plugin it belongs to, and never rewritten by guard', () => {
    expect(readError('claude-code-plugins', '{}', '.mcp.json').message).toMatch(/--host claude-code-plugins/);
    const entries = hostInfo('claude-code-plugins').format.entries('{"a": {"command": "x"}}', '.mcp.json', { plugin });
    expect(entries[0]).toMatchObject({ name: 'plugin:notes:a', transport: 'stdio', unsupported: expect.stringMatching(/Claude Code replaces on every plugin update/) });
  });

  it('finds the files of the plugins installed at user scope, less those turned off', async () => {
    const config = tempDir();
    const make = (rel: string, files: Record<string, unknown>) => {
      const root = join(config, 'plugins', 'cache', rel);
      for (const [name, value] of Object.entries(files)) {
        mkdirSync(join(root, name, '..'), { recursive: true });
        writeFileSync(join(root, name), JSON.stringify(value));
      }
      return root;
    };
    const notes = make('mp/notes/1.2.0', { '.mcp.json': { notes: { command: 'x' } } });
    const inline = make('mp/inline/2.0.0', { '.claude-plugin/plugin.json': { name: 'inline', mcpServers: { a: { command: 'y' } } } });
    const named = make('mp/named/1.0.0', { '.claude-plugin/plugin.json': { name: 'named', mcpServers: './config/mcp.json' }, 'config/mcp.json': { mcpServers: { b: { command: 'z' } } } });
    const off = make('mp/off/1.0.0', { '.mcp.json': { c: { command: 'w' } } });
    const projectOnly = make('mp/local/1.0.0', { '.mcp.json': { d: { command: 'v' } } });
    const skills = make('mp/skills/1.0.0', { '.claude-plugin/plugin.json': { name: 'skills' } });
    writeFileSync(
      join(config, 'plugins', 'installed_plugins.json'),
      JSON.stringify({
        version: 2,
        plugins: {
          'notes@mp': [{ scope: 'user', installPath: notes, version: '1.2.0' }],
          'inline@mp': [{ scope: 'user', installPath: inline }],
          'named@mp': [{ scope: 'user', installPath: named }],
          'off@mp': [{ scope: 'user', installPath: off }],
          'local@mp': [{ scope: 'project', projectPath: '/p', installPath: projectOnly }],
          'skills@mp': [{ scope: 'user', installPath: skills }],
          'gone@mp': [{ scope: 'user', installPath: join(config, 'plugins', 'cache', 'gone') }],
        },
      }),
    );
    writeFileSync(join(config, 'settings.json'), JSON.stringify({ enabledPlugins: { 'off@mp': false, 'notes@mp': true } }));
    const found = await installedPluginFiles(config, (f) => f);
    expect(found.map((f) => [f.file.slice(config.length), f.context.plugin?.name])).toEqual([
      ['/plugins/cache/mp/inline/2.0.0/.claude-plugin/plugin.json', 'inline'],
      ['/plugins/cache/mp/named/1.0.0/config/mcp.json', 'named'],
      ['/plugins/cache/mp/notes/1.2.0/.mcp.json', 'notes'],
    ]);
    expect(await installedPluginFiles(join(config, 'nowhere'), (f) => f)).toEqual([]);
  });
});
