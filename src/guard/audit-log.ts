/**
 * `mcpm run --audit-log FILE`: one JSON line per tool call, appended, mode 0600. The relay must never
 * wait for the disk, so lines go into a bounded in-memory queue that one writer drains; when the
 * queue is full (a disk slower than the calls), lines are dropped and counted instead of growing
 * memory or stalling the session. Argument values under keys that look like credentials are
 * replaced before anything is queued, and each line's arguments are capped.
 */
import { open, type FileHandle } from 'node:fs/promises';
import { McpmError } from '../core/errors.js';
import type { JsonValue } from '../core/json-strict.js';
import type { ToolCallRecord } from './relay.js';

/** Keys whose values are never written (matched anywhere in the key, any case). */
export const DEFAULT_REDACT: readonly RegExp[] = [/token|secret|passw(or)?d|key|auth|bearer|cookie|credential|session|private/i];
export const REDACTED = '[redacted]';
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

/** A copy of `value` where every property whose key matches a pattern has the value "[redacted]". */
export function redactArguments(value: JsonValue | undefined, patterns: readonly RegExp[], depth = 0): JsonValue | undefined {
  if (value === null || typeof value !== 'object') return value;
  if (depth >= MAX_REDACT_DEPTH) return '[nested too deep]';
  if (Array.isArray(value)) return value.map((item) => redactArguments(item, patterns, depth + 1) ?? null);
  const out = Object.create(null) as Record<string, JsonValue>;
  for (const key of Object.keys(value)) {
    out[key] = patterns.some((p) => p.test(key)) ? REDACTED : (redactArguments(value[key], patterns, depth + 1) ?? null);
  }
  return out;
}

/** The audit line for one call (with its newline). Pure. */
export function auditLine(server: string, record: ToolCallRecord, patterns: readonly RegExp[]): string {
  const redacted = redactArguments(record.arguments, patterns);
  const argumentsText = redacted === undefined ? undefined : JSON.stringify(redacted);
  const size = argumentsText === undefined ? 0 : Buffer.byteLength(argumentsText);
  const entry: Record<string, unknown> = {
    time: new Date(record.startedAt).toISOString(),
    server,
    tool: record.tool ?? null,
    client: record.client ?? null,
  };
  if (argumentsText !== undefined && size > MAX_ARGUMENT_BYTES) {
    // A cut JSON text is no longer JSON: keep it as a string so the line itself stays valid.
    entry.arguments = utf8Prefix(argumentsText, MAX_ARGUMENT_BYTES);
    entry.argumentsTruncated = true;
    entry.argumentsBytes = size;
  } else {
    entry.arguments = redacted ?? null;
  }
  entry.outcome = record.outcome;
  entry.durationMs = Math.round(record.durationMs);
  entry.responseBytes = record.responseBytes;
  return `${JSON.stringify(entry)}\n`;
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
   * cannot be written is a usage error and not a session that silently logs nothing.
   */
  static async open(file: string, onProblem: (message: string) => void): Promise<AuditLog> {
    let handle: FileHandle;
    try {
      handle = await open(file, 'a', 0o600);
    } catch (error) {
      const reason = (error as NodeJS.ErrnoException).code ?? String(error);
      throw new McpmError('USAGE', `cannot open the audit log ${JSON.stringify(file)} (${reason})`, 'give a writable path with --audit-log or MCPM_AUDIT_LOG', {
        cause: error,
      });
    }
    // An existing file keeps the mode it was created with; arguments can be private, so narrow it.
    await handle.chmod(0o600).catch(() => {});
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
