import { Script } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { FUNCTION_CALL, FUNCTION_HEAD, functionText } from '../../src/bundle-wrapper.js';

const BANNER = '/*mcpm-build 00000000-0000-4000-8000-000000000000*/';
const body = '\nexports.answer = 42;\nexports.where = __filename;\nmodule.exports.required = typeof require;\n';
const file = (text = body, tail = '') => `${BANNER}${FUNCTION_HEAD}${text}${FUNCTION_CALL}${tail}`;

/** What Node's CommonJS loader does with a file: its text as the body of a function of these five. */
function runAsNodeDoes(text: string): Record<string, unknown> {
  const module = { exports: {} as Record<string, unknown> };
  new Function('exports', 'require', 'module', '__filename', '__dirname', text).call(module.exports, module.exports, () => undefined, module, '/d/f.cjs', '/d');
  return module.exports;
}

/** What the code cache does with it (src/code-cache.ts): the function's text compiled alone, then called. */
function runAsCodeCacheDoes(text: string): Record<string, unknown> {
  const module = { exports: {} as Record<string, unknown> };
  const fn = new Script(functionText(text, BANNER.length)!).runInThisContext() as (...args: unknown[]) => unknown;
  fn.call(module.exports, module.exports, () => undefined, module, '/d/f.cjs', '/d');
  return module.exports;
}

describe('the function a bundle file wraps its code in', () => {
  it('is the file from its head to the end of the function, without the call: the two ways of running it give the same module', () => {
    const text = file();
    expect(functionText(text, BANNER.length)).toBe(`${FUNCTION_HEAD}${body}})`);
    expect(functionText(`${text}\n`, BANNER.length)).toBe(`${FUNCTION_HEAD}${body}})`);
    const expected = { answer: 42, where: '/d/f.cjs', required: 'function' };
    expect(runAsNodeDoes(text)).toEqual(expected);
    expect(runAsCodeCacheDoes(text)).toEqual(expected);
  });

  it('is not found in a file of another form, which is compiled as Node compiles it', () => {
    expect(functionText(`${BANNER}${body}`, BANNER.length)).toBeUndefined();
    expect(functionText(`${BANNER}${FUNCTION_HEAD}${body}`, BANNER.length)).toBeUndefined();
    expect(functionText(`${BANNER}${body}${FUNCTION_CALL}`, BANNER.length)).toBeUndefined();
    // Anything after the call but one newline: not the form the bundler writes.
    expect(functionText(file(body, '\n\n'), BANNER.length)).toBeUndefined();
    expect(functionText(file(body, ';'), BANNER.length)).toBeUndefined();
    // The head only where the banner ends.
    expect(functionText(file(), 0)).toBeUndefined();
    expect(functionText(`${FUNCTION_HEAD}${FUNCTION_CALL}`.slice(0, FUNCTION_HEAD.length + 1), 0)).toBeUndefined();
  });
});
