/**
 * Machine output. JSON.stringify escapes C0 controls but leaves C1 controls, bidi overrides, tag
 * characters and the like as they are, and `--json` is often read in a terminal: every non-ASCII
 * code unit is written as a `\uXXXX` escape instead. Lossless, and nothing in it can act on a
 * terminal. All `--json` output goes through here.
 */
import type { Output } from '../deps.js';

export function stringifyAsciiJson(value: unknown, indent = 2): string {
  return JSON.stringify(value, null, indent).replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

export function writeJson(out: Output, value: unknown): void {
  out.write(`${stringifyAsciiJson(value)}\n`);
}
