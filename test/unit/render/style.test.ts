import { describe, expect, it } from 'vitest';
import { paint, paletteFor } from '../../../src/render/style.js';

describe('paletteFor: --no-color, NO_COLOR, FORCE_COLOR and the terminal', () => {
  it.each<[string, boolean, Record<string, string>, boolean, boolean]>([
    // name, isTTY, env, --color (commander's default true; --no-color makes it false), expected
    ['a terminal', true, {}, true, true],
    ['no terminal', false, {}, true, false],
    ['--no-color on a terminal', true, {}, false, false],
    ['NO_COLOR on a terminal', true, { NO_COLOR: '1' }, true, false],
    ['an empty NO_COLOR is unset (no-color.org)', true, { NO_COLOR: '' }, true, true],
    ['FORCE_COLOR=1 without a terminal', false, { FORCE_COLOR: '1' }, true, true],
    ['FORCE_COLOR=3 without a terminal', false, { FORCE_COLOR: '3' }, true, true],
    ['FORCE_COLOR=true without a terminal', false, { FORCE_COLOR: 'true' }, true, true],
    ['an empty FORCE_COLOR forces too (supports-color)', false, { FORCE_COLOR: '' }, true, true],
    ['FORCE_COLOR=0 on a terminal', true, { FORCE_COLOR: '0' }, true, false],
    ['FORCE_COLOR=false on a terminal', true, { FORCE_COLOR: 'false' }, true, false],
    ['NO_COLOR wins over FORCE_COLOR', false, { NO_COLOR: '1', FORCE_COLOR: '1' }, true, false],
    ['--no-color wins over FORCE_COLOR', false, { FORCE_COLOR: '2' }, false, false],
  ])('%s', (_name, isTTY, env, colorOption, expected) => {
    expect(paletteFor(isTTY, env, colorOption).color).toBe(expected);
  });

  it('paints only with colour on', () => {
    expect(paint({ color: false }, 'red', 'x')).toBe('x');
    expect(paint({ color: true }, 'red', 'x')).toBe('\x1b[31mx\x1b[39m');
  });
});
