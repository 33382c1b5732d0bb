import { describe, expect, it } from 'vitest';
import { launchEquals, type LaunchSpec } from '../../../../src/core/launch/identity.js';
import { stdio } from './helpers.js';

describe('launchEquals', () => {
  it.each<[string, LaunchSpec, LaunchSpec, boolean]>([
    ['same', stdio(['a']), stdio(['a']), true],
    ['args order', stdio(['a', 'b']), stdio(['b', 'a']), false],
    ['args length', stdio(['a']), stdio(['a', '']), false],
    ['command', stdio(['a']), stdio(['a'], { command: 'node' }), false],
    ['cwd', stdio(['a']), stdio(['a'], { cwd: '.' }), false],
    ['env names', stdio(['a'], { envNames: ['A'] }), stdio(['a'], { envNames: ['B'] }), false],
    ['http vs sse', { transport: 'http', url: 'u', headerNames: [] }, { transport: 'sse', url: 'u', headerNames: [] }, false],
    ['url', { transport: 'http', url: 'u', headerNames: [] }, { transport: 'http', url: 'v', headerNames: [] }, false],
    ['header names', { transport: 'http', url: 'u', headerNames: ['A'] }, { transport: 'http', url: 'u', headerNames: [] }, false],
    ['same remote', { transport: 'http', url: 'u', headerNames: ['A'] }, { transport: 'http', url: 'u', headerNames: ['A'] }, true],
    ['stdio vs http', stdio([]), { transport: 'http', url: 'npx', headerNames: [] }, false],
  ])('%s', (_title, a, b, equal) => {
    expect(launchEquals(a, b)).toBe(equal);
    expect(launchEquals(b, a)).toBe(equal);
  });
});
