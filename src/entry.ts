/**
 * The process boundary shared by both entry points (cli.ts, run-main.ts): what happens when the
 * reader of our output goes away, Ctrl-C, and the one place that turns an error into stderr text
 * and an exit status. Nothing here may import commander: `mcpm run` starts without it.
 */
import { isMcpmError, McpmError, type ExitStatus } from './core/errors.js';
import { sanitize } from './core/sanitize.js';
import { realDeps, type Deps } from './deps.js';

export interface ProcessOptions {
  /** Classifies errors of the caller's argument parser (commander's --help ends in an "error" with exit code 0). */
  usageStatus?: (error: unknown) => ExitStatus | undefined;
  /**
   * `mcpm run`: stdout is the host's channel, and the command handles its errors itself (it ends
   * the server, answers nothing more and closes the audit log). Only stderr gets the quiet exit, set
   * up at the first turn of the event loop: the server is spawned before that turn, and creating the
   * stream takes time the host would wait for.
   */
  relay?: boolean;
}

/** Runs `body` as the whole process would: returns the exit status and never calls process.exit, so output is flushed first. */
export async function runAsProcess(body: (deps: Deps) => Promise<ExitStatus>, options: ProcessOptions = {}): Promise<ExitStatus> {
  if (options.relay) setImmediate(() => quietOnBrokenPipe([process.stderr]));
  else quietOnBrokenPipe([process.stdout, process.stderr]);
  const controller = new AbortController();
  const onSigint = () => controller.abort(new McpmError('USAGE', 'interrupted'));
  process.once('SIGINT', onSigint);
  const deps = realDeps(controller.signal);
  try {
    return await body(deps);
  } catch (error) {
    return options.usageStatus?.(error) ?? reportError(error, deps, controller.signal.aborted);
  } finally {
    process.off('SIGINT', onSigint);
  }
}

/**
 * `mcpm ls | head`: the reader went away, so there is no one left to tell anything (git and npm stop
 * quietly too). Started servers are killed by the process adapter's exit hook.
 */
function quietOnBrokenPipe(streams: NodeJS.WriteStream[]): void {
  for (const stream of streams) {
    stream.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code !== 'EPIPE') throw error;
      process.exit(process.exitCode ?? 0);
    });
  }
}

function reportError(error: unknown, deps: Deps, interrupted: boolean): ExitStatus {
  if (interrupted) {
    deps.stderr.write('mcpm: interrupted; no file was changed\n');
    return 130;
  }
  if (isMcpmError(error)) {
    deps.stderr.write(formatMcpmError(error));
    return error.exitStatus;
  }
  // A bug's message can quote server or config text (a name in an assertion, a library's error): escaped too.
  const stack = sanitize(error instanceof Error ? (error.stack ?? error.message) : String(error));
  deps.stderr.write(
    `mcpm: internal error (this is a bug in mcpm)\n${stack}\nPlease report it with the command you ran: https://github.com/mcpm-dev/mcpm/issues\n`,
  );
  return 70;
}

function formatMcpmError(error: McpmError): string {
  // Messages may quote config or server text (names, stderr); this is their boundary to the terminal.
  let text = `mcpm: ${sanitize(error.message)}\n`;
  if (error.detail) text += `${sanitize(error.detail).replace(/^/gm, '  │ ')}\n`;
  if (error.hint) text += `hint: ${sanitize(error.hint)}\n`;
  return text;
}
