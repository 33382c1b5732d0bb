import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { applyArgEdits, editConfigFiles, locateArg, restoreFiles } from '../../../../src/adapters/pins/config-edit.js';

const VSCODE = `// VS Code's file, with comments
{
  "servers": {
    /* pinned soon */ "notes": {
      "type": "stdio",
      "command": "npx",
      "args": [ "-y", "@acme/notes" ], // trailing comment
    },
  },
}
`;

describe('locateArg and applyArgEdits', () => {
  it('finds an args element in a JSONC file by offsets and changes only its token', () => {
    const found = locateArg(VSCODE, '.vscode/mcp.json', 'notes', 1)!;
    expect(found.value).toBe('@acme/notes');
    expect(VSCODE.slice(found.start, found.end)).toBe('"@acme/notes"');
    const edited = applyArgEdits(VSCODE, '.vscode/mcp.json', [{ server: 'notes', argIndex: 1, from: '@acme/notes', to: '@acme/notes@1.2.3' }]);
    expect(edited).toBe(VSCODE.replace('"@acme/notes"', '"@acme/notes@1.2.3"'));
  });

  it('reads escaped strings and keeps CRLF files CRLF', () => {
    const text = '{\r\n  "mcpServers": {\r\n    "a\\u0062": {"command": "npx", "args": ["-y", "\\u0040acme/x"]}\r\n  }\r\n}\r\n';
    const edited = applyArgEdits(text, '.mcp.json', [{ server: 'ab', argIndex: 1, from: '@acme/x', to: '@acme/x@1.0.0' }]);
    expect(edited).toBe(text.replace('"\\u0040acme/x"', '"@acme/x@1.0.0"'));
  });

  it('refuses an element that holds another value (a file changed since, or guarded)', () => {
    const text = '{"mcpServers": {"a": {"command": "mcpm", "args": ["run", "a"]}}}';
    expect(() => applyArgEdits(text, '.mcp.json', [{ server: 'a', argIndex: 1, from: 'pkg', to: 'pkg@1.0.0' }])).toThrow(
      /\.mcp\.json: server "a": args\[1\] is not "pkg" any more/,
    );
    expect(() => applyArgEdits(text, '.mcp.json', [{ server: 'b', argIndex: 0, from: 'x', to: 'y' }])).toThrow(/CONFIG|any more/);
  });
});

describe('editConfigFiles', () => {
  let dir = '';
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('edits every file that defines the server, and restoreFiles puts them back', async () => {
    dir = mkdtempSync(join(tmpdir(), 'mcpm-edit-'));
    const claude = '{\n  "mcpServers": {\n    "a": { "command": "npx", "args": ["-y", "pkg"] }\n  }\n}\n';
    const cursor = '{"mcpServers":{"a":{"command":"npx","args":["-y","pkg"]},"b":{"command":"x"}}}';
    writeFileSync(join(dir, '.mcp.json'), claude);
    writeFileSync(join(dir, 'other.json'), '{"mcpServers":{"b":{"command":"x"}}}');
    writeFileSync(join(dir, 'cursor.json'), cursor);
    const written = await editConfigFiles(dir, ['.mcp.json', 'other.json', 'cursor.json'], [{ server: 'a', argIndex: 1, from: 'pkg', to: 'pkg@2.0.0' }]);
    expect(written.map((w) => w.shown)).toEqual(['.mcp.json', 'cursor.json']);
    expect(readFileSync(join(dir, '.mcp.json'), 'utf8')).toBe(claude.replace('"pkg"', '"pkg@2.0.0"'));
    expect(readFileSync(join(dir, 'cursor.json'), 'utf8')).toBe(cursor.replace('"pkg"', '"pkg@2.0.0"'));
    await restoreFiles(written);
    expect(readFileSync(join(dir, '.mcp.json'), 'utf8')).toBe(claude);
    expect(readFileSync(join(dir, 'cursor.json'), 'utf8')).toBe(cursor);
  });

  it('puts back the files it wrote when a later one fails', async () => {
    dir = mkdtempSync(join(tmpdir(), 'mcpm-edit-'));
    const good = '{"mcpServers":{"a":{"command":"npx","args":["-y","pkg"]}}}';
    writeFileSync(join(dir, 'one.json'), good);
    writeFileSync(join(dir, 'two.json'), '{"mcpServers":{"a":{"command":"npx","args":["-y","other"]}}}');
    await expect(editConfigFiles(dir, ['one.json', 'two.json'], [{ server: 'a', argIndex: 1, from: 'pkg', to: 'pkg@1.0.0' }])).rejects.toThrow(/two\.json/);
    expect(readFileSync(join(dir, 'one.json'), 'utf8')).toBe(good);
  });
});

describe('editConfigFiles, a server in no editable file', () => {
  it('refuses, and leaves every file as it was', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mcpm-edit-'));
    try {
      const text = '{"mcpServers":{"b":{"command":"x"}}}';
      writeFileSync(join(dir, '.mcp.json'), text);
      writeFileSync(join(dir, 'config.toml'), '[mcp_servers.a]\ncommand = "npx"\n');
      await expect(editConfigFiles(dir, ['.mcp.json', 'config.toml'], [{ server: 'a', argIndex: 1, from: 'pkg', to: 'pkg@1.0.0' }])).rejects.toThrow(
        /server "a" is not defined under "mcpServers" or "servers"/,
      );
      expect(readFileSync(join(dir, '.mcp.json'), 'utf8')).toBe(text);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
