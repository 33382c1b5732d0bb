import { describe, expect, it } from 'vitest';
import { allowlistCacheDir, parseGitSource } from '../../../src/adapters/allowlist-source.js';

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
});
