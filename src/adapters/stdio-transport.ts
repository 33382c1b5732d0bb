/**
 * Newline-delimited JSON-RPC over a server's stdin/stdout, framed strictly (MCP's stdio transport:
 * one message per line, no embedded newline): split on `\n` (a trailing `\r` is dropped), decode
 * UTF-8 fatally, cap each message while it is still being buffered, parse with the strict parser.
 * Implements the SDK's `Transport` interface, which the JSON-RPC client (json-rpc.ts) speaks to it
 * and to the SDK's HTTP transports alike.
 */
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import { McpmError } from '../core/errors.js';
import { isJsonObject, parseMessageJson, StrictJsonError, type JsonValue } from '../core/json-strict.js';
import { formatBytes, lineContent, LineFramer, MAX_MESSAGE_BYTES } from './line-framer.js';
import type { ServerProcess } from './process.js';

export { formatBytes } from './line-framer.js';

export const DEFAULT_MAX_MESSAGE_BYTES = MAX_MESSAGE_BYTES;

/** Non-JSON stdout lines kept (truncated) for the error report; later ones are only counted. */
const KEPT_NOISE_LINES = 5;
const KEPT_NOISE_CHARS = 200;

export function messageTooLarge(server: string, limit: number): McpmError {
  return new McpmError(
    'SERVER_MESSAGE_TOO_LARGE',
    `server "${server}" sent a message over ${formatBytes(limit)} (limit); it was stopped`,
    'a server that really needs bigger messages is unusual; check what it writes to stdout',
  );
}

export interface StdioTransportOptions {
  maxMessageBytes?: number;
  /**
   * Called once with the error that made the transport stop (oversized message, invalid UTF-8,
   * JSON that breaks the strict rules). The process is killed right after.
   */
  onFatal: (error: McpmError) => void;
}

export class StdioTransport implements Transport {
  onmessage?: (message: JSONRPCMessage) => void;
  onerror?: (error: Error) => void;
  onclose?: () => void;

  /** Lines on stdout that were not JSON-RPC (servers that log with console.log): the first few, truncated. */
  readonly noise: string[] = [];
  noiseCount = 0;

  private readonly maxBytes: number;
  private readonly decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
  /**
   * Splits stdout at `\n`; the cap is checked before anything is kept, so a newline-free flood never
   * grows past it. An unterminated last line is dropped at end of stream (never flushed).
   */
  private readonly framer: LineFramer;
  private started = false;
  private stopped = false;
  private closed = false;

  constructor(
    private readonly proc: ServerProcess,
    private readonly options: StdioTransportOptions,
  ) {
    this.maxBytes = options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
    this.framer = new LineFramer((line) => this.onLine(lineContent(line)), {
      maxLineBytes: this.maxBytes,
      overflow: 'stop',
      onTooLong: () => this.fatal(messageTooLarge(this.proc.name, this.maxBytes)),
    });
  }

  /** Idempotent. */
  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    this.proc.stdout.on('data', this.onData);
    this.proc.stdout.once('close', this.onEnd);
    this.proc.stdout.once('end', this.onEnd);
  }

  /** True once stdout has ended or the transport was stopped or closed. */
  get isClosed(): boolean {
    return this.closed || this.stopped;
  }

  /**
   * Rejects when the line cannot be written: the server has exited or closed its stdin (EPIPE,
   * ECONNRESET, a destroyed stream). The client treats that as the connection lost.
   */
  async send(message: JSONRPCMessage): Promise<void> {
    if (this.closed || this.stopped || this.proc.exitInfo) throw new Error(`server "${this.proc.name}" is not running`);
    const line = `${JSON.stringify(message)}\n`;
    await new Promise<void>((resolve, reject) => {
      this.proc.stdin.write(line, (error) => (error ? reject(error) : resolve()));
    });
  }

  /** Stops reading and closes the server (stdin EOF, then signals; see process.ts). */
  async close(): Promise<void> {
    this.detach();
    await this.proc.close();
    this.fireClose();
  }

  private detach(): void {
    this.stopped = true;
    this.proc.stdout.off('data', this.onData);
    this.framer.stop();
  }

  private fireClose(): void {
    if (this.closed) return;
    this.closed = true;
    this.onclose?.();
  }

  private readonly onEnd = (): void => {
    this.detach();
    this.fireClose();
  };

  private fatal(error: McpmError): void {
    if (this.stopped) return;
    this.detach();
    void this.proc.kill();
    this.options.onFatal(error);
    this.onerror?.(error);
  }

  private readonly onData = (chunk: Buffer): void => {
    this.framer.push(chunk);
  };

  /** One line without its `\n` and a `\r` before it (lineContent). */
  private onLine(line: Buffer): void {
    let text: string;
    try {
      text = this.decoder.decode(line);
    } catch {
      this.fatal(new McpmError('SERVER_PROTOCOL', `server "${this.proc.name}" wrote invalid UTF-8 on stdout`));
      return;
    }
    if (text.trim() === '') return;
    const value = parseLine(text);
    if (value.kind === 'strictness') {
      this.fatal(
        new McpmError(
          'SERVER_PROTOCOL',
          `server "${this.proc.name}" sent JSON that mcpm refuses to interpret: ${value.error.message}`,
          'duplicate keys, lone surrogates, integers past 2^53 that would be locked as another integer, and deep nesting are read differently by different clients, and numbers past the largest double have no RFC 8785 form, so they are never accepted',
          { cause: value.error },
        ),
      );
      return;
    }
    if (value.kind === 'noise' || !isJsonObject(value.value) || value.value['jsonrpc'] !== '2.0') {
      this.noiseCount += 1;
      if (this.noise.length < KEPT_NOISE_LINES) this.noise.push(text.slice(0, KEPT_NOISE_CHARS));
      return;
    }
    try {
      this.onmessage?.(value.value as unknown as JSONRPCMessage);
    } catch (error) {
      this.onerror?.(error instanceof Error ? error : new Error(String(error)));
    }
  }
}

type ParsedLine = { kind: 'json'; value: JsonValue } | { kind: 'noise' } | { kind: 'strictness'; error: StrictJsonError };

/**
 * A line that is not JSON at all is log noise (spec violation, but common: console.log). A line that
 * is JSON to a lenient parser but breaks the strict rules is an attempt to be read two ways: fatal.
 * parseMessageJson reads a line natively when it can prove the strict reading the same, else
 * strictly; the lenient parse runs again only on lines the strict rules refused, to tell the two apart.
 */
function parseLine(text: string): ParsedLine {
  try {
    return { kind: 'json', value: parseMessageJson(text) };
  } catch (error) {
    if (!(error instanceof StrictJsonError)) throw error;
    try {
      JSON.parse(text);
    } catch {
      return { kind: 'noise' };
    }
    return { kind: 'strictness', error };
  }
}
