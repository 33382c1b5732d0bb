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

/** How long the command may take, as a token fetch may (a cloud CLI starting up); then its process group is killed. */
export const HEADERS_HELPER_TIMEOUT_MS = 10_000;
/** Headers are a few hundred bytes; more output than this is not an answer. */
const MAX_OUTPUT_BYTES = 64 * 1024;
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/**
 * The headers a remote entry's `headersHelper` gives, or undefined when it has none. The command
 * runs through the shell, in the project directory, with mcpm's environment (a helper reads the
 * user's credentials, as it does under the host) and CLAUDE_CODE_MCP_SERVER_NAME and
 * CLAUDE_CODE_MCP_SERVER_URL, which Claude Code sets for it. A command that fails, times out or
 * prints anything but an object of valid header names and string values is CONFIG_INVALID naming
 * the file and server; the message never holds its output, which holds credentials.
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
    env: { ...definedOnly(options.env), CLAUDE_CODE_MCP_SERVER_NAME: server.name, CLAUDE_CODE_MCP_SERVER_URL: url },
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
    if (typeof value !== 'string' || /[\r\n\0]/.test(value)) throw fail(`printed a value for ${jsonQuote(name)} that is not a one-line string`);
    headers[name] = value;
  }
  return headers;
}

function definedOnly(env: Readonly<Record<string, string | undefined>>): Record<string, string> {
  const out = Object.create(null) as Record<string, string>;
  for (const [name, value] of Object.entries(env)) if (value !== undefined) out[name] = value;
  return out;
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
    const stop = (why: string) => {
      problem ??= why;
      try {
        if (child.pid !== undefined) process.kill(process.platform === 'win32' ? child.pid : -child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    };
    const timer = setTimeout(() => stop(`did not finish within ${options.timeoutMs / 1000} s`), options.timeoutMs);
    const onAbort = () => stop('was interrupted');
    options.signal?.addEventListener('abort', onAbort, { once: true });
    child.stdout.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_OUTPUT_BYTES) stop(`printed more than ${MAX_OUTPUT_BYTES / 1024} KiB`);
      else chunks.push(chunk);
    });
    child.on('error', (error) => stop(`could not be started (${(error as NodeJS.ErrnoException).code ?? error.message})`));
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      if (problem === undefined && code !== 0) problem = signal ? `was killed by ${signal}` : `exited with status ${code}`;
      if (problem !== undefined) reject(new Error(problem));
      else resolve(Buffer.concat(chunks).toString('utf8'));
    });
  });
}
