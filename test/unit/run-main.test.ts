import { describe, expect, it } from 'vitest';
import { DEFAULT_CONCURRENCY, DEFAULT_TIMEOUT_MS } from '../../src/app/options.js';
import { parseRunArgv } from '../../src/run-main.js';

const defaults = { timeout: DEFAULT_TIMEOUT_MS, concurrency: DEFAULT_CONCURRENCY, color: true, policy: 'block' };

describe('parseRunArgv: the fast parse of `mcpm run`', () => {
  it('reads the command lines mcpm guard and the README write, as the full CLI hands them to run', () => {
    expect(parseRunArgv(['run', '--config', '/h/cfg.json', '--lockfile', '/h/x.lock', '--', 'notes'])).toEqual({
      name: 'notes',
      options: { ...defaults, config: ['/h/cfg.json'], lockfile: '/h/x.lock' },
    });
    expect(parseRunArgv(['run', '--host', 'claude-desktop', '--config', '/a', '--lockfile', '/b', '--', '-odd-name'])).toEqual({
      name: '-odd-name',
      options: { ...defaults, host: 'claude-desktop', config: ['/a'], lockfile: '/b' },
    });
    expect(parseRunArgv(['run', '-C', '/p', 'notes', '--audit-log', 'a.jsonl', '--redact', 'pin', '--redact=otp', '--policy=refuse'])).toEqual({
      name: 'notes',
      options: { ...defaults, cwd: '/p', auditLog: 'a.jsonl', redact: ['pin', 'otp'], policy: 'refuse' },
    });
    expect(parseRunArgv(['run', 'notes', '--config', 'a.json', '--config', 'b.json'])?.options.config).toEqual(['a.json', 'b.json']);
    expect(parseRunArgv(['run', '--deny', 'roots,sampling', '--deny=elicitation', '--', 'notes'])?.options.deny).toEqual(['sampling', 'elicitation', 'roots']);
    expect(parseRunArgv(['run', '--cwd=/p', '--allowlist', 'a.json', '--otlp', 'http://c:4318', '-'])).toEqual({
      name: '-',
      options: { ...defaults, cwd: '/p', allowlist: 'a.json', otlp: 'http://c:4318' },
    });
    expect(parseRunArgv(['run', '--config=a=b.json', 'notes'])?.options.config).toEqual(['a=b.json']);
  });

  it('leaves everything else to the full CLI (commander), so help and errors are the same as for any command', () => {
    for (const argv of [
      ['ls'],
      ['run'],
      ['run', '--help'],
      ['run', '-h', 'notes'],
      ['run', 'a', 'b'],
      ['run', '--policy', 'nope', 'notes'],
      ['run', '--unknown', 'notes'],
      ['run', '--json', 'notes'],
      ['run', '--timeout', '5', 'notes'],
      ['run', '-q', 'notes'],
      ['run', '-C', '/a', '-C', '/b', 'notes'],
      ['run', '--config', '-x', 'notes'],
      ['run', '--lockfile=', 'notes'],
      ['run', '--deny', 'tools', 'notes'],
      ['run', '--deny', 'sampling,', 'notes'],
      ['-C', '/p', 'run', 'notes'],
      ['run', '-C/p', 'notes'],
      ['run', '-C'],
      ['run', 'notes', '--config'],
      ['run', '--policy', 'block', '--policy=refuse', 'notes'],
      ['run', '--', 'a', 'b'],
      ['run', '--=x', 'notes'],
      ['run', '--audit-log', '--', 'notes'],
    ]) {
      expect(parseRunArgv(argv), argv.join(' ')).toBeUndefined();
    }
  });
});
