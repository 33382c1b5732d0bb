/**
 * What every bundle file holds around its code (rolldown.config.mjs writes it; src/code-cache.ts
 * reads it): the function Node's CommonJS loader wraps a module in, and a call of it. Node's own
 * loader runs such a file as any module (its wrapper calls this one with its own arguments). The
 * code cache compiles the function's text alone, a slice of the file's text: V8 takes a slice of a
 * string as it is, where joining a wrapper and the file made a copy of the whole file, 45 fresh
 * pages for run's start chunk before the spawn (each 10 µs or more on a VM) and 22 more for its relay.
 * No other dependency: the bundler's config imports this module from dist/.
 */

/** The file's first line is the build's name, then this. */
export const FUNCTION_HEAD = '(function (exports, require, module, __filename, __dirname) {';

/** What closes the function and calls it, at the file's end; the function's text ends with its first two characters. */
export const FUNCTION_CALL = '}).call(this, exports, require, module, __filename, __dirname);';

/**
 * The wrapped function's text in `content` (a bundle file's text) when it has the form above after
 * the first `headEnd` characters (the build's name), else undefined: a file of another kind is
 * compiled as Node compiles it.
 */
export function functionText(content: string, headEnd: number): string | undefined {
  if (!content.startsWith(FUNCTION_HEAD, headEnd)) return undefined;
  const trimmed = content.endsWith('\n') ? content.length - 1 : content.length;
  const call = trimmed - FUNCTION_CALL.length;
  if (call <= headEnd || !content.startsWith(FUNCTION_CALL, call)) return undefined;
  return content.slice(headEnd, call + 2);
}
