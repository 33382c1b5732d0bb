import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { globMatch, judgeLaunch, judgeLocked, parseAllowlist } from '../../../src/core/allowlist.js';
import type { LaunchSpec } from '../../../src/core/launch/identity.js';

const stdio = (command: string, ...args: string[]): LaunchSpec => ({ transport: 'stdio', command, args, envNames: [] });
const http = (url: string): LaunchSpec => ({ transport: 'http', url, headerNames: [] });
const PIN = `sha256-${'B'.repeat(43)}=`;

describe('globMatch', () => {
  it('without "*" a pattern matches exactly its own text', () => {
    fc.assert(fc.property(fc.string().filter((s) => !s.includes('*')), fc.string(), (p, t) => globMatch(p, t) === (p === t)));
  });
  it('"*" stands for any run of characters, none included', () => {
    fc.assert(fc.property(fc.string(), fc.string(), fc.string(), (a, b, c) => globMatch(`${a.replaceAll('*', '')}*${c.replaceAll('*', '')}`, `${a.replaceAll('*', '')}${b}${c.replaceAll('*', '')}`)));
  });
  it('a hostile pattern against a long text stays fast', () => {
    const started = performance.now();
    expect(globMatch('*a*a*a*a*a*a*a*a*b', 'a'.repeat(5000))).toBe(false);
    expect(performance.now() - started).toBeLessThan(2000);
  });
});

describe('judging launches', () => {
  const list = parseAllowlist(
    JSON.stringify({
      allowlistVersion: 1,
      allow: [
        { command: ['npx', '-y', '@acme/*@1.*'] },
        { command: ['uvx', '**'], integrity: PIN },
        { url: 'https://mcp.acme.example/*' },
      ],
      deny: [{ command: ['npx', '-y', '@acme/evil@*'] }, { url: 'https://mcp.acme.example/legacy/*' }],
    }),
    'org.json',
  );
  it.each([
    [stdio('npx', '-y', '@acme/notes@1.4.2'), true],
    [stdio('npx', '-y', '@acme/notes@2.0.0'), false],
    [stdio('npx', '-y', '@acme/notes@1.4.2', '--extra'), false],
    [stdio('npx', '-y', '@acme/evil@1.0.0'), false],
    [stdio('node', 'server.js'), false],
    [http('https://mcp.acme.example/notes'), true],
    [http('https://mcp.acme.example/legacy/notes'), false],
    [http('https://evil.example/?https://mcp.acme.example/'), false],
  ])('%j → allowed %s', (launch, allowed) => {
    expect(judgeLaunch(list, launch).allowed).toBe(allowed);
  });
  it('"**" takes any further arguments, and its pin must be the locked integrity', () => {
    expect(judgeLaunch(list, stdio('uvx'))).toEqual({ allowed: true, pins: [PIN] });
    expect(judgeLocked(list, stdio('uvx', 'mcp-notes==1.0'), PIN).allowed).toBe(true);
    expect(judgeLocked(list, stdio('uvx', 'mcp-notes==1.0'), `sha256-${'C'.repeat(43)}=`)).toMatchObject({ allowed: false, reason: expect.stringContaining('pins the command "uvx mcp-notes==1.0"') });
  });
  it.each([
    ['{}', 'allowlistVersion: must be 1'],
    ['{"allowlistVersion": 1, "allow": [{"command": []}]}', 'allow[0].command: must be a non-empty array'],
    ['{"allowlistVersion": 1, "allowedSigners": "../x"}', 'allowedSigners: must be a path inside'],
    ['{"allowlistVersion": 1, "guard": {"deny": ["everything"]}}', 'guard.deny: must be an array of sampling, elicitation, roots'],
    ['{"allowlistVersion": 1, "allow": [], "allow": []}', 'not valid JSON'],
  ])('%s is refused: %s', (text, message) => {
    expect(() => parseAllowlist(text, 'org.json')).toThrow(message);
  });
});
