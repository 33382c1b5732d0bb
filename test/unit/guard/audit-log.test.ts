import { spawnSync } from 'node:child_process';
import { linkSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { McpmError } from '../../../src/core/errors.js';
import { AuditLog, auditEventLine, auditLine, DEFAULT_REDACT, MAX_ARGUMENT_BYTES, redactArguments, redactPatterns } from '../../../src/guard/audit-log.js';
import type { ToolCallRecord } from '../../../src/guard/relay.js';

const record = (over: Partial<ToolCallRecord> = {}): ToolCallRecord => ({
  startedAt: Date.UTC(2026, 0, 2, 3, 4, 5, 6),
  tool: 'add',
  arguments: { a: 1 },
  client: { name: 'claude-ai', version: '0.1.0' },
  outcome: 'ok',
  durationMs: 12.4,
  responseBytes: 99,
  ...over,
});

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});
function tempDir() {
  const dir = mkdtempSync(path.join(tmpdir(), 'mcpm-audit-'));
  dirs.push(dir);
  return dir;
}

describe('redactArguments', () => {
  it('replaces values under credential-like keys at any depth, and nothing else', () => {
    const args = { query: 'x', apiKey: 'k', nested: [{ Authorization: 'Bearer t', ok: 1 }], db: { PASSWORD: 'p', host: 'h' }, session_token: { deep: 1 } };
    expect(redactArguments(args, DEFAULT_REDACT)).toEqual({
      query: 'x',
      apiKey: '[redacted]',
      nested: [{ Authorization: '[redacted]', ok: 1 }],
      db: { PASSWORD: '[redacted]', host: 'h' },
      session_token: '[redacted]',
    });
  });

  it('adds --redact patterns to the defaults, and refuses an invalid one as a usage error', () => {
    const patterns = redactPatterns(['^ssn$']);
    expect(redactArguments({ ssn: '1', SSN: '2', token: '3', ssn2: '4' }, patterns)).toEqual({ ssn: '[redacted]', SSN: '[redacted]', token: '[redacted]', ssn2: '4' });
    expect(() => redactPatterns(['('])).toThrow(McpmError);
  });

  it("redacts the server's configured secrets wherever they are, in strings and keys, in any case", () => {
    const value = 'sk-live-4f9b2c81e7d0a3';
    const secrets = [{ label: 'env "API_KEY"', value }];
    const args = { query: `repos visible with ${value}`, [value]: 1, list: [`${value.toUpperCase()}!`], url: `https://x.example/?access_token=${value}` };
    expect(redactArguments(args, DEFAULT_REDACT, secrets)).toEqual({ query: 'repos visible with [redacted]', '[redacted]': 1, list: ['[redacted]!'], url: 'https://x.example/?access_token=[redacted]' });
    const event = { type: 'server-request' as const, at: 0, method: 'sampling/createMessage', outcome: 'forwarded' as const, params: { messages: [{ content: { text: `my key is ${value}` } }] } };
    expect(auditEventLine('notes', event, DEFAULT_REDACT, secrets)).not.toContain(value);
    expect(auditLine('notes', { ...record(), arguments: args }, DEFAULT_REDACT, secrets)).not.toContain(value);
  });

  it('keeps keys such as __proto__ as plain data', () => {
    const args = JSON.parse('{"__proto__":{"secret":"s"}}') as Record<string, unknown>;
    expect(JSON.stringify(redactArguments(args as never, DEFAULT_REDACT))).toBe('{"__proto__":{"secret":"[redacted]"}}');
  });
});

describe('auditLine', () => {
  it('writes one JSON line with time, server, tool, client, arguments, outcome, duration and size', () => {
    const text = auditLine('notes', record(), DEFAULT_REDACT);
    expect(text.endsWith('\n')).toBe(true);
    expect(text.indexOf('\n')).toBe(text.length - 1);
    expect(JSON.parse(text)).toEqual({
      time: '2026-01-02T03:04:05.006Z',
      server: 'notes',
      tool: 'add',
      client: { name: 'claude-ai', version: '0.1.0' },
      arguments: { a: 1 },
      outcome: 'ok',
      durationMs: 12,
      responseBytes: 99,
    });
  });

  it('caps the arguments and marks the line as truncated', () => {
    const big = { text: 'é'.repeat(MAX_ARGUMENT_BYTES) };
    const entry = JSON.parse(auditLine('notes', record({ arguments: big }), DEFAULT_REDACT)) as Record<string, unknown>;
    expect(entry['argumentsTruncated']).toBe(true);
    expect(entry['argumentsBytes']).toBe(Buffer.byteLength(JSON.stringify(big)));
    expect(Buffer.byteLength(entry['arguments'] as string)).toBeLessThanOrEqual(MAX_ARGUMENT_BYTES);
  });

  it('escapes control characters in anything the host or model sent', () => {
    const text = auditLine('notes', record({ tool: 'x\u001b[2J\n', arguments: { s: '\u2028' } }), DEFAULT_REDACT);
    expect([...text.slice(0, -1)].some((c) => c.charCodeAt(0) < 0x20)).toBe(false);
  });
});

describe('auditEventLine', () => {
  const at = Date.UTC(2026, 0, 2, 3, 4, 5, 6);

  it('writes a server request with its method, redacted params and outcome, marked by "event"', () => {
    const text = auditEventLine('notes', { type: 'server-request', at, method: 'elicitation/create', outcome: 'denied', params: { message: 'PIN?', password: 'x' } }, DEFAULT_REDACT);
    expect(JSON.parse(text)).toEqual({
      time: '2026-01-02T03:04:05.006Z',
      server: 'notes',
      event: 'server-request',
      method: 'elicitation/create',
      params: { message: 'PIN?', password: '[redacted]' },
      outcome: 'denied',
    });
    const via = JSON.parse(auditEventLine('notes', { type: 'server-request', at, method: 'roots/list', outcome: 'forwarded', params: undefined, via: 'input_required' }, DEFAULT_REDACT));
    expect(via).toMatchObject({ via: 'input_required', params: null });
  });

  it('writes a dropped message with the reason, and caps params as arguments are', () => {
    expect(JSON.parse(auditEventLine('notes', { type: 'dropped', at, reason: 'a response with no id' }, DEFAULT_REDACT))).toEqual({
      time: '2026-01-02T03:04:05.006Z',
      server: 'notes',
      event: 'dropped',
      reason: 'a response with no id',
    });
    const big = JSON.parse(auditEventLine('notes', { type: 'server-request', at, method: 'sampling/createMessage', outcome: 'forwarded', params: { t: 'x'.repeat(MAX_ARGUMENT_BYTES) } }, DEFAULT_REDACT));
    expect(big).toMatchObject({ paramsTruncated: true, paramsBytes: MAX_ARGUMENT_BYTES + 8 });
  });

  it('keeps every line one line for every reader: U+2028 escaped', () => {
    const text = auditEventLine('notes', { type: 'dropped', at, reason: 'a\u2028b' }, DEFAULT_REDACT);
    expect(text.slice(0, -1)).not.toMatch(/[\n\r\u0085\u2028\u2029]/);
  });
});

describe('AuditLog', () => {
  it('creates the file with mode 0600, appends, and narrows an existing file to 0600', async () => {
    const dir = tempDir();
    const file = path.join(dir, 'audit.jsonl');
    writeFileSync(file, 'earlier\n', { mode: 0o644 });
    const log = await AuditLog.open(file, () => {});
    log.append('{"a":1}\n');
    log.append('{"a":2}\n');
    await log.close();
    expect(readFileSync(file, 'utf8')).toBe('earlier\n{"a":1}\n{"a":2}\n');
    if (process.platform !== 'win32') expect(statSync(file).mode & 0o777).toBe(0o600);
  });

  describe.runIf(process.platform !== 'win32')('refuses any file that is not a regular file of its own (D7: a link planted in a project)', () => {
    function victim(dir: string): string {
      const file = path.join(dir, 'victim');
      writeFileSync(file, 'precious\n', { mode: 0o644 });
      return file;
    }
    const untouched = (file: string) => {
      expect(readFileSync(file, 'utf8')).toBe('precious\n');
      expect(statSync(file).mode & 0o777).toBe(0o644);
    };

    it('a symbolic link, even to a file of its own: the target is neither written nor chmod-ed', async () => {
      const dir = tempDir();
      const target = victim(dir);
      symlinkSync(target, path.join(dir, 'audit.jsonl'));
      await expect(AuditLog.open(path.join(dir, 'audit.jsonl'), () => {})).rejects.toMatchObject({
        code: 'USAGE',
        message: expect.stringContaining('is a symbolic link'),
      });
      untouched(target);
    });

    it('a file under a directory that is a symbolic link inside the project', async () => {
      const dir = tempDir();
      const elsewhere = tempDir();
      const target = victim(elsewhere);
      symlinkSync(elsewhere, path.join(dir, 'logs'));
      await expect(AuditLog.open(path.join(dir, 'logs', 'victim'), () => {}, { projectDir: dir })).rejects.toThrow(/logs", a symbolic link in the project/);
      untouched(target);
      // Outside the project, the directories are the user's own choice.
      const log = await AuditLog.open(path.join(elsewhere, 'new.jsonl'), () => {}, { projectDir: dir });
      await log.close();
    });

    it('a hard link (another name of a file mcpm was not pointed at)', async () => {
      const dir = tempDir();
      const target = victim(dir);
      linkSync(target, path.join(dir, 'audit.jsonl'));
      await expect(AuditLog.open(path.join(dir, 'audit.jsonl'), () => {})).rejects.toThrow(/has 2 hard links/);
      untouched(target);
    });

    it('a FIFO or a directory, without waiting for a reader', async () => {
      const dir = tempDir();
      const fifo = path.join(dir, 'audit.jsonl');
      expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
      await expect(AuditLog.open(fifo, () => {})).rejects.toThrow(/is not a regular file/);
      await expect(AuditLog.open(dir, () => {})).rejects.toMatchObject({ code: 'USAGE' });
    });
  });

  it('refuses a path it cannot open before anything starts', async () => {
    await expect(AuditLog.open(path.join(tempDir(), 'missing', 'audit.jsonl'), () => {})).rejects.toMatchObject({ code: 'USAGE' });
  });

  it('never waits: append returns at once, and lines beyond the queue cap are dropped and counted', async () => {
    const dir = tempDir();
    const problems: string[] = [];
    const log = await AuditLog.open(path.join(dir, 'a.jsonl'), (m) => problems.push(m));
    const line = `${'x'.repeat(1024 * 1024 - 1)}\n`;
    for (let i = 0; i < 20; i++) log.append(line);
    expect(log.dropped).toBeGreaterThan(0);
    await log.close();
    expect(problems[0]).toContain('cannot keep up');
  });
});
