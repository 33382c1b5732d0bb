/**
 * `mcpm run` stands between a host and its server for a whole session and judges every message.
 * Node 20's V8 compiles a function with its optimising compiler once it has run a budget of
 * bytecode; with the default budget the guard's relay code (a few functions a message, each run
 * once per message) is optimised only after about a thousand calls, and until then each round trip
 * runs in the interpreter and baseline code: on a 2-CPU VM, 0.08 ms more per small call than a
 * relay that copies bytes, against 0.02 ms with a quarter of the budget.
 * - Not less: with an eighth, so much more was compiled while a session's first large answers
 *   streamed through that each took 1 to 2 ms longer.
 * - Not for ever: kept past the warm-up, the smaller budget cost a session with 100 calls in flight
 *   an eighth of its throughput, so V8's own comes back after WARM_MESSAGES host messages.
 * - Not for large answers: it comes back at once when a server line is large (as the guard judges
 *   lines: LARGE_LINE_BYTES, large-line.ts). Such a session spends its time in scans and copies of
 *   megabytes, and the code compiled sooner only added compile work: 1 ms to each of its first
 *   answers of a megabyte.
 *
 * Only on V8 11 (Node 20), where this was measured: Node 22 and later have Maglev, a compiler
 * between the baseline and the optimising one that already takes hot code early, and their own
 * default budgets. Only for the relay's process: commands that run to completion would compile
 * more and gain nothing.
 */
import { setV8Flags } from './v8-flags.js';

/** A quarter of V8 11's default (66 KiB of bytecode run): the relay's code is optimised after a few hundred calls. */
export const INTERRUPT_BUDGET = 16 * 1024;
const V8_DEFAULT_BUDGET = 66 * 1024;
/** Host messages (lines) after which the session is warm. */
export const WARM_MESSAGES = 2000;

/** What the session tells of its traffic, for the budget to come back. */
export interface SessionTraffic {
  hostLine(): void;
  /** A server line has grown large; told again for each chunk it grows by. */
  largeServerLine(): void;
}

const NO_TRAFFIC: SessionTraffic = { hostLine: () => {}, largeServerLine: () => {} };

/** Has V8 optimise hot functions sooner, from now on, until the traffic it is told of says the session is warm. */
export function optimiseHotCodeSooner(): SessionTraffic {
  if (Number(process.versions.v8.split('.')[0]) !== 11) return NO_TRAFFIC;
  setV8Flags(`--interrupt-budget=${INTERRUPT_BUDGET}`);
  let messages = 0;
  let warm = false;
  const warmedUp = (): void => {
    if (warm) return;
    warm = true;
    setV8Flags(`--interrupt-budget=${V8_DEFAULT_BUDGET}`);
  };
  return {
    hostLine: () => {
      if (++messages === WARM_MESSAGES) warmedUp();
    },
    largeServerLine: warmedUp,
  };
}
