import { spawnSync } from 'node:child_process';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { LaunchSpec } from '../../../src/core/launch/identity.js';
import { describeLaunch } from '../../../src/core/launch-text.js';

const stdio = (command: string, args: string[], extra: { cwd?: string; envFile?: string; envNames?: string[]; envValues?: Record<string, string> } = {}): LaunchSpec => ({
  transport: 'stdio',
  command,
  args,
  envNames: extra.envNames ?? [],
  ...(extra.cwd === undefined ? {} : { cwd: extra.cwd }),
  ...(extra.envFile === undefined ? {} : { envFile: extra.envFile }),
  ...(extra.envValues === undefined ? {} : { envValues: extra.envValues }),
});

describe('describeLaunch', () => {
  it('quotes arguments as shell words, so one argument with a space is not two arguments', () => {
    const two = describeLaunch(stdio('node', ['server.js', '--mode', 'safe']));
    const one = describeLaunch(stdio('node', ['server.js', '--mode safe']));
    expect(two).toBe('node server.js --mode safe');
    expect(one).toBe(`node server.js '--mode safe'`);
    expect(describeLaunch(stdio('node', ['a', '', 'b']))).toBe(`node a '' b`);
    expect(describeLaunch(stdio('node', ["it's"]))).toBe(`node 'it'\\''s'`);
  });

  it('shows the working directory, the env file, the variable names and, for a remote server, the URL and header names', () => {
    expect(describeLaunch(stdio('npx', ['-y', 'pkg'], { cwd: '/srv/my app', envNames: ['TOKEN', 'HOME'] }))).toBe(
      `npx -y pkg  (cwd '/srv/my app')  (env TOKEN, HOME)`,
    );
    expect(describeLaunch(stdio('npx', ['-y', 'pkg'], { envFile: '${workspaceFolder}/.env' }))).toBe(`npx -y pkg  (envFile '\${workspaceFolder}/.env')`);
    // A query value is shown masked, as the lock writes it, and by its stored form when bound.
    expect(describeLaunch({ transport: 'http', url: 'https://mcp.example.com/v1?key=1', headerNames: ['Authorization'] })).toBe(
      `http 'https://mcp.example.com/v1?key=***'  (headers Authorization)`,
    );
    const stored = `scrypt:${'A'.repeat(22)}:fpATLGGxyz${'B'.repeat(33)}`;
    expect(describeLaunch({ transport: 'http', url: 'https://mcp.example.com/v1?key=1&a=b', headerNames: [], urlValues: { 'query.1': stored, 'query.2': stored } })).toBe(
      `http 'https://mcp.example.com/v1?key=***&a=***'  (URL values query.1=#fpATLGGx, query.2=#fpATLGGx)`,
    );
  });

  it('shows each value in its stored form: a reference as written, a hashed value by the start of its digest', () => {
    const launch = stdio('node', ['s.js'], {
      envNames: ['API_KEY', 'MODE'],
      envValues: { API_KEY: '${API_KEY}', MODE: 'scrypt:AAAAAAAAAAAAAAAAAAAAAA:fpATLGG-Z8t6HSmZ7pMNLuXe_sO9sgpcpyJgz6a9E4E' },
    });
    expect(describeLaunch(launch)).toBe(`node s.js  (env API_KEY='\${API_KEY}', MODE=#fpATLGG-)`);
    const other = { ...launch, envValues: { API_KEY: '${API_KEY}', MODE: 'scrypt:AAAAAAAAAAAAAAAAAAAAAA:3f9aLGG-Z8t6HSmZ7pMNLuXe_sO9sgpcpyJgz6a9E4E' } };
    expect(describeLaunch(other)).not.toBe(describeLaunch(launch));
  });

  it('escapes homoglyphs, controls and long space runs, and keeps it on one line', () => {
    expect(describeLaunch(stdio('npx', ['-y', '@acme/n\u043etes']))).toBe(`npx -y '@acme/n\\u{43E}tes'`);
    expect(describeLaunch(stdio('node', ['a\nok  b\u202e', `x${' '.repeat(12)}y`]))).toBe(`node 'a⏎ok  b\\u{202E}' 'x⟨12 spaces⟩y'`);
    expect(describeLaunch(stdio('node', ['C:\\x']))).toBe(`node 'C:\\\\x'`);
  });

  it('prints two different argument lists differently', () => {
    // Up to 8 characters: a longer run of mixed whitespace is counted by kind, not spelled out.
    const text = fc.string({ unit: fc.constantFrom('a', '-', ' ', "'", '"', '\\', '$', '\n', '\t', '\u043e', '\u202e', '⟨', '{'), maxLength: 8 });
    fc.assert(
      fc.property(fc.array(text, { maxLength: 4 }), fc.array(text, { maxLength: 4 }), (a, b) => {
        fc.pre(JSON.stringify(a) !== JSON.stringify(b));
        expect(describeLaunch(stdio('node', a))).not.toBe(describeLaunch(stdio('node', b)));
      }),
      { numRuns: 2000 },
    );
  });

  it('reads back, in a shell, as the same command and arguments when they hold only printable ASCII', () => {
    const printable = fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)), maxLength: 12 }).filter((s) => !s.includes('\\') && !s.includes(' '.repeat(9)));
    const samples = fc.sample(fc.array(printable, { maxLength: 5 }), { numRuns: 200, seed: 11 });
    // One shell for every sample: each line's words, NUL-separated, one sample per output record.
    const script = samples.map((args) => `printf '%s\\0' ${describeLaunch(stdio('node', args))}; printf '\\001'`).join('\n');
    const r = spawnSync('sh', ['-c', script], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    const records = r.stdout.split('\u0001').slice(0, -1);
    expect(records.map((rec) => rec.split('\0').slice(0, -1))).toEqual(samples.map((args) => ['node', ...args]));
  });
});
