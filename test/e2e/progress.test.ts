// Live per-server progress: drawn on a terminal while servers are contacted, erased before the
// report; never on a pipe, in CI, with -q or with machine output.
import { describe, expect, it } from 'vitest';
import { spawnPty } from '../helpers/pty.js';
import { defs, mcpm, SERVERS, tempProject, tool, writeProject } from './helpers.js';
import { join } from 'node:path';
import { readFileSync, writeFileSync } from 'node:fs';

/** One server that answers at once, one that never answers (so it is still running while the other is done). */
function project(): string {
  const dir = tempProject();
  writeProject(dir, { quick: { defs: defs([tool('add', 'Adds.')]) } });
  const config = JSON.parse(readFileSync(join(dir, '.mcp.json'), 'utf8')) as { mcpServers: Record<string, unknown> };
  config.mcpServers.stuck = { command: process.execPath, args: [join(SERVERS, 'hang.mjs')] };
  writeFileSync(join(dir, '.mcp.json'), JSON.stringify(config));
  return dir;
}

/** Everything a person would see without CI set: the pty helper sets CI=true for Ink's sake. */
const TERMINAL = { CI: 'false', CONTINUOUS_INTEGRATION: '' };

describe('live progress', { timeout: 40_000 }, () => {
  it('on a terminal: a line per server, redrawn while one is still running, erased before the report', async () => {
    const dir = project();
    const term = spawnPty(['install', '-C', dir, '--timeout', '3000'], { env: TERMINAL });
    // The quick one is done while the stuck one still runs, and the stuck one's time moves on.
    const done = await term.waitFor(/quick\s+done\s+\d+\.\d s/);
    await term.waitFor(/stuck\s+(starting|listing \w+)\s+\d+\.\d s/, done);
    const later = await term.waitFor(/stuck\s+\S+(?: \w+)?\s+[12]\.\d s/, done);
    expect(later).toBeGreaterThan(done);
    expect(await term.exited).toBe(3);
    const screen = term.text();
    expect(screen).toMatch(/stuck\s+failed \(SERVER_TIMEOUT\)/);
    // The report comes after the progress lines, which were erased (cursor up, erase down).
    expect(screen.lastIndexOf('failed (SERVER_TIMEOUT)')).toBeLessThan(screen.indexOf('ERROR'));
    expect(screen).toMatch(/locked\s+quick/);
  });

  it('without a terminal, in CI, with -q and with --json: no progress at all', async () => {
    const dir = project();
    const piped = await mcpm(['install', '-C', dir, '--timeout', '2000']);
    expect(piped.status).toBe(3);
    expect(piped.stderr + piped.stdout).not.toMatch(/waiting|starting|done\s+\d/);
    expect(piped.stderr).not.toContain('\x1b[');

    for (const [args, env] of [
      [['install', '--timeout', '2000'], { CI: 'true' }],
      [['install', '--timeout', '2000', '-q'], TERMINAL],
      [['install', '--timeout', '2000', '--json'], TERMINAL],
    ] as const) {
      const term = spawnPty([...args, '-C', dir], { env });
      expect(await term.exited).toBe(3);
      expect(term.text(), args.join(' ')).not.toMatch(/starting|waiting|done\s+\d/);
    }
  });
});
