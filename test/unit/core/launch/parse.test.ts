import { describe, expect, it } from 'vitest';
import { McpmError } from '../../../../src/core/errors.js';
import { launchDifference, launchDifferences, type LaunchSpec } from '../../../../src/core/launch/identity.js';
import { configFormatOf, mergeConfigs, parseConfig, parseConfigJson, type ServerConfig } from '../../../../src/core/launch/parse.js';
import { expectError, fixture, server, stdio } from './helpers.js';

const servers = (entries: Record<string, unknown>): string => JSON.stringify({ mcpServers: entries });
const one = (entry: unknown, name = 'notes'): ServerConfig => {
  const [server] = parseConfig(servers({ [name]: entry }), '.mcp.json', 'mcpServers');
  if (server === undefined) throw new Error('no server parsed');
  return server;
};

describe('parseConfig: mcpServers format', () => {
  it('reads Claude Code .mcp.json entries, keeping ${...} references verbatim', () => {
    const list = parseConfig(fixture('claude-code.mcp.json'), '.mcp.json', 'mcpServers');
    expect(list.map((s) => s.name)).toEqual(['api', 'local', 'notes']);
    const [api, local, notes] = list as [ServerConfig, ServerConfig, ServerConfig];
    expect(api.launch).toEqual({
      transport: 'http',
      url: '${API_BASE_URL:-https://api.example.com}/mcp',
      headerNames: ['Authorization', 'X-Client'],
    });
    expect({ ...api.headers }).toEqual({ Authorization: 'Bearer ${API_KEY}', 'X-Client': 'mcpm' });
    expect(local.launch).toEqual({ transport: 'stdio', command: 'npx', args: ['-y', 'pkg@1.2.3'], envNames: [] });
    expect(notes.launch).toEqual({
      transport: 'stdio',
      command: 'npx',
      args: ['-y', '@acme/notes-mcp@1.4.2', '--root', '${HOME}/notes'],
      envNames: ['LOG_LEVEL', 'NOTES_TOKEN'],
    });
    expect({ ...notes.env }).toEqual({ NOTES_TOKEN: '${NOTES_TOKEN}', LOG_LEVEL: 'info' });
    expect(notes.source).toBe('.mcp.json');
    expect(notes.name).toBe('notes');
  });

  it('reads Cursor entries (url without type is http; envFile kept in the launch)', () => {
    const list = parseConfig(fixture('cursor.mcp.json'), '.cursor/mcp.json', 'mcpServers', { vscodeFamily: true });
    expect(list.map((s) => [s.name, s.launch.transport])).toEqual([
      ['userjot', 'http'],
      ['notes', 'stdio'],
      ['legacy', 'sse'],
    ]);
    expect(list[1]!.launch).toMatchObject({ envFile: '.env' });
  });

  it.each([
    [undefined, 'http'],
    ['http', 'http'],
    ['streamable-http', 'http'],
    ['streamableHttp', 'http'],
    ['sse', 'sse'],
  ])('type %s with a url is transport %s', (type, transport) => {
    const server = one({ ...(type === undefined ? {} : { type }), url: 'https://x.example/mcp' });
    expect(server.launch).toEqual({ transport, url: 'https://x.example/mcp', headerNames: [] });
  });

  it('accepts an explicit type "stdio" and keeps cwd', () => {
    expect(one({ type: 'stdio', command: 'node', args: ['s.js'], cwd: './srv' }).launch).toEqual({
      transport: 'stdio',
      command: 'node',
      args: ['s.js'],
      cwd: './srv',
      envNames: [],
    });
  });

  it('keeps envFile as written, references unexpanded: it is part of the launch', () => {
    const [server] = parseConfig(servers({ notes: { command: 'node', envFile: '${workspaceFolder}/.env' } }), '.cursor/mcp.json', 'mcpServers', { vscodeFamily: true });
    expect(server!.launch).toEqual({
      transport: 'stdio',
      command: 'node',
      args: [],
      envFile: '${workspaceFolder}/.env',
      envNames: [],
    });
  });

  it('keeps a remote entry\'s headersHelper as written: a command run at each connection is part of the launch', () => {
    expect(one({ type: 'http', url: 'https://x.example/mcp', headersHelper: './get-token.sh' }).launch).toEqual({
      transport: 'http',
      url: 'https://x.example/mcp',
      headersHelper: './get-token.sh',
      headerNames: [],
    });
  });

  it('refuses headersHelper in a file whose host does not run it', () => {
    const text = JSON.stringify({ servers: { r: { type: 'http', url: 'https://x.example/mcp', headersHelper: 'echo {}' } } });
    expectError(() => parseConfig(text, '.vscode/mcp.json', 'vscode'), 'CONFIG_INVALID', '.vscode/mcp.json: server "r": "headersHelper" is run by Claude Code only: this file\'s host connects without it; give the headers in "headers"');
  });

  it('two files that give one server different env files are a conflict', () => {
    const a = parseConfig(JSON.stringify({ mcpServers: { s: { command: 'n' } } }), '.mcp.json', 'mcpServers');
    const b = parseConfig(JSON.stringify({ mcpServers: { s: { command: 'n', envFile: 'a.env' } } }), '.cursor/mcp.json', 'mcpServers', { vscodeFamily: true });
    expectError(() => mergeConfigs([a, b]), 'CONFIG_CONFLICT', 'server "s" is defined differently in .mcp.json and .cursor/mcp.json: the env files differ');
  });

  it('refuses envFile in a file whose host does not read it (Claude Code would start the server without it), and reads it in VS Code\'s format', () => {
    expectError(() => one({ command: 'n', envFile: '${workspaceFolder}/.env' }), 'CONFIG_INVALID', '.mcp.json: server "notes": "envFile" is read by VS Code and Cursor only: this file\'s host starts the server without it; move its variables into "env"');
    const [vscode] = parseConfig(JSON.stringify({ servers: { s: { type: 'stdio', command: 'n', envFile: '${workspaceFolder}/.env' } } }), '.vscode/mcp.json', 'vscode');
    expect(vscode!.launch).toMatchObject({ envFile: '${workspaceFolder}/.env' });
  });

  it.each([
    ['empty', '', '"envFile" must be a non-empty string (the path of a file of NAME=value lines)'],
    ['an array', ['.env'], '"envFile" must be a non-empty string (the path of a file of NAME=value lines)'],
    ['with NUL', '.env\u0000x', '"envFile" contains a NUL character'],
  ])('refuses an envFile %s', (_what, envFile, message) => {
    const parse = () => parseConfig(servers({ notes: { command: 'n', envFile } }), '.cursor/mcp.json', 'mcpServers', { vscodeFamily: true });
    expectError(parse, 'CONFIG_INVALID', `.cursor/mcp.json: server "notes": ${message}`);
  });

  it('omits cwd when the entry has none, and args default to []', () => {
    const launch = one({ command: 'node' }).launch;
    expect(launch).toEqual({ transport: 'stdio', command: 'node', args: [], envNames: [] });
    expect(Object.hasOwn(launch, 'cwd')).toBe(false);
  });

  it('ignores keys mcpm does not use', () => {
    const server = one({
      command: 'node',
      disabled: true,
      autoApprove: ['x'],
      alwaysAllow: ['x'],
      timeout: 60,
      oauth: { clientId: 'c' },
      trust: true,
    });
    expect(server.launch).toEqual({ transport: 'stdio', command: 'node', args: [], envNames: [] });
  });

  it('keeps VS Code\'s sandbox and dev settings, and the inputs the launch refers to, in the launch: a change to them changes what the server may do', () => {
    const config = (entry: Record<string, unknown>, inputs: unknown[] = []) =>
      parseConfig(JSON.stringify({ inputs, servers: { s: { type: 'stdio', command: 'node', env: { K: '${input:k}' }, ...entry } } }), '.vscode/mcp.json', 'vscode')[0]!.launch;
    const prompt = { type: 'promptString', id: 'k', password: true };
    const locked = config({ sandboxEnabled: true, sandbox: { network: { allowedDomains: ['api.example.com'] } } }, [prompt]);
    expect(locked).toMatchObject({
      hostSettings: '{"inputs":{"k":{"id":"k","password":true,"type":"promptString"}},"sandbox":{"network":{"allowedDomains":["api.example.com"]}},"sandboxEnabled":true}',
    });
    // A password's default is a secret in the config: refused, not locked, not masked.
    expect(() => config({}, [{ ...prompt, default: 'sk-default-0123' }])).toThrow('input "k" is a password with a "default"');
    expect(() => config({}, [{ ...prompt, password: 1, default: 'sk-default-0123' }])).toThrow('input "k" is a password with a "default"');
    for (const changed of [
      config({ sandboxEnabled: false, sandbox: { network: { allowedDomains: ['api.example.com'] } } }, [prompt]),
      config({ sandboxEnabled: true, sandbox: { network: { allowedDomains: ['*'] } } }, [prompt]),
      config({ sandboxEnabled: true, sandbox: { network: { allowedDomains: ['api.example.com'] } }, dev: { debug: { type: 'node' } } }, [prompt]),
      // The value now comes from running a task.
      config({ sandboxEnabled: true, sandbox: { network: { allowedDomains: ['api.example.com'] } } }, [{ type: 'command', id: 'k', command: 'workbench.action.tasks.runTask', args: 'exfil' }]),
    ]) {
      expect(launchDifference(locked, changed)).toBe('the host settings');
    }
  });

  it('sorts env and header names by UTF-16 code units', () => {
    expect(one({ command: 'n', env: { b: '1', B: '2', _a: '3', '10': '4', '2': '5' } }).launch).toMatchObject({
      envNames: ['10', '2', 'B', '_a', 'b'],
    });
    expect(one({ url: 'https://x', headers: { 'x-b': '1', Authorization: '2' } }).launch).toMatchObject({
      headerNames: ['Authorization', 'x-b'],
    });
  });

  it.each(['__proto__', 'constructor', 'toString', 'hasOwnProperty', '../../.ssh/authorized_keys', ' ', 'ñ'])(
    'a server named %j is an ordinary server',
    (name) => {
      const text = `{"mcpServers": {${JSON.stringify(name)}: {"command": "node", "env": {"__proto__": "x"}}}}`;
      const list = parseConfig(text, '.mcp.json', 'mcpServers');
      expect(list).toHaveLength(1);
      expect(list[0]?.name).toBe(name);
      expect(list[0]?.launch).toMatchObject({ envNames: ['__proto__'] });
      expect(list[0]?.env['__proto__']).toBe('x');
      expect(Object.getPrototypeOf(list[0]?.env)).toBe(null);
    },
  );

  it('refuses a "__proto__" key inside an entry of a VS Code or Cursor file: their reader takes it as the prototype, whose keys they would then read', () => {
    const entry = '{"type": "stdio", "command": "node", "__proto__": {"env": {"NODE_OPTIONS": "--require ./x.cjs"}}}';
    const message = '.vscode/mcp.json: has a "__proto__" key, which some hosts read as the object\'s prototype and mcpm cannot read as they do';
    expectError(() => parseConfig(`{"servers": {"s": ${entry}}}`, '.vscode/mcp.json', 'vscode'), 'CONFIG_INVALID', message);
    expectError(() => parseConfig(`{"mcpServers": {"s": ${entry}}}`, '.cursor/mcp.json', 'mcpServers', { vscodeFamily: true }), 'CONFIG_INVALID', message.replace('.vscode', '.cursor'));
    expectError(() => parseConfig('{"inputs": [{"id": "k", "__proto__": {"type": "command"}}], "servers": {}}', '.vscode/mcp.json', 'vscode'), 'CONFIG_INVALID', message);
    // At the top of the file too: it would give VS Code `inputs` (or `servers`) that mcpm never sees.
    expectError(() => parseConfig('{"__proto__": {"inputs": [{"id": "k", "type": "command"}]}, "servers": {}}', '.vscode/mcp.json', 'vscode'), 'CONFIG_INVALID', message);
  });

  it('an empty mcpServers object gives no servers', () => {
    expect(parseConfig('{"mcpServers": {}}', '.mcp.json', 'mcpServers')).toEqual([]);
  });
});

describe('parseConfig: mcpm\'s own settings in an entry', () => {
  it('reads "mcpm": {"deny": […]} for stdio and remote entries, outside the launch', () => {
    const local = one({ command: 'npx', args: ['-y', 'pkg'], mcpm: { deny: ['roots', 'sampling', 'roots'] } });
    expect(local.deny).toEqual(['sampling', 'roots']);
    expect(local.launch).toEqual(one({ command: 'npx', args: ['-y', 'pkg'] }).launch);
    expect(one({ type: 'http', url: 'https://x/mcp', mcpm: { deny: ['elicitation'] } }).deny).toEqual(['elicitation']);
    expect(one({ command: 'n', mcpm: {} }).deny).toBeUndefined();
    expect(one({ command: 'n' })).not.toHaveProperty('deny');
  });
});

describe('parseConfig: validation errors name file, server and field', () => {
  const invalid: Array<[string, unknown, string]> = [
    ['args not an array', { command: 'n', args: '-y pkg' }, '.mcp.json: server "notes": "args" must be an array of strings'],
    ['args with a number', { command: 'n', args: ['-y', 1] }, '.mcp.json: server "notes": "args" must be an array of strings'],
    ['args with a NUL', { command: 'n', args: ['a\u0000b'] }, '.mcp.json: server "notes": "args" contains a NUL character'],
    ['env not an object', { command: 'n', env: ['A=1'] }, '.mcp.json: server "notes": "env" must be an object of strings'],
    ['env value a number', { command: 'n', env: { PORT: 8080 } }, '.mcp.json: server "notes": "env": "PORT" must be a string'],
    ['env value null', { command: 'n', env: { TOKEN: null } }, '.mcp.json: server "notes": "env": "TOKEN" must be a string'],
    ['env name with =', { command: 'n', env: { 'A=B': '1' } }, '.mcp.json: server "notes": "env": "A=B" is not a valid environment variable name'],
    ['empty env name', { command: 'n', env: { '': '1' } }, '.mcp.json: server "notes": "env": "" is not a valid environment variable name'],
    ['headers value', { url: 'https://x', headers: { A: 1 } }, '.mcp.json: server "notes": "headers": "A" must be a string'],
    ['header name', { url: 'https://x', headers: { 'Bad Header': 'v' } }, '.mcp.json: server "notes": "headers": "Bad Header" is not a valid HTTP header name'],
    ['headers not an object', { url: 'https://x', headers: 'A: b' }, '.mcp.json: server "notes": "headers" must be an object of strings'],
    ['command and url', { command: 'n', url: 'https://x' }, '.mcp.json: server "notes": has both "command" and "url"; a server is either local (stdio) or remote'],
    ['neither', { args: ['x'] }, '.mcp.json: server "notes": needs "command" (stdio) or "url" (http, sse)'],
    ['empty command', { command: '' }, '.mcp.json: server "notes": "command" must be a non-empty string'],
    ['command an array', { command: ['npx', '-y'] }, '.mcp.json: server "notes": "command" must be a non-empty string'],
    ['command null', { command: null }, '.mcp.json: server "notes": "command" must be a non-empty string'],
    ['url a number', { url: 8080 }, '.mcp.json: server "notes": "url" must be a non-empty string'],
    [
      'a query in a reference default of the url',
      { url: '${MCP_URL:-https://h/mcp?api_key=sk-live-1}' },
      '.mcp.json: server "notes": "url" has a "?" in a ${VAR:-default}: a query there would be locked in clear; write the query after the reference (${BASE_URL:-https://…}?key=…)',
    ],
    ['cwd a number', { command: 'n', cwd: 1 }, '.mcp.json: server "notes": "cwd" must be a non-empty string'],
    ['headersHelper not a string', { url: 'https://x', headersHelper: ['sh', 'x'] }, '.mcp.json: server "notes": "headersHelper" must be a non-empty string (a shell command)'],
    ['type stdio without command', { type: 'stdio' }, '.mcp.json: server "notes": "command" is missing'],
    ['type http without url', { type: 'http' }, '.mcp.json: server "notes": "url" is missing'],
    ['type http with command', { type: 'http', command: 'n' }, '.mcp.json: server "notes": "type" is "http" but the entry has "command"'],
    ['type stdio with url', { type: 'stdio', url: 'https://x' }, '.mcp.json: server "notes": "type" is "stdio" but the entry has "url"'],
    ['type sse with command', { type: 'sse', command: 'n' }, '.mcp.json: server "notes": "type" is "sse" but the entry has "command"'],
    ['entry an array', ['npx'], '.mcp.json: server "notes": must be an object'],
    ['entry a string', 'npx pkg', '.mcp.json: server "notes": must be an object'],
    ['mcpm not an object', { command: 'n', mcpm: ['sampling'] }, '.mcp.json: server "notes": "mcpm" must be an object, e.g. "mcpm": {"deny": ["sampling"]}'],
    ['mcpm with a typo', { command: 'n', mcpm: { denny: ['sampling'] } }, '.mcp.json: server "notes": "mcpm" has the unknown key "denny" (it takes "deny", e.g. "mcpm": {"deny": ["sampling"]})'],
    ['deny a string', { command: 'n', mcpm: { deny: 'sampling' } }, '.mcp.json: server "notes": "mcpm": "deny" must be an array of "sampling", "elicitation", "roots"'],
    ['deny an unknown kind', { command: 'n', mcpm: { deny: ['sampling', 'tools'] } }, '.mcp.json: server "notes": "mcpm": "deny" must be an array of "sampling", "elicitation", "roots"'],
  ];
  it.each(invalid)('%s', (_title, entry, message) => {
    const error = expectError(() => one(entry), 'CONFIG_INVALID', message);
    expect(error.exitStatus).toBe(2);
    expect(error.hint).toBeDefined();
  });

  it.each(['websocket', 'HTTP', 'constructor', '__proto__', 'toString'])('type %j is refused', (type) => {
    expectError(() => one({ type, command: 'n' }), 'CONFIG_INVALID', /^\.mcp\.json: server "notes": "type" must be one of "stdio", "http"/);
  });

  it('quotes hostile server names as printable ASCII', () => {
    expectError(() => one({ args: [] }, 'a\u001b[31m\u202e'), 'CONFIG_INVALID', '.mcp.json: server "a\\u001b[31m\\u202e": needs "command" (stdio) or "url" (http, sse)');
  });

  it('an empty server name, or one with a NUL (no command line carries it), is refused', () => {
    expectError(() => one({ command: 'n' }, ''), 'CONFIG_INVALID', '.mcp.json: a server name is empty');
    expectError(() => one({ command: 'n' }, 'a\u0000b'), 'CONFIG_INVALID', '.mcp.json: server "a\\u0000b": its name contains a NUL character');
  });

  it.each([
    ['{}', '.mcp.json: has no "mcpServers" object'],
    ['{"mcpServers": []}', '.mcp.json: "mcpServers" must be an object of servers'],
    ['{"mcpServers": null}', '.mcp.json: "mcpServers" must be an object of servers'],
    ['[]', '.mcp.json: expected a JSON object at the top level'],
    ['"x"', '.mcp.json: expected a JSON object at the top level'],
  ])('top level %s', (text, message) => {
    expectError(() => parseConfig(text, '.mcp.json', 'mcpServers'), 'CONFIG_INVALID', message);
  });

  it('syntax errors carry file:line:col', () => {
    const error = expectError(
      () => parseConfig('{\n  "mcpServers": {\n    "a": { "command": "n", }\n  }\n}', '.mcp.json', 'mcpServers'),
      'CONFIG_INVALID',
      /^\.mcp\.json:3:\d+: /,
    );
    expect(error.cause).toBeDefined();
  });

  it('duplicate keys are refused, because hosts silently keep one of them', () => {
    const text = '{"mcpServers": {"a": {"command": "safe"}, "a": {"command": "evil"}}}';
    expectError(() => parseConfig(text, '.mcp.json', 'mcpServers'), 'CONFIG_INVALID', /^\.mcp\.json:1:\d+: .*duplicate/i);
  });

  it('comments are refused in mcpServers files (Claude Code and Cursor read strict JSON)', () => {
    expectError(() => parseConfig('{"mcpServers": {} // none\n}', '.mcp.json', 'mcpServers'), 'CONFIG_INVALID', /^\.mcp\.json:1:19: /);
  });
});

describe('parseConfig: VS Code format', () => {
  it('reads servers from JSONC with inputs, comments and trailing commas', () => {
    const list = parseConfig(fixture('vscode.mcp.json'), '.vscode/mcp.json', 'vscode');
    expect(list.map((s) => s.name)).toEqual(['perplexity', 'github']);
    expect(list[0]?.launch).toEqual({
      transport: 'stdio',
      command: 'npx',
      args: ['-y', 'server-perplexity-ask', '--endpoint', 'https://api.perplexity.ai//v1'],
      envNames: ['PERPLEXITY_API_KEY'],
      // The sandbox VS Code keeps it in, and the input its value comes from: part of the launch.
      hostSettings:
        '{"inputs":{"perplexity-key":{"description":"Perplexity API Key","id":"perplexity-key","password":true,"type":"promptString"}},"sandbox":{"network":{"allowedDomains":["api.perplexity.ai"]}}}',
    });
    expect(list[0]?.env.PERPLEXITY_API_KEY).toBe('${input:perplexity-key}');
    expect(list[1]?.launch).toEqual({ transport: 'http', url: 'https://api.githubcopilot.com/mcp/', signIn: '{"oauth":{"clientId":"abc"}}', headerNames: ['Authorization'] });
  });

  it('needs "servers", and "inputs" must be an array', () => {
    expectError(() => parseConfig('{"mcpServers": {}}', '.vscode/mcp.json', 'vscode'), 'CONFIG_INVALID', '.vscode/mcp.json: has no "servers" object');
    expectError(() => parseConfig('{"servers": {}, "inputs": {}}', '.vscode/mcp.json', 'vscode'), 'CONFIG_INVALID', '.vscode/mcp.json: "inputs" must be an array');
  });

  it('syntax errors point at the original line and column despite comments', () => {
    const text = '/* a\n   b */ {\n  // c\n  "servers": { "x": { "command": "n" } ]\n}';
    expectError(() => parseConfig(text, '.vscode/mcp.json', 'vscode'), 'CONFIG_INVALID', /^\.vscode\/mcp\.json:4:40: /);
  });

  it('still refuses duplicate keys', () => {
    expectError(
      () => parseConfig('{"servers": {"a": {"command": "x"}, /* again */ "a": {"command": "y"},}}', '.vscode/mcp.json', 'vscode'),
      'CONFIG_INVALID',
      /duplicate/i,
    );
  });
});

describe('parseConfig: sign-in settings and VS Code inputs', () => {
  it.each<[string, Record<string, unknown>, ServerConfig['oauth'], string]>([
    ['Claude Code', { oauth: { clientId: 'c1', callbackPort: 8080, scopes: 'read write' } }, { clientId: 'c1', callbackPort: 8080, scopes: 'read write' }, '{"oauth":{"callbackPort":8080,"clientId":"c1","scopes":"read write"}}'],
    [
      'Gemini',
      { oauth: { enabled: true, clientId: 'c2', clientSecret: '${SECRET}', scopes: ['a', 'b'], redirectUri: 'http://localhost:7777/cb' } },
      { clientId: 'c2', clientSecret: '${SECRET}', scopes: 'a b', redirectUri: 'http://localhost:7777/cb' },
      '{"oauth":{"clientId":"c2","clientSecret":"${SECRET}","enabled":true,"redirectUri":"http://localhost:7777/cb","scopes":["a","b"]}}',
    ],
    // A client secret in clear is never written: only that it is set.
    ['Cursor', { auth: { CLIENT_ID: 'c3', CLIENT_SECRET: 's', scopes: ['x'] } }, { clientId: 'c3', clientSecret: 's', scopes: 'x' }, '{"auth":{"CLIENT_ID":"c3","CLIENT_SECRET":"(set, not recorded)","scopes":["x"]}}'],
    ['a bad port', { oauth: { callbackPort: 'x' } }, { invalid: '"oauth"."callbackPort" is not a port number' }, '{"oauth":{"callbackPort":"x"}}'],
    ['a redirect elsewhere', { oauth: { redirectUri: 'https://evil.example/cb' } }, { invalid: '"oauth"."redirectUri" is not an http:// URL on this machine (localhost, 127.0.0.1)' }, '{"oauth":{"redirectUri":"https://evil.example/cb"}}'],
    ['Google credentials', { authProviderType: 'google_credentials' }, { unsupported: 'it signs in with "authProviderType": "google_credentials" (Google credentials), not with MCP\'s OAuth flow' }, '{"authProviderType":"google_credentials"}'],
    ['dynamic discovery', { authProviderType: 'dynamic_discovery' }, {}, '{"authProviderType":"dynamic_discovery"}'],
  ])('reads the %s settings of a remote entry, and keeps them as written in the launch: they say where the user\'s tokens go', (_host, keys, expected, signIn) => {
    const server = one({ url: 'https://x/mcp', ...keys });
    expect(server.oauth).toEqual(expected);
    expect(server.launch).toEqual({ transport: 'http', url: 'https://x/mcp', signIn, headerNames: [] });
  });

  it('every field that differs is named, for the reviewer (launchDifferences); messages take the first', () => {
    const locked = one({ url: 'https://x/mcp', headersHelper: 'a.sh', oauth: { clientId: 'c1' } }).launch;
    const changed = one({ url: 'https://x/mcp', headersHelper: 'b.sh', oauth: { clientId: 'c2' } }).launch;
    expect(launchDifferences(locked, changed)).toEqual(['the headers helpers', 'the sign-in settings']);
    expect(launchDifference(locked, changed)).toBe('the headers helpers');
    expect(launchDifferences(locked, locked)).toEqual([]);
  });

  it('a changed authorization server is a changed launch', () => {
    const locked = one({ url: 'https://x/mcp', oauth: { clientId: 'c1' } }).launch;
    const changed = one({ url: 'https://x/mcp', oauth: { clientId: 'c1', authServerMetadataUrl: 'https://evil.example/.well-known/oauth-authorization-server' } }).launch;
    expect(launchDifference(locked, changed)).toBe('the sign-in settings');
  });

  it('a remote entry without them has none', () => {
    expect(one({ url: 'https://x/mcp' }).oauth).toBeUndefined();
  });

  it('keeps VS Code inputs by id, with their description and password flag', () => {
    const text = JSON.stringify({
      inputs: [{ type: 'promptString', id: 'key', description: 'API key', password: true }, { type: 'promptString', id: 'region' }, 'junk', { id: 3 }],
      servers: { s: { command: 'n', env: { K: '${input:key}' } } },
    });
    const [server] = parseConfig(text, '.vscode/mcp.json', 'vscode');
    expect([...server!.inputs!]).toEqual([
      ['key', { description: 'API key', password: true }],
      ['region', { password: false }],
    ]);
  });

  it('takes any true "password" as VS Code does: what is typed is hidden', () => {
    const text = JSON.stringify({ inputs: [{ type: 'promptString', id: 'key', password: 1 }], servers: { s: { command: 'n', env: { K: '${input:key}' } } } });
    expect(parseConfig(text, '.vscode/mcp.json', 'vscode')[0]!.inputs!.get('key')).toEqual({ password: true });
  });
});

describe('configFormatOf', () => {
  const json = (text: string) => parseConfigJson(text, 'f.json', { jsonc: false });
  it('picks the format by shape', () => {
    expect(configFormatOf(json('{"servers": {}}'), 'f.json')).toBe('vscode');
    expect(configFormatOf(json('{"mcpServers": {}}'), 'f.json')).toBe('mcpServers');
    expect(configFormatOf(json('{}'), 'f.json')).toBe('mcpServers');
  });
  it('refuses a file with both keys', () => {
    expectError(() => configFormatOf(json('{"servers": {}, "mcpServers": {}}'), 'f.json'), 'CONFIG_INVALID', /^f\.json: has both "servers"/);
  });
});

describe('mergeConfigs', () => {
  it('merges identical definitions, keeping the first file and first-appearance order', () => {
    const merged = mergeConfigs([
      [server('b', '.mcp.json', stdio(['b'])), server('a', '.mcp.json', stdio(['a']))],
      [server('c', '.cursor/mcp.json', stdio(['c'])), server('b', '.cursor/mcp.json', stdio(['b']))],
    ]);
    expect([...merged.keys()]).toEqual(['b', 'a', 'c']);
    expect(merged.get('b')?.source).toBe('.mcp.json');
  });

  it('env values may differ (${X} vs ${env:X}); the first file wins', () => {
    const launch = stdio(['x'], { envNames: ['TOKEN'] });
    const merged = mergeConfigs([
      [server('n', '.mcp.json', launch, { TOKEN: '${TOKEN}' })],
      [server('n', '.cursor/mcp.json', launch, { TOKEN: '${env:TOKEN}' })],
    ]);
    expect(merged.get('n')?.env.TOKEN).toBe('${TOKEN}');
  });

  it('the Claude Code and Cursor fixtures give "notes" an env file and another LOG_LEVEL: a conflict, as Cursor would start values nobody reviewed', () => {
    const merge = (cursor: string) =>
      mergeConfigs([parseConfig(fixture('claude-code.mcp.json'), '.mcp.json', 'mcpServers'), parseConfig(cursor, '.cursor/mcp.json', 'mcpServers', { vscodeFamily: true })]);
    const differ = (what: string) => `server "notes" is defined differently in .mcp.json and .cursor/mcp.json: ${what} differ`;
    expectError(() => merge(fixture('cursor.mcp.json')), 'CONFIG_CONFLICT', differ('the env files'));
    const withoutEnvFile = fixture('cursor.mcp.json').replace(',\n      "envFile": ".env"', '');
    expectError(() => merge(withoutEnvFile), 'CONFIG_CONFLICT', differ('the env values of "LOG_LEVEL"'));
    // ${NOTES_TOKEN} and ${env:NOTES_TOKEN} are one value: with LOG_LEVEL the same, the two files agree.
    const cursor = withoutEnvFile.replace('"LOG_LEVEL": "debug"', '"LOG_LEVEL": "info"');
    const merged = mergeConfigs([parseConfig(fixture('claude-code.mcp.json'), '.mcp.json', 'mcpServers'), parseConfig(cursor, '.cursor/mcp.json', 'mcpServers')]);
    expect([...merged.keys()]).toEqual(['api', 'local', 'notes', 'userjot', 'legacy']);
  });

  it('a URL whose query value differs in a second file is a conflict: URLs not bound yet are compared as written', () => {
    const remote = (url: string): LaunchSpec => ({ transport: 'http', url, headerNames: [] });
    expectError(
      () => mergeConfigs([[server('n', '.mcp.json', remote('https://h/mcp?key=sk-live-1'))], [server('n', '.cursor/mcp.json', remote('https://h/mcp?key=sk-evil-2'))]]),
      'CONFIG_CONFLICT',
      'server "n" is defined differently in .mcp.json and .cursor/mcp.json: the URLs differ',
    );
  });

  it('a URL may spell a variable either way (${X} vs ${env:X}); the first file wins; anything else in it is compared as written', () => {
    const remote = (url: string): LaunchSpec => ({ transport: 'http', url, headerNames: [] });
    const merge = (first: string, second: string) => mergeConfigs([[server('n', '.mcp.json', remote(first))], [server('n', '.cursor/mcp.json', remote(second))]]);
    const merged = merge('https://h/mcp?key=${API_KEY}&org=acme', 'https://h/mcp?key=${env:API_KEY}&org=acme');
    expect(merged.get('n')?.launch).toMatchObject({ url: 'https://h/mcp?key=${API_KEY}&org=acme' });
    expect(merge('https://${env:HOST}/mcp', 'https://${HOST}/mcp').get('n')?.launch).toMatchObject({ url: 'https://${env:HOST}/mcp' });
    const differ = 'server "n" is defined differently in .mcp.json and .cursor/mcp.json: the URLs differ';
    expectError(() => merge('https://h/mcp?key=${API_KEY}', 'https://h/mcp?key=${env:OTHER_KEY}'), 'CONFIG_CONFLICT', differ);
    expectError(() => merge('https://h/mcp?key=${API_KEY}&org=acme', 'https://h/mcp?key=${env:API_KEY}&org=evil'), 'CONFIG_CONFLICT', differ);
    // Only the `env:` spelling is the same variable: `${input:…}` is a prompt, not the environment.
    expectError(() => merge('https://h/mcp?key=${API_KEY}', 'https://h/mcp?key=${input:API_KEY}'), 'CONFIG_CONFLICT', differ);
  });

  it('a value given differently in a second file is a conflict: the first would be locked, the second started by its host', () => {
    const launch = stdio(['x'], { envNames: ['FIXTURE_DEFS'] });
    expectError(
      () => mergeConfigs([[server('n', '.mcp.json', launch, { FIXTURE_DEFS: 'defs.json' })], [server('n', '.cursor/mcp.json', launch, { FIXTURE_DEFS: 'evil-defs.json' })]]),
      'CONFIG_CONFLICT',
      'server "n" is defined differently in .mcp.json and .cursor/mcp.json: the env values of "FIXTURE_DEFS" differ',
    );
  });

  it.each<[string, LaunchSpec, string]>([
    ['args', stdio(['-y', 'pkg@2']), 'the args'],
    ['env names', stdio(['-y', 'pkg@1'], { envNames: ['EXTRA'] }), 'the env variable names'],
    ['transport', { transport: 'http', url: 'https://x', headerNames: [] }, 'the transports'],
  ])('a different %s is CONFIG_CONFLICT naming both files and the server', (_title, other, what) => {
    const error = expectError(
      () => mergeConfigs([[server('notes', '.mcp.json', stdio(['-y', 'pkg@1']))], [server('notes', '.cursor/mcp.json', other)]]),
      'CONFIG_CONFLICT',
      `server "notes" is defined differently in .mcp.json and .cursor/mcp.json: ${what} differ`,
    );
    expect(error.exitStatus).toBe(2);
  });

  it('works for a server named __proto__', () => {
    const merged = mergeConfigs([[server('__proto__', 'a', stdio([]))], [server('__proto__', 'b', stdio([]))]]);
    expect([...merged.keys()]).toEqual(['__proto__']);
    expect(() => mergeConfigs([[server('__proto__', 'a', stdio([]))], [server('__proto__', 'b', stdio(['x']))]])).toThrow(McpmError);
  });
});
