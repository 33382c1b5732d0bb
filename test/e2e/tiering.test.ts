import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from './helpers.js';

// A function of 223 bytes of bytecode, called 700 times: with V8's default budget it is first
// marked for optimisation after 1,200 to 1,600 calls, with optimiseHotCodeSooner's after 300 to 400.
// Counts, not times: the budget is bytecode run. `traffic`: what the session has told it first.
const probe = (sooner: boolean, traffic = '') => `
${sooner ? `const traffic = (await import(${JSON.stringify(join(ROOT, 'dist', 'adapters', 'tiering.js'))})).optimiseHotCodeSooner(); ${traffic}` : ''}
function tieringProbe(a, b) {
  let x = a + b; x = (x * 31 + a) % 1009; x = (x ^ b) + 7; x = (x * 17 + b) % 997; x = (x ^ a) + 11; x = (x * 13 + a) % 991;
  x = (x ^ b) + 3; x = (x * 29 + b) % 983; x = (x ^ a) + 5; x = (x * 7 + a) % 977; x = (x ^ b) + 2; x = (x * 19 + b) % 971;
  x = (x ^ a) + 9; x = (x * 23 + a) % 967; x = (x ^ b) + 1; x = (x * 11 + b) % 953; x = (x ^ a) + 13; x = (x * 37 + a) % 947;
  return x;
}
let s = 0;
for (let i = 0; i < 700; i++) s += tieringProbe(i, s & 0xff);
`;

/** Whether V8 marked the probe for its optimising compiler (Maglev off: the budget is TurboFan's). */
function marked(sooner: boolean, traffic?: string): boolean {
  const trace = execFileSync(process.execPath, ['--no-maglev', '--trace-opt', '--input-type=module', '-e', probe(sooner, traffic)], { encoding: 'utf8' });
  return /marking .*tieringProbe.* for optimization/.test(trace);
}

describe('optimiseHotCodeSooner (mcpm run)', () => {
  // Node 20's V8; on another the budget is left alone.
  const v8Eleven = Number(process.versions.v8.split('.')[0]) === 11;

  it('has V8 optimise a hot function after fewer calls than by default', () => {
    expect(marked(false)).toBe(false);
    expect(marked(true)).toBe(v8Eleven);
  });

  const hostLines = (n: number) => `for (let i = 0; i < ${n}; i++) traffic.hostLine();`;

  it('puts V8 own budget back once the session has seen 2,000 host messages, not before', () => {
    expect(marked(true, hostLines(1999))).toBe(v8Eleven);
    expect(marked(true, hostLines(2000))).toBe(false);
  });

  it('puts it back at once when the session tells of a large server line', () => {
    expect(marked(true, 'traffic.largeServerLine();')).toBe(false);
  });
});
