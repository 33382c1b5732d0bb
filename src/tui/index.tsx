/**
 * The approve TUI, loaded only by `mcpm approve` (ink and react cost about 0.35 s to import).
 * It returns the reviewer's decisions; the command writes the lock from the snapshots it showed.
 */
import { render } from 'ink';
import type { Decision, ReviewModel } from '../core/review.js';
import { ApproveInterrupted, ApproveScreen } from './ApproveScreen.js';

export { ApproveInterrupted } from './ApproveScreen.js';

export interface RunApproveOptions {
  /** Streams to draw on and read keys from; the process's own by default. */
  stdin?: NodeJS.ReadStream;
  stdout?: NodeJS.WriteStream;
  inputGuardMs?: number;
  /** Colours on (default) or off: NO_COLOR, FORCE_COLOR=0 and --no-color turn them off. */
  color?: boolean;
}

/**
 * Shows the review and resolves with one decision per server the reviewer decided, in order;
 * servers left when the reviewer quit have none. Rejects with ApproveInterrupted on Ctrl-C.
 */
export async function runApprove(model: ReviewModel, options: RunApproveOptions = {}): Promise<Decision[]> {
  const instance = render(<ApproveScreen model={model} inputGuardMs={options.inputGuardMs} color={options.color ?? true} />, {
    ...(options.stdin ? { stdin: options.stdin } : {}),
    ...(options.stdout ? { stdout: options.stdout } : {}),
    // Ctrl-C is a key in raw mode; the screen turns it into ApproveInterrupted so nothing is written.
    exitOnCtrlC: false,
    patchConsole: false,
  });
  const result = await instance.waitUntilExit();
  if (result instanceof ApproveInterrupted) throw result;
  if (!Array.isArray(result)) throw new Error('Assertion failed: the approve screen exited without decisions');
  return result as Decision[];
}
