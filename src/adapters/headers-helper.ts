/**
 * Claude Code's `headersHelper`: a shell command a remote entry names, run at each connection,
 * whose standard output is a JSON object of header names and string values, added over the
 * entry's `headers`. mcpm runs it the same way when it connects (install, verify, diff, approve,
 * run), so the server it snapshots and guards answers what the host is given. It runs only for a
 * launch mcpm may start: the command is part of the launch, so a changed one is refused before.
 */
import { spawn } from 'node:child_process';
import { McpmError } from '../core/errors.js';
import { isJsonObject, jsonQuote, parseStrictJson } from '../core/json-strict.js';
import type { ServerConfig } from '../core/launch/parse.js';
import { INHERITED_ENV_VARS } from './process.js';

/** How long the command may take, as a token fetch may (a cloud CLI starting up); then its process group is killed. */
export const HEADERS_HELPER_TIMEOUT_MS = 10_000;
/** Headers are a few hundred bytes; more output than this is not an answer. */
const MAX_OUTPUT_BYTES = 64 * 1024;
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
/** After the shell exits, how long a process it left holding stdout may still write. */
const EXIT_GRACE_MS = 200;

/**
 * The headers a remote entry's `headersHelper` gives, or undefined when it has none. The command
 * runs through the shell, in the project directory, with CLAUDE_CODE_MCP_SERVER_NAME and
 * CLAUDE_CODE_MCP_SERVER_URL, which Claude Code sets for it. A command that fails, times out or
 * prints anything but an object of valid header names and string values is CONFIG_INVALID naming
 * the file and server; the message never holds its output, which holds credentials.
 *
 * Its environment is not mcpm's whole one (helperEnv).
 */
export async function headersFromHelper(
  server: ServerConfig,
  url: string,
  options: { projectDir: string; env: Readonly<Record<string, string | undefined>>; timeoutMs?: number; signal?: AbortSignal },
): Promise<Record<string, string> | undefined> {
  const launch = server.launch;
  if (launch.transport === 'stdio' || launch.headersHelper === undefined) return undefined;
  const where = `${server.source}: server ${jsonQuote(server.name)}: "headersHelper"`;
  const fail = (problem: string): McpmError =>
    new McpmError('CONFIG_INVALID', `${where} ${problem}`, 'run the command yourself to see what it prints: a JSON object of header names and string values');
  const output = await runShell(launch.headersHelper, {
    cwd: options.projectDir,
    env: helperEnv(launch.headersHelper, options.env, { CLAUDE_CODE_MCP_SERVER_NAME: server.name, CLAUDE_CODE_MCP_SERVER_URL: url }),
    timeoutMs: options.timeoutMs ?? HEADERS_HELPER_TIMEOUT_MS,
    ...(options.signal ? { signal: options.signal } : {}),
  }).catch((error: unknown) => {
    throw fail(error instanceof Error ? error.message : String(error));
  });
  let json;
  try {
    json = parseStrictJson(output.trim());
  } catch {
    throw fail('did not print a JSON object');
  }
  if (!isJsonObject(json)) throw fail('did not print a JSON object');
  const headers = Object.create(null) as Record<string, string>;
  for (const name of Object.keys(json)) {
    const value = json[name];
    if (!HEADER_NAME.test(name)) throw fail(`printed ${jsonQuote(name)}, which is not a valid HTTP header name`);
    // RFC 9110 field-value: visible ASCII, spaces and tabs inside; fetch() refuses anything else,
    // after the server was trusted, with a message about the connection.
    if (typeof value !== 'string' || !/^[\t\x20-\x7e]*$/.test(value)) throw fail(`printed a value for ${jsonQuote(name)} that is not a valid HTTP header value`);
    // Sent trimmed, as fetch() sends it: the value a server could echo is the trimmed one.
    headers[name] = value.trim();
  }
  return headers;
}

/**
 * The helper's environment: what a server inherits (INHERITED_ENV_VARS: HOME, PATH, …), the
 * variables the command itself names (`$VAULT_ADDR`, `${TOKEN_FILE}`), and the two Claude Code
 * sets. Not mcpm's whole environment, as Claude Code gives it: the command is locked, but a script
 * it runs is a file a pull request can change, and `mcpm verify` runs it in CI beside the CI's own
 * secrets, which no server is given either.
 */
function helperEnv(command: string, env: Readonly<Record<string, string | undefined>>, own: Record<string, string>): Record<string, string> {
  const named = [...command.matchAll(/\$\{?([A-Za-z_][A-Za-z0-9_]*)/g)].map((m) => m[1]!);
  const out = Object.create(null) as Record<string, string>;
  for (const name of [...INHERITED_ENV_VARS, ...named]) {
    const value = env[name];
    if (value !== undefined && !value.startsWith('()')) out[name] = value;
  }
  return Object.assign(out, own);
}

/**
 * The standard output of `command` run by /bin/sh (cmd.exe on Windows) in its own process group,
 * which is killed, with whatever it started, on timeout or abort. Rejects with the reason in
 * words: an exit status, a signal, a timeout, too much output.
 */
function runShell(command: string, options: { cwd: string; env: Record<string, string>; timeoutMs: number; signal?: AbortSignal }): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, { shell: true, cwd: options.cwd, env: options.env, stdio: ['ignore', 'pipe', 'ignore'], detached: process.platform !== 'win32' });
    const chunks: Buffer[] = [];
    let size = 0;
    let problem: string | undefined;
    let settled = false;
    const finish = (error: string | undefined) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      clearTimeout(grace);
      options.signal?.removeEventListener('abort', onAbort);
      if (error !== undefined) reject(new Error(error));
      else resolve(Buffer.concat(chunks).toString('utf8'));
    };
    const stop = (why: string) => {
      problem ??= why;
      try {
        if (child.pid !== undefined) process.kill(process.platform === 'win32' ? child.pid : -child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
      // A process it started in a session of its own (setsid) is not in the group and may keep
      // stdout open: the answer does not wait for it.
      child.stdout.destroy();
      finish(problem);
    };
    let grace: NodeJS.Timeout | undefined;
    const timer = setTimeout(() => stop(`did not finish within ${options.timeoutMs / 1000} s`), options.timeoutMs);
    const onAbort = () => stop('was interrupted');
    options.signal?.addEventListener('abort', onAbort, { once: true });
    child.stdout.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_OUTPUT_BYTES) stop(`printed more than ${MAX_OUTPUT_BYTES / 1024} KiB`);
      else chunks.push(chunk);
    });
    child.on('error', (error) => stop(`could not be started (${(error as NodeJS.ErrnoException).code ?? error.message})`));
    // The shell has exited: what it printed is its answer. Something it left running that holds
    // stdout gets a moment to finish writing, then is not waited for.
    // Its status decides, so the answer waits for both the exit and the end of its output.
    let exited = false;
    let outputEnded = false;
    child.on('exit', (code, signal) => {
      exited = true;
      if (problem === undefined && code !== 0) problem = signal ? `was killed by ${signal}` : `exited with status ${code}`;
      if (outputEnded) return finish(problem);
      grace = setTimeout(() => {
        child.stdout.destroy();
        finish(problem);
      }, EXIT_GRACE_MS);
    });
    child.stdout.on('close', () => {
      outputEnded = true;
      if (exited) finish(problem);
    });
  });
}
