/**
 * `mcpm run --audit-log FILE`: one JSON line per tool call, appended, mode 0600; and one per
 * server-initiated request and per message dropped as unclean (those lines have an `"event"`;
 * a line without one is a tool call). The relay must never wait for the disk, so lines go into a
 * bounded in-memory queue that one writer drains; when the queue is full (a disk slower than the
 * calls), lines are dropped and counted instead of growing memory or stalling the session.
 * Argument values under keys that look like credentials are replaced before anything is queued,
 * and each line's arguments are capped.
 *
 * The file is often named inside a project that someone else wrote, so it is opened as a file mcpm
 * may own and nothing else (AuditLog.open): a link planted under the log's name must not turn the
 * log's appends, or its chmod, onto another file.
 */
import { constants, lstat, open, type FileHandle } from 'node:fs/promises';
import { dirname, isAbsolute, join, relative, sep } from 'node:path';
import { McpmError } from '../core/errors.js';
import type { JsonValue } from '../core/json-strict.js';
import { REDACTED, redactSecrets, type SecretValue } from '../core/reflected-secrets.js';
import { escapeLineBreaks } from './line-check.js';
import type { AuditEvent, ToolCallRecord } from './relay.js';

export { REDACTED };

/** Keys whose values are never written (matched anywhere in the key, any case). */
export const DEFAULT_REDACT: readonly RegExp[] = [/token|secret|passw(or)?d|key|auth|bearer|cookie|credential|session|private/i];
/** Serialised arguments per line; beyond it the arguments are written as a cut string, marked. */
export const MAX_ARGUMENT_BYTES = 64 * 1024;
/** Lines waiting for the disk; beyond it new lines are dropped (and counted). */
export const MAX_QUEUED_BYTES = 8 * 1024 * 1024;
/** Nesting followed while redacting; deeper values are replaced, not walked. */
const MAX_REDACT_DEPTH = 64;

/**
 * Compiles `--redact` patterns (case-insensitive). They add to DEFAULT_REDACT: a pattern given for
 * one extra key must not switch the credential defaults off.
 */
export function redactPatterns(given: readonly string[]): RegExp[] {
  const patterns = [...DEFAULT_REDACT];
  for (const source of given) {
    try {
      patterns.push(new RegExp(source, 'i'));
    } catch (error) {
      throw new McpmError('USAGE', `--redact ${JSON.stringify(source)} is not a valid regular expression`, 'write a JavaScript regular expression such as "ssn|iban"', {
        cause: error,
      });
    }
  }
  return patterns;
}

/**
 * A copy of `value` where every property whose key matches a pattern has the value "[redacted]",
 * and every configured secret of the server (`secrets`), wherever it is in a string or a key, is
 * "[redacted]" too: a model may pass a key it saw in an argument, a server may quote it in a request.
 */
export function redactArguments(value: JsonValue | undefined, patterns: readonly RegExp[], secrets: readonly SecretValue[] = [], depth = 0): JsonValue | undefined {
  if (typeof value === 'string') return secrets.length === 0 ? value : redactSecrets(value, secrets);
  if (value === null || typeof value !== 'object') return value;
  if (depth >= MAX_REDACT_DEPTH) return '[nested too deep]';
  if (Array.isArray(value)) return value.map((item) => redactArguments(item, patterns, secrets, depth + 1) ?? null);
  const out = Object.create(null) as Record<string, JsonValue>;
  for (const key of Object.keys(value)) {
    const shown = secrets.length === 0 ? key : redactSecrets(key, secrets);
    out[shown] = patterns.some((p) => p.test(key)) ? REDACTED : (redactArguments(value[key], patterns, secrets, depth + 1) ?? null);
  }
  return out;
}

/** The audit line for one call (with its newline). Pure. */
export function auditLine(server: string, record: ToolCallRecord, patterns: readonly RegExp[], secrets: readonly SecretValue[] = []): string {
  const entry: Record<string, unknown> = {
    time: new Date(record.startedAt).toISOString(),
    server,
    tool: record.tool ?? null,
    client: record.client ?? null,
  };
  putCapped(entry, 'arguments', record.arguments, patterns, secrets);
  entry.outcome = record.outcome;
  entry.durationMs = Math.round(record.durationMs);
  entry.responseBytes = record.responseBytes;
  return logLine(entry);
}

/**
 * The audit line (with its newline) for a server-initiated request (`"event": "server-request"`,
 * its method, params redacted and capped as arguments are, and whether it was forwarded or
 * denied) or a message dropped as unclean (`"event": "dropped"` and the reason). Pure.
 */
export function auditEventLine(server: string, event: AuditEvent, patterns: readonly RegExp[], secrets: readonly SecretValue[] = []): string {
  const entry: Record<string, unknown> = { time: new Date(event.at).toISOString(), server, event: event.type };
  if (event.type === 'server-request') {
    entry.method = event.method;
    if (event.via !== undefined) entry.via = event.via;
    putCapped(entry, 'params', event.params, patterns, secrets);
    entry.outcome = event.outcome;
  } else {
    entry.reason = secrets.length === 0 ? event.reason : redactSecrets(event.reason, secrets);
  }
  return logLine(entry);
}

/** `entry[field]`: `value` redacted, or, past MAX_ARGUMENT_BYTES, its text cut and marked. */
function putCapped(entry: Record<string, unknown>, field: string, value: JsonValue | undefined, patterns: readonly RegExp[], secrets: readonly SecretValue[]): void {
  const redacted = redactArguments(value, patterns, secrets);
  const text = redacted === undefined ? undefined : JSON.stringify(redacted);
  const size = text === undefined ? 0 : Buffer.byteLength(text);
  if (text !== undefined && size > MAX_ARGUMENT_BYTES) {
    // A cut JSON text is no longer JSON: keep it as a string so the line itself stays valid.
    entry[field] = utf8Prefix(text, MAX_ARGUMENT_BYTES);
    entry[`${field}Truncated`] = true;
    entry[`${field}Bytes`] = size;
  } else {
    entry[field] = redacted ?? null;
  }
}

/** One line of the log: line readers that also end a line at U+2028 (Python's splitlines) read it whole too. */
function logLine(entry: Record<string, unknown>): string {
  return `${escapeLineBreaks(JSON.stringify(entry))}\n`;
}

/**
 * Append-only, created 0600, never through a symbolic link, never blocking on a FIFO. The flags
 * that Windows lacks are 0 there (its files have no such links to plant from a checkout).
 */
const APPEND_FLAGS = constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | (constants.O_NOFOLLOW ?? 0) | (constants.O_NONBLOCK ?? 0);

/** The first directory between `projectDir` and `file` that is a symbolic link, if `file` is inside the project. */
async function linkedDirectory(projectDir: string, file: string): Promise<string | undefined> {
  const rel = relative(projectDir, dirname(file));
  if (rel === '' || rel === '..' || rel.startsWith(`..${sep}`) || isAbsolute(rel)) return undefined;
  let current = projectDir;
  for (const part of rel.split(sep)) {
    current = join(current, part);
    const stat = await lstat(current).catch(() => undefined);
    if (stat === undefined) return undefined; // missing: the open fails and says so
    if (stat.isSymbolicLink()) return current;
  }
  return undefined;
}

/** The longest prefix of `text` whose UTF-8 encoding fits in `max` bytes, cut between characters. */
function utf8Prefix(text: string, max: number): string {
  const bytes = Buffer.from(text);
  let end = Math.min(max, bytes.length);
  // 0b10xxxxxx is a continuation byte: the character it belongs to started earlier.
  while (end > 0 && end < bytes.length && (bytes[end]! & 0xc0) === 0x80) end -= 1;
  return bytes.subarray(0, end).toString('utf8');
}

export class AuditLog {
  private queue: string[] = [];
  private queuedBytes = 0;
  private writing: Promise<void> | undefined;
  private failed = false;
  /** Lines not written: the queue was full, or the file failed. */
  dropped = 0;

  private constructor(
    private readonly handle: FileHandle,
    private readonly onProblem: (message: string) => void,
  ) {}

  /**
   * Opens (creating with mode 0600) `file` for appending, before the server starts, so a path that
   * cannot be written is a usage error and not a session that silently logs nothing. `file` is
   * absolute (relative paths are resolved against the project before). Refused, with the reason:
   * a symbolic link at `file` (opened with O_NOFOLLOW, so even one that appears between a check and
   * the open is never followed), a symbolic link among the directories between `projectDir` and
   * `file`, and anything that is not a regular file owned by this user with a single link (a hard
   * link gives another file's contents a second name). Only then is the mode narrowed, on the open
   * file itself.
   */
  static async open(file: string, onProblem: (message: string) => void, options: { projectDir?: string } = {}): Promise<AuditLog> {
    const shown = JSON.stringify(file);
    const refuse = (why: string, cause?: unknown): never => {
      throw new McpmError('USAGE', `the audit log ${shown} ${why}; mcpm will not write to it`, 'give --audit-log (or MCPM_AUDIT_LOG) the path of a regular file you own, or of one to create', {
        cause,
      });
    };
    if (options.projectDir !== undefined) {
      const link = await linkedDirectory(options.projectDir, file);
      if (link !== undefined) refuse(`is inside ${JSON.stringify(link)}, a symbolic link in the project (it could lead anywhere)`);
    }
    let handle: FileHandle;
    try {
      handle = await open(file, APPEND_FLAGS, 0o600);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      // ELOOP (Linux, macOS) or EMLINK (FreeBSD): O_NOFOLLOW met a symbolic link.
      if (code === 'ELOOP' || code === 'EMLINK') refuse('is a symbolic link (it could point at any file)', error);
      // A FIFO with no reader: O_NONBLOCK makes the open fail rather than wait forever.
      if (code === 'ENXIO') refuse('is not a regular file', error);
      throw new McpmError('USAGE', `cannot open the audit log ${shown} (${code ?? String(error)})`, 'give a writable path with --audit-log or MCPM_AUDIT_LOG', {
        cause: error,
      });
    }
    try {
      const stat = await handle.stat();
      if (!stat.isFile()) refuse('is not a regular file');
      const uid = process.getuid?.();
      if (uid !== undefined && stat.uid !== uid) refuse(`belongs to another user (uid ${stat.uid})`);
      if (stat.nlink !== 1) refuse(`has ${stat.nlink} hard links (another name of the same file could be a file you did not mean)`);
      // An existing file keeps the mode it was created with; arguments can be private, so narrow
      // it: on the descriptor just checked, never through the path.
      await handle.chmod(0o600).catch(() => {});
    } catch (error) {
      await handle.close().catch(() => {});
      throw error;
    }
    return new AuditLog(handle, onProblem);
  }

  /** Queues one line; never waits. */
  append(line: string): void {
    if (this.failed) {
      this.dropped += 1;
      return;
    }
    const bytes = Buffer.byteLength(line);
    if (this.queuedBytes + bytes > MAX_QUEUED_BYTES) {
      if (this.dropped === 0) this.onProblem('the audit log cannot keep up; lines are being dropped');
      this.dropped += 1;
      return;
    }
    this.queue.push(line);
    this.queuedBytes += bytes;
    this.writing ??= this.drain();
  }

  private async drain(): Promise<void> {
    while (this.queue.length > 0 && !this.failed) {
      const batch = this.queue.join('');
      const count = this.queue.length;
      this.queue = [];
      this.queuedBytes = 0;
      try {
        await this.handle.appendFile(batch);
      } catch (error) {
        this.failed = true;
        this.dropped += count;
        this.onProblem(`cannot write the audit log (${(error as NodeJS.ErrnoException).code ?? String(error)}); no more calls will be logged`);
      }
    }
    this.writing = undefined;
  }

  /** Writes what is queued and closes the file. */
  async close(): Promise<void> {
    while (this.writing) await this.writing;
    await this.handle.close().catch(() => {});
    if (this.dropped > 0 && !this.failed) this.onProblem(`${this.dropped} audit log line${this.dropped === 1 ? ' was' : 's were'} dropped`);
  }
}
