import { describe, expect, it } from 'vitest';
import { DEFAULT_CONCURRENCY, DEFAULT_TIMEOUT_MS } from '../../src/app/options.js';
import { parseVerifyArgv } from '../../src/verify-main.js';

const defaults = { timeout: DEFAULT_TIMEOUT_MS, concurrency: DEFAULT_CONCURRENCY, color: true, offline: true };

describe('parseVerifyArgv: the fast parse of `mcpm verify --offline`', () => {
  it('reads the command lines the hook and the docs write, as the full CLI hands them to verify', () => {
    expect(parseVerifyArgv(['verify', '--offline'])).toEqual({ names: [], options: defaults });
    expect(parseVerifyArgv(['verify', '--offline', '-C', '/p', '-q'])).toEqual({ names: [], options: { ...defaults, cwd: '/p', quiet: true } });
    expect(parseVerifyArgv(['verify', 'a', '--json', '--offline', 'b', '--strict'])).toEqual({
      names: ['a', 'b'],
      options: { ...defaults, json: true, format: 'json', strict: true },
    });
    expect(parseVerifyArgv(['verify', '--offline', '--config', 'a.json', '--quiet', '--config', 'b.json', '--lockfile', 'x.lock', '--cwd', 'd'])).toEqual({
      names: [],
      options: { ...defaults, config: ['a.json', 'b.json'], lockfile: 'x.lock', cwd: 'd', quiet: true },
    });
  });

  it('leaves everything else to the full CLI (commander), so help and errors are the same as for any command', () => {
    for (const argv of [
      ['ls'],
      ['verify'],
      ['verify', 'notes'],
      ['verify', '--offline', '--help'],
      ['verify', '--offline', '-h'],
      ['verify', '--offline', '--format', 'json'],
      ['verify', '--offline', '--format=sarif'],
      ['verify', '--offline', '--json=true'],
      ['verify', '--offline', '--base', 'main'],
      ['verify', '--offline', '--require-signature'],
      ['verify', '--offline', '--no-color'],
      ['verify', '--offline', '-qC', '/p'],
      ['verify', '--offline', '-C'],
      ['verify', '--offline', '-C', '/a', '-C', '/b'],
      ['verify', '--offline', '--lockfile', '-x'],
      ['verify', '--offline', '--lockfile', ''],
      ['verify', '--offline', '--', 'notes'],
      ['verify', '--offline', ''],
      ['verify', '--offline', '--host', 'cursor'],
      ['-C', '/p', 'verify', '--offline'],
    ]) {
      expect(parseVerifyArgv(argv), argv.join(' ')).toBeUndefined();
    }
  });
});
