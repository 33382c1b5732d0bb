/**
 * mcpm's own colours. They are added after server text has been sanitised, so the only escape
 * sequences that reach a terminal are these.
 */
export type Colour = 'red' | 'green' | 'yellow' | 'dim' | 'bold' | 'cyan';

export interface Palette {
  color: boolean;
}

const CODES: Record<Colour, [string, string]> = {
  red: ['\x1b[31m', '\x1b[39m'],
  green: ['\x1b[32m', '\x1b[39m'],
  yellow: ['\x1b[33m', '\x1b[39m'],
  cyan: ['\x1b[36m', '\x1b[39m'],
  dim: ['\x1b[2m', '\x1b[22m'],
  bold: ['\x1b[1m', '\x1b[22m'],
};

export function paint(palette: Palette, colour: Colour, text: string): string {
  if (!palette.color) return text;
  const [open, close] = CODES[colour];
  return `${open}${text}${close}`;
}

/**
 * Whether mcpm colours its output, with the precedence of chalk's supports-color and
 * https://no-color.org: `--no-color` and a non-empty `NO_COLOR` turn colour off whatever else is
 * set; then `FORCE_COLOR` decides when set (`0` or `false` off; `1`–`3`, `true`, empty or any
 * other value on, even without a terminal, as in CI logs that render colour); else colour only on
 * a terminal.
 */
export function paletteFor(isTTY: boolean, env: Readonly<Record<string, string | undefined>>, colorOption: boolean): Palette {
  if (!colorOption) return { color: false };
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return { color: false };
  const force = env.FORCE_COLOR;
  if (force !== undefined) return { color: force !== '0' && force.toLowerCase() !== 'false' };
  return { color: isTTY };
}
