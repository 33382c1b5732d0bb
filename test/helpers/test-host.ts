// A host for `mcpm run` tests: spawns `node bin/mcpm.cjs run …` (or any stdio server) as a real
// process, speaks JSON-RPC over its stdio, and records every byte it receives on stdout, so tests
// can assert on exactly what a host would have seen. Every wait has a timeout that reports stderr.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { StringDecoder } from 'node:string_decoder';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { onTestFinished } from 'vitest';

export const REPO = fileURLToPath(new URL('../../', import.meta.url));
export const MCPM_BIN = fileURLToPath(new URL('../../bin/mcpm.cjs', import.meta.url));

export type Message = Record<string, unknown>;

export interface HostOptions {
  cwd?: string;
  env?: Record<string, string | undefined>;
  /** Per wait; default 10 s. */
  timeoutMs?: number;
}

export const CLAUDE_DESKTOP = { name: 'claude-ai', version: '0.1.0' };

export class TestHost {
  /** Every stdout chunk, in order. */
  private readonly chunks: Buffer[] = [];
  private partial = '';
  /** Every complete stdout line, parsed (a line that is not JSON is kept as {unparsable: text}). */
  readonly messages: Message[] = [];
  stderr = '';
  private waiters: { predicate: (m: Message) => boolean; resolve: (m: Message) => void }[] = [];
  private nextId = 1;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  exitInfo: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  private readonly timeoutMs: number;

  private readonly decoder = new StringDecoder('utf8');

  private constructor(
    readonly child: ChildProcessWithoutNullStreams,
    readonly label: string,
    options: HostOptions,
  ) {
    this.timeoutMs = options.timeoutMs ?? 10_000;
    child.stdout.on('data', (chunk: Buffer) => {
      this.chunks.push(chunk);
      // A character may be cut between chunks: the decoder holds its first bytes until the rest come.
      this.partial += this.decoder.write(chunk);
      let newline: number;
      while ((newline = this.partial.indexOf('\n')) !== -1) {
        const text = this.partial.slice(0, newline);
        this.partial = this.partial.slice(newline + 1);
        let message: Message;
        try {
          message = JSON.parse(text) as Message;
        } catch {
          message = { unparsable: text };
        }
        this.messages.push(message);
        this.waiters = this.waiters.filter((w) => {
          if (!w.predicate(message)) return true;
          w.resolve(message);
          return false;
        });
      }
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => (this.stderr += d));
    child.stdin.on('error', () => {});
    this.exited = new Promise((resolve) => {
      child.on('exit', (code, signal) => {
        this.exitInfo = { code, signal };
        resolve(this.exitInfo);
      });
    });
  }

  /** `mcpm run …args` as a host would launch it. */
  static mcpm(args: string[], options: HostOptions = {}): TestHost {
    return TestHost.spawn(process.execPath, [MCPM_BIN, ...args], options, `mcpm ${args.join(' ')}`);
  }

  /**
   * Any command, e.g. the server itself, for comparing with a direct session. With the small
   * environment a host gives: the user's PATH and HOME, and with that HOME its cache and state
   * directories (the test file's own: test/setup.ts), nothing else of ours.
   */
  static spawn(command: string, args: string[], options: HostOptions = {}, label = `${command} ${args.join(' ')}`): TestHost {
    const userDirs = options.env?.['HOME'] !== undefined ? {} : Object.fromEntries((['XDG_CACHE_HOME', 'XDG_STATE_HOME'] as const).flatMap((name) => (process.env[name] === undefined ? [] : [[name, process.env[name]]])));
    const child = spawn(command, args, {
      cwd: options.cwd ?? REPO,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, ...userDirs, NO_COLOR: '1', ...options.env } as NodeJS.ProcessEnv,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    return new TestHost(child, label, options);
  }

  /** Every byte received on stdout so far. */
  get received(): Buffer {
    return Buffer.concat(this.chunks);
  }

  /** Writes one message (or a raw line, as given) followed by a newline. */
  send(message: Message | unknown[] | string): void {
    this.child.stdin.write(`${typeof message === 'string' ? message : JSON.stringify(message)}\n`);
  }

  notify(method: string, params?: unknown): void {
    this.send(params === undefined ? { jsonrpc: '2.0', method } : { jsonrpc: '2.0', method, params });
  }

  /** Sends a request and resolves with the response carrying its id. */
  request(method: string, params?: unknown, id: number | string = this.nextId++): Promise<Message> {
    const waiting = this.waitFor((m) => m['id'] === id && !('method' in m), `the response to ${method} (id ${JSON.stringify(id)})`);
    this.send(params === undefined ? { jsonrpc: '2.0', id, method } : { jsonrpc: '2.0', id, method, params });
    return waiting;
  }

  /** The legacy handshake as Claude Desktop does it: initialize, then notifications/initialized. */
  async initialize(
    clientInfo: { name: string; version: string } = CLAUDE_DESKTOP,
    capabilities: Record<string, unknown> = { roots: {}, sampling: {} },
    protocolVersion = '2025-11-25',
  ): Promise<Message> {
    const response = await this.request('initialize', { protocolVersion, capabilities, clientInfo }, 0);
    this.notify('notifications/initialized');
    return response;
  }

  /** Resolves with the first message (already received or coming) that satisfies `predicate`. */
  waitFor(predicate: (m: Message) => boolean, what = 'a message'): Promise<Message> {
    const found = this.messages.find(predicate);
    if (found) return Promise.resolve(found);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w.resolve !== done);
        reject(new Error(`${this.label}: no ${what} within ${this.timeoutMs} ms\nreceived: ${this.received.toString()}\nstderr: ${this.stderr}`));
      }, this.timeoutMs);
      const done = (m: Message) => {
        clearTimeout(timer);
        resolve(m);
      };
      this.waiters.push({ predicate, resolve: done });
      void this.exited.then(() => {
        // The process is gone: nothing more will come (stdout may still flush; give it a moment).
        setTimeout(() => {
          if (!this.waiters.some((w) => w.resolve === done)) return;
          this.waiters = this.waiters.filter((w) => w.resolve !== done);
          clearTimeout(timer);
          reject(new Error(`${this.label}: exited (${JSON.stringify(this.exitInfo)}) before ${what}\nreceived: ${this.received.toString()}\nstderr: ${this.stderr}`));
        }, 100);
      });
    });
  }

  /** Resolves with the exit status, killing the process if it does not exit in time. */
  async waitForExit(): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        this.child.kill('SIGKILL');
        reject(new Error(`${this.label}: did not exit within ${this.timeoutMs} ms\nstderr: ${this.stderr}`));
      }, this.timeoutMs);
    });
    try {
      return await Promise.race([this.exited, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Closes stdin, as a host does to end the session, and waits for the exit. */
  close(): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    this.child.stdin.end();
    return this.waitForExit();
  }
}

/** `mcpm run -C dir name` as a host starts it, closed after the test if it is still running (a failed assertion must not leave it and its server behind). */
export function runFromHost(dir: string, name: string, options: HostOptions = {}): TestHost {
  const host = TestHost.mcpm(['run', '-C', dir, name], options);
  onTestFinished(async () => {
    if (!host.exitInfo) await host.close().catch(() => {});
  });
  return host;
}

/**
 * True while a process with this pid runs. A zombie (killed, not yet reaped by init, which in a
 * container may never reap) does not run.
 */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return true;
  }
}
