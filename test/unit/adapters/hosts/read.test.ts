import { describe, expect, it } from 'vitest';
import { hostInfo, type HostName } from '../../../../src/adapters/hosts/index.js';
import { McpmError } from '../../../../src/core/errors.js';
import { resolveServerConfig } from '../../../../src/core/launch/expand.js';
import { launchDifference } from '../../../../src/core/launch/identity.js';
import type { ServerConfig } from '../../../../src/core/launch/parse.js';
import { CLAUDE_PROJECT, fixture } from './helpers.js';

function read(host: HostName, text = fixture(host), context = {}): Map<string, ServerConfig> {
  return new Map(hostInfo(host).format.read(text, `${host}-file`, context).map((s) => [s.name, s]));
}

function readError(host: HostName, text: string): McpmError {
  try {
    hostInfo(host).format.read(text, 'cfg', {});
  } catch (error) {
    expect(error).toBeInstanceOf(McpmError);
    return error as McpmError;
  }
  throw new Error('expected an error');
}

describe('Claude Desktop', () => {
  it('reads mcpServers, keeping env values for launch and only their names in the spec', () => {
    const servers = read('claude-desktop');
    expect([...servers.keys()]).toEqual(['filesystem', 'notes']);
    expect(servers.get('notes')!.launch).toEqual({
      transport: 'stdio',
      command: 'uvx',
      args: ['notes-mcp==1.4.2', '--db', 'C:\\Users\\user\\notes.db'],
      envNames: ['APPDATA', 'NOTES_TOKEN'],
    });
    expect(servers.get('notes')!.env['NOTES_TOKEN']).toBe('secret-value-not-for-the-lock');
    expect(servers.get('notes')!.source).toBe('claude-desktop-file');
  });

  it('a file with the app\'s preferences and no mcpServers has no server (not an error)', () => {
    expect(read('claude-desktop', '{"globalShortcut": ""}').size).toBe(0);
  });

  it('is strict JSON: a comment is CONFIG_INVALID with file:line:col', () => {
    const error = readError('claude-desktop', '{\n  // no\n  "mcpServers": {}\n}');
    expect(error.code).toBe('CONFIG_INVALID');
    expect(error.message).toMatch(/^cfg:2:3: /);
  });
});

describe('Claude Code (~/.claude.json)', () => {
  it('without a project: the user scope only', () => {
    const servers = read('claude-code');
    expect([...servers.keys()]).toEqual(['memory', 'api']);
    expect(servers.get('api')!.launch).toEqual({ transport: 'http', url: '${API_BASE_URL:-https://api.example.com}/mcp', headerNames: ['Authorization'] });
  });

  it('with a project: its local scope too, winning over a user server of the same name', () => {
    expect([...read('claude-code', undefined, { projectDir: CLAUDE_PROJECT }).keys()]).toEqual(['memory', 'api', 'db']);
    const text = JSON.stringify({
      mcpServers: { db: { command: 'user-db' } },
      projects: { '/p': { mcpServers: { db: { command: 'local-db' } } } },
    });
    const db = read('claude-code', text, { projectDir: '/p' }).get('db')!;
    expect(db.launch).toMatchObject({ command: 'local-db' });
  });

  it('another project\'s local scope is not read', () => {
    expect(read('claude-code', undefined, { projectDir: '/home/user/other' }).has('db')).toBe(false);
  });
});

describe('Cursor', () => {
  it('reads stdio and url entries (url without type is Streamable HTTP)', () => {
    const servers = read('cursor');
    expect(servers.get('sequential-thinking')!.launch).toMatchObject({ transport: 'stdio', command: 'npx' });
    expect(servers.get('userjot')!.launch).toEqual({ transport: 'http', url: 'https://api.userjot.com/v1/mcp', headerNames: ['Authorization'] });
    expect(servers.get('userjot')!.headers['Authorization']).toBe('Bearer ${env:USERJOT_API_TOKEN}');
  });
});

describe('VS Code (user mcp.json)', () => {
  it('reads servers from JSONC, keeping ${input:…} verbatim', () => {
    const servers = read('vscode');
    expect(servers.get('perplexity')!.env['PERPLEXITY_API_KEY']).toBe('${input:perplexity-key}');
    expect(servers.get('github')!.launch.transport).toBe('http');
  });

  it('${input:…} is refused only at launch, naming it', () => {
    const perplexity = read('vscode').get('perplexity')!;
    expect(() => resolveServerConfig(perplexity, {})).toThrow(/\$\{input:perplexity-key\}.*VS Code input/);
    try {
      resolveServerConfig(perplexity, {});
    } catch (error) {
      expect((error as McpmError).code).toBe('CONFIG_VARIABLE_UNRESOLVED');
    }
  });

  it('"inputs" must be an array, as VS Code reads it', () => {
    expect(readError('vscode', '{"inputs": {}, "servers": {}}').message).toMatch(/"inputs" must be an array/);
  });
});

describe('Windsurf', () => {
  it('serverUrl is the remote endpoint', () => {
    const servers = read('windsurf');
    expect(servers.get('remote')!.launch).toEqual({ transport: 'http', url: 'https://example.com/mcp', headerNames: ['Authorization'] });
    expect(servers.get('git')!.launch).toMatchObject({ command: 'uvx', args: ['mcp-server-git==2026.1.14', '--repository', '${env:HOME}/src/app'] });
  });

  it('a plain url works too; both at once is CONFIG_INVALID', () => {
    expect(read('windsurf', '{"mcpServers": {"r": {"url": "https://x/mcp"}}}').get('r')!.launch.transport).toBe('http');
    expect(readError('windsurf', '{"mcpServers": {"r": {"url": "https://x", "serverUrl": "https://y"}}}').message).toMatch(/both "serverUrl" and "url"/);
  });
});

describe('Gemini CLI', () => {
  it('command is stdio, url is SSE, httpUrl is Streamable HTTP', () => {
    const servers = read('gemini');
    expect(servers.get('py')!.launch).toEqual({
      transport: 'stdio',
      command: 'python',
      args: ['-m', 'my_server'],
      cwd: './srv',
      envNames: ['API_KEY', 'REGION'],
      hostSettings: '{"includeTools":["search"],"trust":false}',
    });
    expect(servers.get('events')!.launch).toEqual({ transport: 'sse', url: 'http://localhost:8080/sse', headerNames: [] });
    expect(servers.get('httpServer')!.launch).toEqual({ transport: 'http', url: 'http://localhost:3000/mcp', headerNames: ['Authorization'] });
  });

  it('a bare $VAR in env is expanded at launch, as the CLI does', () => {
    const py = read('gemini').get('py')!;
    expect(py.env['API_KEY']).toBe('${EXTERNAL_API_KEY}');
    const resolved = resolveServerConfig(py, { EXTERNAL_API_KEY: 'k', REGION: 'eu' });
    expect(resolved).toMatchObject({ env: { API_KEY: 'k', REGION: 'eu' } });
  });

  // `trust: true` makes the CLI skip the confirmation of every call of the server's tools, and
  // includeTools/excludeTools choose which of them the model gets: a change is a changed launch.
  it('trust, includeTools and excludeTools are host settings of the launch; another host\'s file does not lock them', () => {
    const launchOf = (entry: Record<string, unknown>) => read('gemini', JSON.stringify({ mcpServers: { s: { command: 'node', args: ['s.js'], ...entry } } })).get('s')!.launch;
    const before = launchOf({ trust: false, includeTools: ['search'] });
    expect(launchDifference(before, launchOf({ trust: true, includeTools: ['search'] }))).toBe('the host settings');
    expect(launchDifference(before, launchOf({ trust: false, includeTools: ['search', 'delete_all'] }))).toBe('the host settings');
    expect(launchDifference(before, launchOf({ trust: false, includeTools: ['search'], excludeTools: [] }))).toBe('the host settings');
    expect(launchDifference(before, launchOf({ trust: false, includeTools: ['search'], timeout: 5 }))).toBeUndefined();
    expect(read('claude-desktop', JSON.stringify({ mcpServers: { s: { command: 'node', args: ['s.js'], trust: true } } })).get('s')!.launch.hostSettings).toBeUndefined();
  });

  it('url and httpUrl together is CONFIG_INVALID', () => {
    expect(readError('gemini', '{"mcpServers": {"x": {"url": "http://a", "httpUrl": "http://b"}}}').message).toMatch(/both "url" \(SSE\) and "httpUrl"/);
  });

  it('settings without mcpServers have no server', () => {
    expect(read('gemini', '{ "theme": "x" } // bye').size).toBe(0);
  });
});

describe('Codex CLI (config.toml)', () => {
  it('reads [mcp_servers.NAME] tables: env tables, env_vars, sub-tables', () => {
    const servers = read('codex');
    expect([...servers.keys()]).toEqual(['docs', 'github', 'remote']);
    expect(servers.get('docs')!.launch).toEqual({ transport: 'stdio', command: 'npx', args: ['-y', 'mcp-server@1.2.3'], envNames: ['API_KEY'] });
    const github = servers.get('github')!;
    expect(github.launch).toMatchObject({ command: 'docker', envNames: ['GITHUB_PERSONAL_ACCESS_TOKEN', 'GITHUB_TOOLSETS'] });
    // env_vars: forwarded from the environment Codex (or mcpm run) has.
    expect(github.env['GITHUB_PERSONAL_ACCESS_TOKEN']).toBe('${GITHUB_PERSONAL_ACCESS_TOKEN}');
    expect(github.env['GITHUB_TOOLSETS']).toBe('repos,issues');
  });

  it('a url entry is Streamable HTTP; bearer_token_env_var and env_http_headers become header references', () => {
    const remote = read('codex').get('remote')!;
    expect(remote.launch).toEqual({ transport: 'http', url: 'https://mcp.example.com/mcp', headerNames: ['Authorization', 'X-Team'] });
    expect(remote.headers['Authorization']).toBe('Bearer ${MCP_TOKEN}');
    const other = read('codex', '[mcp_servers.r]\nurl = "https://x"\nenv_http_headers = { "X-Key" = "KEY_VAR" }\n').get('r')!;
    expect(other.headers['X-Key']).toBe('${KEY_VAR}');
  });

  it('an inline table definition reads the same', () => {
    const servers = read('codex', '[mcp_servers]\ndocs = { command = "npx", args = ["-y", "mcp-server@1.2.3"], env = { API_KEY = "value" } }\n');
    expect(servers.get('docs')!.launch).toEqual(read('codex').get('docs')!.launch);
  });

  it('a TOML syntax error is CONFIG_INVALID with file:line:col', () => {
    const error = readError('codex', 'model = "x"\n[mcp_servers.a]\ncommand = \n');
    expect(error.code).toBe('CONFIG_INVALID');
    expect(error.message).toMatch(/^cfg:3:\d+: /);
  });

  it('wrong types are CONFIG_INVALID naming the server and field', () => {
    expect(readError('codex', '[mcp_servers.a]\ncommand = 5\n').message).toMatch(/server "a": "command" must be a non-empty string/);
    expect(readError('codex', '[mcp_servers.a]\ncommand = "x"\nenv_vars = "A"\n').message).toMatch(/server "a": "env_vars" must be an array of strings/);
  });

  it('a file without mcp_servers has no server', () => {
    expect(read('codex', 'model = "o3"\n').size).toBe(0);
  });
});

describe('Zed (settings.json)', () => {
  it('reads context_servers: the flat form, the older nested command, remote; extension servers are left out', () => {
    const servers = read('zed');
    expect([...servers.keys()]).toEqual(['postgres', 'legacy', 'remote']);
    expect(servers.get('legacy')!.launch).toEqual({ transport: 'stdio', command: '/usr/local/bin/legacy-mcp', args: ['--stdio'], envNames: ['LEGACY_MODE'] });
    expect(servers.get('remote')!.launch).toEqual({ transport: 'http', url: 'https://mcp.example.com/mcp', headerNames: ['X-Key'] });
  });

  it('the extension entry is listed by entries() as one guard cannot rewrite', () => {
    const entry = hostInfo('zed').format.entries(fixture('zed'), 'z').find((e) => e.name === 'mcp-server-github')!;
    expect(entry.unsupported).toMatch(/Zed extension/);
  });
});

describe('all hosts', () => {
  it('a server named __proto__ is an ordinary server, except in VS Code\'s and Cursor\'s files, whose reader takes the key as a prototype', () => {
    for (const host of ['claude-desktop', 'windsurf', 'gemini', 'zed'] as const) {
      const root = host === 'zed' ? 'context_servers' : 'mcpServers';
      const servers = read(host, `{"${root}": {"__proto__": {"command": "x"}}}`);
      expect([...servers.keys()], host).toEqual(['__proto__']);
    }
    expect([...read('codex', '[mcp_servers."__proto__"]\ncommand = "x"\n').keys()]).toEqual(['__proto__']);
    expect(readError('cursor', '{"mcpServers": {"__proto__": {"command": "x"}}}').code).toBe('CONFIG_INVALID');
    // At the top of VS Code's settings.json too: it would give VS Code an `mcp` mcpm never sees.
    expect(readError('vscode', '{"__proto__": {"mcp": {"servers": {"evil": {"command": "x"}}}}, "mcp": {"servers": {}}}').code).toBe('CONFIG_INVALID');
  });

  it('headersHelper is refused in Continue\'s files, and Codex\'s reader ignores envFile, as those hosts do', () => {
    const yaml = 'mcpServers:\n  - name: r\n    type: streamable-http\n    url: https://x.example/mcp\n    headersHelper: "touch /tmp/ran; echo {}"\n';
    expect(() => hostInfo('continue').format.read(yaml, 'r.yaml', {})).toThrow('"headersHelper" is run by Claude Code only');
    // Codex's reader takes only the keys Codex has: an envFile there is ignored, by both.
    expect(read('codex', '[mcp_servers.s]\ncommand = "x"\nenvFile = "/tmp/e.env"\n').get('s')!.launch).not.toHaveProperty('envFile');
  });

  it('a duplicate key is CONFIG_INVALID: the host would keep one of the two, and mcpm cannot know which', () => {
    expect(readError('claude-desktop', '{"mcpServers": {"a": {"command": "x"}, "a": {"command": "y"}}}').code).toBe('CONFIG_INVALID');
    expect(readError('codex', '[mcp_servers.a]\ncommand = "x"\n[mcp_servers.a]\ncommand = "y"\n').code).toBe('CONFIG_INVALID');
  });
});
