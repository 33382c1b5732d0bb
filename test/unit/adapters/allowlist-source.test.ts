import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { allowlistCacheDir, parseGitSource, readAllowlistSource } from '../../../src/adapters/allowlist-source.js';

describe('git allow-list sources', () => {
  it.each([
    ['git+file:///srv/policy.git#main:mcp', { url: 'file:///srv/policy.git', ref: 'main', path: 'mcp' }],
    ['git+https://git.example.com/sec/p.git#v3:teams/a/mcp-allowlist.json', { url: 'https://git.example.com/sec/p.git', ref: 'v3', path: 'teams/a/mcp-allowlist.json' }],
    ['git+ssh://git@git.example.com/sec/p.git#main', { url: 'ssh://git@git.example.com/sec/p.git', ref: 'main', path: '' }],
    ['git+file:///srv/p.git', { url: 'file:///srv/p.git', ref: 'HEAD', path: '' }],
    ['git+file:///srv/p.git#:mcp', { url: 'file:///srv/p.git', ref: 'HEAD', path: 'mcp' }],
  ])('%s', (source, parsed) => {
    expect(parseGitSource(source)).toEqual(parsed);
  });

  it('a local path is not a git source', () => {
    expect(parseGitSource('/etc/mcpm/mcp-allowlist.json')).toBeUndefined();
    expect(parseGitSource('policy')).toBeUndefined();
  });

  it('a URL or ref git would read as an option is refused', () => {
    expect(() => parseGitSource('git+--upload-pack=touch /tmp/x#main')).toThrow(/not a git source/);
    expect(() => parseGitSource('git+file:///srv/p.git#--output=/tmp/x')).toThrow(/not a git source/);
  });

  it('caches under the platform\'s cache directory', () => {
    expect(allowlistCacheDir({ HOME: '/home/a' }, 'linux')).toBe('/home/a/.cache/mcpm/allowlists');
    expect(allowlistCacheDir({ HOME: '/home/a', XDG_CACHE_HOME: '/c' }, 'linux')).toBe('/c/mcpm/allowlists');
    expect(allowlistCacheDir({ HOME: '/Users/a' }, 'darwin')).toBe('/Users/a/Library/Caches/mcpm/allowlists');
  });

  it('refuses a cache directory relative to where mcpm runs (no home, or a relative XDG_CACHE_HOME alone)', () => {
    expect(() => allowlistCacheDir({}, 'linux')).toThrow(/no cache directory/);
    expect(() => allowlistCacheDir({ XDG_CACHE_HOME: 'rel' }, 'linux')).toThrow(/no cache directory/);
  });

  it('never shows a user name or token of the URL: not in its own messages, nor in what git said', async () => {
    const home = mkdtempSync(join(tmpdir(), 'mcpm-allowlist-'));
    try {
      // A git that quotes the URL it could not fetch, as a failed command line does.
      const realGit = execFileSync('sh', ['-c', 'command -v git'], { encoding: 'utf8' }).trim();
      const bin = join(home, 'bin');
      execFileSync('mkdir', [bin]);
      writeFileSync(join(bin, 'git'), `#!/bin/sh\ncase " $* " in *" fetch "*) for a; do url="$prev"; prev="$a"; done; echo "fatal: cannot fetch $url" >&2; exit 128;; esac\nexec ${realGit} "$@"\n`);
      chmodSync(join(bin, 'git'), 0o755);
      const failure = async (source: string) => {
        const read = readAllowlistSource(source, { cwd: home, env: { HOME: home, PATH: `${bin}:${process.env['PATH']}` }, platform: 'linux', timeoutMs: 10_000, now: 0 });
        return (await read.then(() => undefined, (e: unknown) => e as Error))?.message;
      };
      expect(await failure('git+https://x-access-token:tok-0123456789@git.example.com/sec/list.git#main')).toBe(
        'git+https://***@git.example.com/sec/list.git#main: could not be fetched (fatal: cannot fetch https://[redacted]@git.example.com/sec/list.git), and no copy is cached',
      );
      // A # in the token ends the URL there for mcpm and git alike: nothing of it is shown.
      expect(await failure('git+https://x-access-token:ghp_S3CRET#TOKEN123456@git.example.com/sec/list.git#main')).toBe(
        '***: could not be fetched (fatal: cannot fetch https://[redacted]:[redacted]), and no copy is cached',
      );
      // A / in the password: git quotes the URL whole, and so does its own reading fail.
      expect(await failure('git+https://oauth2:abc/def+ghijklmn@gitlab.invalid/o/r.git#main')).toBe(
        '***: could not be fetched (fatal: cannot fetch https://[redacted]@gitlab.invalid/o/r.git), and no copy is cached',
      );
      // A key in the query: masked in the source, and taken out of git's words.
      expect(await failure('git+https://git.example.com/sec/list.git?token=abcdefgh12345#main')).toBe(
        'git+https://git.example.com/sec/list.git?token=***#main: could not be fetched (fatal: cannot fetch https://git.example.com/sec/list.git?token=[redacted]), and no copy is cached',
      );
      // The one that is refused before git runs says nothing of the token either.
      expect(() => parseGitSource('git+https://x-access-token:ghp_S3CRETTOKEN123456@h/o/r.git#-bad')).toThrow('--allowlist git+https://***@h/o/r.git#-bad: not a git source');
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });
});
