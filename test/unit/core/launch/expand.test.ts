import { describe, expect, it } from 'vitest';
import { inputReferences, inputVariable, resolveServerConfig, resolveVariables, unresolvedVariables, variableReferences } from '../../../../src/core/launch/expand.js';
import { parseConfig, type ServerConfig } from '../../../../src/core/launch/parse.js';
import { caught } from '../helpers.js';
import { expectError, fixture, server, stdio } from './helpers.js';

describe('resolveVariables', () => {
  const env = { HOME: '/home/u', TOKEN: 's3cret', EMPTY: '', PORT: '8080' };
  it.each<[string, string]>([
    ['plain', 'plain'],
    ['${TOKEN}', 's3cret'],
    ['Bearer ${TOKEN}', 'Bearer s3cret'],
    ['${HOME}/x:${PORT}', '/home/u/x:8080'],
    ['${UNSET:-fallback}', 'fallback'],
    ['${UNSET:-}', ''],
    ['${UNSET:-https://a.example/x?y=1}', 'https://a.example/x?y=1'],
    ['${TOKEN:-fallback}', 's3cret'],
    ['${EMPTY:-fallback}', ''],
    ['${env:TOKEN}', 's3cret'],
    ['${userHome}/.config', '/home/u/.config'],
    ['a${/}b${pathSeparator}c', 'a/b/c'],
    ['$TOKEN', '$TOKEN'],
    ['$$TOKEN', '$$TOKEN'],
    ['${}', '${}'],
    ['${TOKEN', '${TOKEN'],
    ['$${TOKEN}', '$s3cret'],
    ['${UNSET:-${TOKEN}}', '${TOKEN}'],
  ])('%s → %s', (value, expected) => {
    expect(resolveVariables(value, env, 'where')).toBe(expected);
  });

  it('${userHome} falls back to USERPROFILE', () => {
    expect(resolveVariables('${userHome}', { USERPROFILE: 'C:\\Users\\u' }, 'w')).toBe('C:\\Users\\u');
  });

  it('${workspaceFolder} and ${workspaceFolderBasename} come from the context', () => {
    const context = { projectDir: '/work/proj' };
    expect(resolveVariables('${workspaceFolder}/srv', env, 'w', context)).toBe('/work/proj/srv');
    expect(resolveVariables('${workspaceFolderBasename}', env, 'w', context)).toBe('proj');
    expect(resolveVariables('${workspaceFolderBasename}', env, 'w', { projectDir: 'C:\\p\\q\\' })).toBe('q');
    expect(resolveVariables('${/}', env, 'w', { pathSeparator: '\\' })).toBe('\\');
    expectError(() => resolveVariables('${workspaceFolder}', env, 'w'), 'CONFIG_VARIABLE_UNRESOLVED', 'w: "${workspaceFolder}" needs the project directory, which is not known here');
  });

  it.each<[string, string]>([
    ['${UNSET}', 'where: environment variable "UNSET" is not set'],
    ['x ${TOKEN} ${UNSET} y', 'where: environment variable "UNSET" is not set'],
    ['${env:UNSET}', 'where: environment variable "UNSET" is not set'],
    ['${input:perplexity-key}', 'where: "${input:perplexity-key}" is a VS Code input, and no value was given for it'],
    ['${config:editor.fontSize}', 'where: "${config:editor.fontSize}" is not a reference mcpm can resolve'],
    ['${command:pick}', 'where: "${command:pick}" is not a reference mcpm can resolve'],
    ['${file:/etc/passwd}', 'where: "${file:/etc/passwd}" is not a reference mcpm can resolve'],
    ['${not a name}', 'where: "${not a name}" is not a reference mcpm can resolve'],
    ['${constructor}', 'where: environment variable "constructor" is not set'],
    ['${toString}', 'where: environment variable "toString" is not set'],
    ['${__proto__}', 'where: environment variable "__proto__" is not set'],
  ])('%s is CONFIG_VARIABLE_UNRESOLVED', (value, message) => {
    const error = expectError(() => resolveVariables(value, env, 'where'), 'CONFIG_VARIABLE_UNRESOLVED', message);
    expect(error.exitStatus).toBe(2);
    expect(error.hint).toBeDefined();
  });

  it('${input:ID} takes the value given for it, and only that', () => {
    const inputs = new Map([['api-key', 'k3y value']]);
    expect(resolveVariables('--key=${input:api-key}', env, 'w', { inputs })).toBe('--key=k3y value');
    const error = expectError(() => resolveVariables('${input:other}', env, 'w', { inputs }), 'CONFIG_VARIABLE_UNRESOLVED', 'w: "${input:other}" is a VS Code input, and no value was given for it');
    expect(error.hint).toBe('set MCPM_INPUT_OTHER, or run mcpm in a terminal to be asked for it');
  });

  it.each([
    ['api-key', 'MCPM_INPUT_API_KEY'],
    ['perplexity.key', 'MCPM_INPUT_PERPLEXITY_KEY'],
    ['Token_2', 'MCPM_INPUT_TOKEN_2'],
  ])('the variable for input %j is %s', (id, name) => {
    expect(inputVariable(id)).toBe(name);
  });

  it('${userHome} without HOME is unresolved', () => {
    expectError(() => resolveVariables('${userHome}', {}, 'w'), 'CONFIG_VARIABLE_UNRESOLVED', 'w: "${userHome}" needs HOME, which is not set');
  });

  it('only own properties of env count (process.env-like objects inherit from Object.prototype)', () => {
    const inherited = Object.assign(Object.create({ INHERITED: 'x' }) as Record<string, string>, { OWN: 'y' });
    expect(resolveVariables('${OWN}', inherited, 'w')).toBe('y');
    expectError(() => resolveVariables('${INHERITED}', inherited, 'w'), 'CONFIG_VARIABLE_UNRESOLVED', /"INHERITED" is not set/);
  });

  it('never puts a resolved value in an error message', () => {
    const secret = 'sk-live-DO-NOT-PRINT';
    for (const value of [`\${TOKEN}\${UNSET}`, '${TOKEN} ${input:x}', '${TOKEN:-a}${nope nope}']) {
      const error = caught(() => resolveVariables(value, { TOKEN: secret }, 'w'));
      expect(`${error.message}\n${error.hint ?? ''}`).not.toContain(secret);
    }
  });

  it('variableReferences lists the references as written', () => {
    expect(variableReferences('a ${X} $Y ${env:Z} ${W:-d}')).toEqual(['X', 'env:Z', 'W:-d']);
  });
});

describe('inputReferences', () => {
  it('lists the inputs of every launch field once, in order', () => {
    const [stdio] = parseConfig(
      JSON.stringify({ servers: { s: { command: '${input:cmd}', args: ['${input:a}', '${input:cmd}'], env: { K: '${input:k}', L: '${env:L}' } } } }),
      '.vscode/mcp.json',
      'vscode',
    );
    expect(inputReferences(stdio!)).toEqual(['cmd', 'a', 'k']);
    const [remote] = parseConfig(JSON.stringify({ servers: { r: { type: 'http', url: 'https://x/${input:path}', headers: { A: 'Bearer ${input:t}' } } } }), 'f', 'vscode');
    expect(inputReferences(remote!)).toEqual(['path', 't']);
  });
});

describe('resolveServerConfig', () => {
  const [api, , notes] = parseConfig(fixture('claude-code.mcp.json'), '.mcp.json', 'mcpServers') as ServerConfig[];

  it('resolves command, args and env values of a stdio server; names stay as written', () => {
    const resolved = resolveServerConfig(notes as ServerConfig, { HOME: '/h', NOTES_TOKEN: 't0k' });
    expect(resolved).toEqual({
      transport: 'stdio',
      command: 'npx',
      args: ['-y', '@acme/notes-mcp@1.4.2', '--root', '/h/notes'],
      env: Object.assign(Object.create(null) as object, { NOTES_TOKEN: 't0k', LOG_LEVEL: 'info' }),
    });
  });

  it('resolves url and header values of a remote server', () => {
    const resolved = resolveServerConfig(api as ServerConfig, { API_KEY: 'k' });
    expect(resolved).toMatchObject({ transport: 'http', url: 'https://api.example.com/mcp' });
    expect(resolved.transport !== 'stdio' && { ...resolved.headers }).toEqual({ Authorization: 'Bearer k', 'X-Client': 'mcpm' });
  });

  it('names the file, the server and the field of an unresolved reference', () => {
    expectError(
      () => resolveServerConfig(notes as ServerConfig, { HOME: '/h' }),
      'CONFIG_VARIABLE_UNRESOLVED',
      '.mcp.json: server "notes": env "NOTES_TOKEN": environment variable "NOTES_TOKEN" is not set',
    );
    expectError(
      () => resolveServerConfig(notes as ServerConfig, {}),
      'CONFIG_VARIABLE_UNRESOLVED',
      '.mcp.json: server "notes": "args"[3]: environment variable "HOME" is not set',
    );
    expectError(
      () => resolveServerConfig(api as ServerConfig, {}),
      'CONFIG_VARIABLE_UNRESOLVED',
      '.mcp.json: server "api": headers "Authorization": environment variable "API_KEY" is not set',
    );
  });
});

describe('unresolvedVariables', () => {
  const a = server('a', '.mcp.json', stdio(['${ONE}', '${TWO}:${ONE}', '${SET:-x}']), { TOKEN: '${THREE}' });
  const b = server('b', '.mcp.json', stdio(['${input:key}']));

  it('lists every reference that cannot be resolved, in every server, as one error', () => {
    const error = unresolvedVariables([a, b], { SET: '' });
    expect(error?.code).toBe('CONFIG_VARIABLE_UNRESOLVED');
    expect(error?.message).toBe('5 references in the config cannot be resolved:');
    expect(error?.detail?.split('\n')).toEqual([
      '.mcp.json: server "a": "args"[0]: environment variable "ONE" is not set',
      '.mcp.json: server "a": "args"[1]: environment variable "TWO" is not set',
      '.mcp.json: server "a": "args"[1]: environment variable "ONE" is not set',
      '.mcp.json: server "a": env "TOKEN": environment variable "THREE" is not set',
      '.mcp.json: server "b": "args"[0]: "${input:key}" is a VS Code input, and no value was given for it',
    ]);
    // Mixed kinds: each kind's own hint, once.
    expect(error?.hint).toBe('set ONE, or write ${ONE:-default} in the config; set TWO, or write ${TWO:-default} in the config; set THREE, or write ${THREE:-default} in the config; set MCPM_INPUT_KEY, or run mcpm in a terminal to be asked for it');
  });

  it('only unset variables: one hint naming them all; a single problem keeps its own error', () => {
    expect(unresolvedVariables([a], {})?.hint).toBe('set ONE, TWO and THREE, or give each a default in the config: ${NAME:-default}');
    const one = unresolvedVariables([b], {});
    expect(one?.message).toBe('.mcp.json: server "b": "args"[0]: "${input:key}" is a VS Code input, and no value was given for it');
    expect(unresolvedVariables([a], { ONE: '1', TWO: '2', THREE: '3' })).toBeNull();
  });
});
