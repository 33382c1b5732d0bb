/**
 * The one way mcpm changes V8's flags at run time (young-generation.ts, tiering.ts). V8 takes a
 * code cache only in a process whose flags are as they were where it was made, so the code cache
 * (src/code-cache.ts, loaded by bin/mcpm.cjs) is told first and writes what it has before they change.
 */
import { createRequire } from 'node:module';

/** Where src/code-cache.ts, a module of another bundle, is found: a key every copy of this module shares. */
export const BEFORE_V8_FLAGS_CHANGE = Symbol.for('mcpm.beforeV8FlagsChange');

export function setV8Flags(flags: string): void {
  (globalThis as { [BEFORE_V8_FLAGS_CHANGE]?: () => void })[BEFORE_V8_FLAGS_CHANGE]?.();
  // require, not import(): in the CommonJS bundle, import() starts the ES module loader (milliseconds).
  (createRequire(import.meta.url)('node:v8') as typeof import('node:v8')).setFlagsFromString(flags);
}
