/**
 * The process boundary shared by both entry points (cli.ts, run-main.ts): what happens when the
 * reader of our output goes away, Ctrl-C, and the one place that turns an error into stderr text
 * and an exit status. Nothing here may import commander: `mcpm run` starts without it.
 */
import { isMcpmError, McpmError, type ExitStatus } from './core/errors.js';
import { contextWords, withContext, type ContextOptions } from './core/hint-context.js';
import { sanitize, sanitizeLine } from './core/sanitize.js';
import { realDeps, type Deps } from './deps.js';
import { writeJson } from './render/json.js';

/** An error of the caller's argument parser: its exit status, and what `--json` says about it. */
export interface UsageProblem {
  status: ExitStatus;
  message: string;
  hint?: string;
}

/**
 * How a bundle's entry (run-main.ts, verify-main.ts) loads dist/cli.js for the command lines it
 * leaves to the full CLI: bin/mcpm.cjs imports it, so that the bundles hold no import() of their own
 * (the code cache compiles only files without one: src/code-cache.ts).
 */
export type FullCli = () => Promise<{ main(argv: string[]): Promise<ExitStatus> }>;

export interface ProcessOptions {
  /** Classifies errors of the caller's argument parser (commander's --help ends in an "error" with exit code 0). */
  usageStatus?: (error: unknown) => UsageProblem | undefined;
  /**
   * `--json` was on the command line: an error is also one JSON object on stdout,
   * `{"error": {"code", "message", "hint"}, "exitStatus"}`, unless the command already wrote its
   * own (a script reads exactly one object). The human text still goes to stderr.
   */
  json?: () => boolean;
  /**
   * `mcpm run`: stdout is the host's channel, and the command handles its errors itself (it ends
   * the server, answers nothing more and closes the audit log). Only stderr gets the quiet exit.
   */
  relay?: boolean;
}

/** Runs `body` as the whole process would: returns the exit status and never calls process.exit, so output is flushed first. */
export async function runAsProcess(body: (deps: Deps) => Promise<ExitStatus>, options: ProcessOptions = {}): Promise<ExitStatus> {
  quietOnBrokenPipe(options.relay ? ['stderr'] : ['stdout', 'stderr']);
  const controller = new AbortController();
  const onSigint = () => controller.abort(new McpmError('USAGE', 'interrupted'));
  process.once('SIGINT', onSigint);
  let wroteStdout = false;
  const deps = realDeps(controller.signal, { onStdout: () => (wroteStdout = true) });
  try {
    return await body(deps);
  } catch (error) {
    const usage = options.usageStatus?.(error);
    const report: Reported = usage ?? reportError(error, deps, controller.signal.aborted);
    if (options.json?.() && !options.relay && !wroteStdout && report.status !== 0) writeJson(deps.stdout, errorJson(report));
    return report.status;
  } finally {
    process.off('SIGINT', onSigint);
  }
}

/**
 * `mcpm ls | head`: the reader went away, so there is no one left to tell anything (git and npm stop
 * quietly too). Started servers are killed by the process adapter's exit hook. Node makes
 * process.stdout and process.stderr at their first use, and a pipe's stream takes milliseconds to
 * make (node:net and a socket): the handler is attached then, so a command that prints nothing
 * (`verify --offline -q`, at every commit; `mcpm run`, whose server is spawned first) never makes
 * them. Nothing can be written to a stream before it is made, so no error comes before the handler.
 */
function quietOnBrokenPipe(names: readonly ('stdout' | 'stderr')[]): void {
  const quiet = (stream: NodeJS.WriteStream): void => {
    stream.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code !== 'EPIPE') throw error;
      process.exit(process.exitCode ?? 0);
    });
  };
  for (const name of names) {
    const made = Object.getOwnPropertyDescriptor(process, name);
    if (made?.get === undefined || made.configurable !== true) {
      quiet(process[name]);
      continue;
    }
    Object.defineProperty(process, name, {
      configurable: true,
      enumerable: made.enumerable ?? true,
      get() {
        // Node's own getter again (it keeps the stream it made): this one runs once.
        Object.defineProperty(process, name, made);
        const stream = process[name];
        quiet(stream);
        return stream;
      },
    });
  }
}

/** What was reported on stderr, for the JSON form; `code` is an ErrorCode, or INTERRUPTED / INTERNAL. */
interface Reported extends UsageProblem {
  code?: string;
  detail?: string;
}

/** The JSON form of an error (docs/json-output.md); `detail` (a server's stderr) only when there is one. */
function errorJson(report: Reported): object {
  const error = { code: report.code ?? 'USAGE', message: report.message, hint: report.hint ?? null };
  return { error: report.detail === undefined ? error : { ...error, detail: report.detail }, exitStatus: report.status };
}

const REPORT_URL = 'https://github.com/mcpm-dev/mcpm/issues';

function reportError(error: unknown, deps: Deps, interrupted: boolean): Reported {
  if (interrupted) {
    deps.stderr.write('mcpm: interrupted; no file was changed\n');
    return { status: 130, code: 'INTERRUPTED', message: 'interrupted; no file was changed' };
  }
  if (isMcpmError(error)) {
    deps.stderr.write(formatMcpmError(error));
    return { status: error.exitStatus, code: error.code, message: error.message, hint: error.hint, detail: error.detail };
  }
  // A bug's message can quote server or config text (a name in an assertion, a library's error): escaped too.
  const stack = sanitize(error instanceof Error ? (error.stack ?? error.message) : String(error));
  deps.stderr.write(`mcpm: internal error (this is a bug in mcpm)\n${stack}\nPlease report it with the command you ran: ${REPORT_URL}\n`);
  return {
    status: 70,
    code: 'INTERNAL',
    message: `internal error (this is a bug in mcpm): ${error instanceof Error ? error.message : String(error)}`,
    hint: `please report it with the command you ran: ${REPORT_URL}`,
  };
}

function formatMcpmError(error: McpmError): string {
  // Messages may quote config or server text (names, stderr); this is their boundary to the terminal.
  // The message and the hint are one line each (a path or a name in them may hold a newline); the
  // detail, a server's stderr, is many, each marked as its.
  let text = `mcpm: ${sanitizeLine(error.message)}\n`;
  if (error.detail) text += `${sanitize(error.detail).replace(/^/gm, '  │ ')}\n`;
  if (error.hint) text += `hint: ${sanitizeLine(error.hint)}\n`;
  return text;
}

/** An McpmError whose hint suggests mcpm commands, with the options that chose this project added to each. */
export function inContext(error: unknown, options: ContextOptions): unknown {
  if (!isMcpmError(error) || error.hint === undefined) return error;
  const hint = withContext(error.hint, contextWords(options));
  if (hint === error.hint) return error;
  return new McpmError(error.code, error.message, hint, { cause: error.cause, detail: error.detail });
}
