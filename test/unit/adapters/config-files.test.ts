import { execFileSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/adapters/config-files.js';
import { putFile, rejection } from './helpers.js';

const fixtures = new URL('../../fixtures/configs/', import.meta.url);
const fixture = (name: string): Promise<string> => fs.readFile(new URL(name, fixtures), 'utf8');

let project: string;
beforeEach(async () => {
  project = await fs.mkdtemp(path.join(os.tmpdir(), 'mcpm-config-files-'));
});
afterEach(async () => {
  await fs.rm(project, { recursive: true, force: true });
});

const put = (file: string, text: string | Buffer): Promise<string> => putFile(project, file, text);

describe('loadConfig: discovery', () => {
  it('reads .mcp.json, .cursor/mcp.json and .vscode/mcp.json, merging them', async () => {
    await put('.mcp.json', await fixture('claude-code.mcp.json'));
    // The same LOG_LEVEL as .mcp.json and no env file: a value or an env file given otherwise in a second file is a conflict.
    const cursor = (await fixture('cursor.mcp.json')).replace('"LOG_LEVEL": "debug"', '"LOG_LEVEL": "info"').replace(',\n      "envFile": ".env"', '');
    await put('.cursor/mcp.json', cursor);
    await put('.vscode/mcp.json', await fixture('vscode.mcp.json'));
    const { servers, files } = await loadConfig(project, []);
    expect(files).toEqual(['.mcp.json', '.cursor/mcp.json', '.vscode/mcp.json']);
    expect([...servers.keys()]).toEqual(['api', 'local', 'notes', 'userjot', 'legacy', 'perplexity', 'github']);
    expect(servers.get('notes')?.source).toBe('.mcp.json');
    expect(servers.get('userjot')?.source).toBe('.cursor/mcp.json');
    expect(servers.get('github')?.source).toBe('.vscode/mcp.json');
    // Both files define "notes" alike (${NOTES_TOKEN} and ${env:NOTES_TOKEN} are one value); the first file's spelling is kept.
    expect(servers.get('notes')?.env.NOTES_TOKEN).toBe('${NOTES_TOKEN}');
  });

  it('reads whichever files exist', async () => {
    await put('.vscode/mcp.json', await fixture('vscode.mcp.json'));
    const { servers, files } = await loadConfig(project, []);
    expect(files).toEqual(['.vscode/mcp.json']);
    expect([...servers.keys()]).toEqual(['perplexity', 'github']);
  });

  it('finding nothing is CONFIG_NOT_FOUND with a hint', async () => {
    const error = await rejection(loadConfig(project, []), 'CONFIG_NOT_FOUND');
    expect(error.message).toContain('looked for .mcp.json, .cursor/mcp.json, .vscode/mcp.json');
    expect(error.hint).toBe('create .mcp.json, or pass --config FILE');
    expect(error.exitStatus).toBe(2);
  });

  it('one name defined differently in two files is CONFIG_CONFLICT naming both', async () => {
    await put('.mcp.json', '{"mcpServers": {"notes": {"command": "npx", "args": ["notes@1"]}}}');
    await put('.cursor/mcp.json', '{"mcpServers": {"notes": {"command": "npx", "args": ["notes@2"]}}}');
    const error = await rejection(loadConfig(project, []), 'CONFIG_CONFLICT');
    expect(error.message).toBe('server "notes" is defined differently in .mcp.json and .cursor/mcp.json: the args differ');
  });

  it('unparsable JSON is CONFIG_INVALID with file:line:col', async () => {
    await put('.mcp.json', '{\n  "mcpServers": {\n    "a": {"command": "n"}\n  \n');
    const error = await rejection(loadConfig(project, []), 'CONFIG_INVALID');
    expect(error.message).toMatch(/^\.mcp\.json:5:1: /);
  });

  it('comments are accepted in .vscode/mcp.json only', async () => {
    await put('.vscode/mcp.json', '{ // ok here\n "servers": {},\n}');
    await expect(loadConfig(project, [])).resolves.toMatchObject({ files: ['.vscode/mcp.json'] });
    await put('.cursor/mcp.json', '{ // not here\n "mcpServers": {}\n}');
    const error = await rejection(loadConfig(project, []), 'CONFIG_INVALID');
    expect(error.message).toMatch(/^\.cursor\/mcp\.json:1:3: /);
  });

  it('a file with invalid UTF-8 is CONFIG_INVALID', async () => {
    await put('.mcp.json', Buffer.from([0x7b, 0xff, 0x7d]));
    const error = await rejection(loadConfig(project, []), 'CONFIG_INVALID');
    expect(error.message).toBe('.mcp.json: is not valid UTF-8');
  });

  it('a directory where a config should be is CONFIG_INVALID, not "missing"', async () => {
    await fs.mkdir(path.join(project, '.mcp.json'));
    const error = await rejection(loadConfig(project, []), 'CONFIG_INVALID');
    expect(error.message).toMatch(/^\.mcp\.json: (is not a regular file|cannot be read)/);
  });

  it.skipIf(process.platform === 'win32')('a FIFO is refused without blocking', async () => {
    execFileSync('mkfifo', [path.join(project, '.mcp.json')]);
    const error = await rejection(loadConfig(project, []), 'CONFIG_INVALID');
    expect(error.message).toBe('.mcp.json: is not a regular file');
  });

  it.skipIf(process.platform === 'win32')('a symlink to a regular file is followed', async () => {
    const real = await put('shared/mcp.json', '{"mcpServers": {"a": {"command": "n"}}}');
    await fs.symlink(real, path.join(project, '.mcp.json'));
    const { servers } = await loadConfig(project, []);
    expect([...servers.keys()]).toEqual(['a']);
  });

  it('a server named __proto__ survives discovery and merging', async () => {
    await put('.mcp.json', '{"mcpServers": {"__proto__": {"command": "n"}, "constructor": {"url": "https://x"}}}');
    const { servers } = await loadConfig(project, []);
    expect([...servers.keys()]).toEqual(['__proto__', 'constructor']);
  });
});

describe('loadConfig: --config files', () => {
  it('replace discovery, resolve relative to the project, and pick the format by shape', async () => {
    await put('.mcp.json', '{"mcpServers": {"ignored": {"command": "n"}}}');
    await put('configs/claude.json', await fixture('claude-code.mcp.json'));
    await put('configs/vscode.json', await fixture('vscode.mcp.json'));
    const { servers, files } = await loadConfig(project, ['configs/claude.json', 'configs/vscode.json']);
    expect(files).toEqual(['configs/claude.json', 'configs/vscode.json']);
    expect([...servers.keys()]).toEqual(['api', 'local', 'notes', 'perplexity', 'github']);
    expect(servers.get('github')?.source).toBe('configs/vscode.json');
  });

  it('an absolute path inside the project is shown relative to it; one outside as given', async () => {
    const inside = await put('sub/a.json', '{"mcpServers": {"a": {"command": "n"}}}');
    const outsideDir = await fs.mkdtemp(path.join(os.tmpdir(), 'mcpm-config-outside-'));
    try {
      const outside = path.join(outsideDir, 'b.json');
      await fs.writeFile(outside, '{"servers": {"b": {"url": "https://b"}}}');
      const { servers, files } = await loadConfig(project, [inside, outside]);
      expect(files).toEqual(['sub/a.json', outside]);
      expect(servers.get('b')?.source).toBe(outside);
    } finally {
      await fs.rm(outsideDir, { recursive: true, force: true });
    }
  });

  it('a missing named file is CONFIG_NOT_FOUND naming it', async () => {
    await put('.mcp.json', '{"mcpServers": {}}');
    const error = await rejection(loadConfig(project, ['nope.json']), 'CONFIG_NOT_FOUND');
    expect(error.message).toBe('nope.json: no such config file');
  });

  it('a named file may be JSONC only when it has VS Code\'s shape', async () => {
    await put('vs.json', '{\n  // VS Code\n  "servers": {"a": {"command": "n",},},\n}');
    await expect(loadConfig(project, ['vs.json'])).resolves.toMatchObject({ files: ['vs.json'] });
    await put('claude.json', '{\n  // Claude\n  "mcpServers": {}\n}');
    const error = await rejection(loadConfig(project, ['claude.json']), 'CONFIG_INVALID');
    expect(error.message).toMatch(/^claude\.json:2:3: /);
  });

  it('a named file with both "servers" and "mcpServers" is refused', async () => {
    await put('both.json', '{"servers": {}, "mcpServers": {}}');
    const error = await rejection(loadConfig(project, ['both.json']), 'CONFIG_INVALID');
    expect(error.message).toMatch(/^both\.json: has both "servers"/);
  });

  it('the same file named twice merges with itself', async () => {
    await put('a.json', '{"mcpServers": {"a": {"command": "n"}}}');
    const { servers } = await loadConfig(project, ['a.json', './a.json']);
    expect([...servers.keys()]).toEqual(['a']);
  });
});
