import { describe, expect, it } from 'vitest';
import { packageFetchOf } from '../../../src/core/package-spec.js';

const NOTHING = ['--', 'node', '-e', '0'];

// [launch line, the fetch command line (null: nothing fetched first)]; split on spaces.
const TABLE: Array<[string, string | null]> = [
  ['npx -y @acme/notes@1.4.2 --stdio', 'npx -y --package=@acme/notes@1.4.2'],
  ['npx @acme/notes', 'npx --package=@acme/notes'],
  ['npx -y -- pkg@1.0.0 --flag', 'npx -y --package=pkg@1.0.0'],
  ['npx --registry https://r.example/ -y pkg@1.0.0', 'npx --registry https://r.example/ -y --package=pkg@1.0.0'],
  // The package list (and so npx's cache directory) is the server's: every --package stays.
  ['npx -y -p @acme/notes@2.0.0 -p helper@1.0.0 notes-server --port 1', 'npx -y -p @acme/notes@2.0.0 -p helper@1.0.0'],
  ['npx -y --package=@acme/notes@2.0.0 notes-server', 'npx -y --package=@acme/notes@2.0.0'],
  ['npm exec -y pkg@1.0.0', 'npm exec -y --package=pkg@1.0.0'],
  ['cmd /c npx -y pkg@1.0.0', 'cmd /c npx -y --package=pkg@1.0.0'],
  // Nothing to fetch, or a runner whose cache is not known to work this way.
  ['npx -c some-command', null],
  ['npx -y ./local-dir', null],
  ['npx -y ${PKG}', null],
  ['npx -y github:acme/notes', null],
  ['pnpm dlx pkg@1.0.0', null],
  ['uvx mcp-server-fetch==1.0', null],
  ['node server.js', null],
];

describe('packageFetchOf', () => {
  it.each(TABLE)('%s', (line, expected) => {
    const [command, ...args] = line.split(' ');
    const fetch = packageFetchOf(command!, args);
    if (expected === null) return expect(fetch).toBeNull();
    const [fetchCommand, ...fetchArgs] = expected.split(' ');
    expect(fetch).toMatchObject({ command: fetchCommand, args: [...fetchArgs, ...NOTHING] });
  });

  it('names the package as the launch writes it', () => {
    expect(packageFetchOf('npx', ['-y', '@acme/notes@1.4.2'])?.package).toBe('@acme/notes@1.4.2');
    expect(packageFetchOf('npx', ['-y', '--package=@acme/notes@2.0.0', 'notes'])?.package).toBe('@acme/notes@2.0.0');
  });
});
