// A server that dies part way through: its stdout cut after k bytes (die-after.mjs) for k across
// the whole conversation (every message boundary, a byte either side of it, and a stride between),
// while two busy loops compete for the CPU so that the death races mcpm's writes (EPIPE) as well as
// its reads. Every outcome is the server's own error, SERVER_EXITED with its stderr, and never an
// unclassified one, which the CLI would turn into exit 70 and lose every other server's result.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { withCompetingCpuLoad } from '../../helpers/cpu-load.js';
import { snapshotServer } from '../../../src/adapters/mcp-client.js';
import { McpmError } from '../../../src/core/errors.js';
import type { Era } from '../../../src/core/snapshot.js';
import { fixture, makeTempDir, mcpmEnv, removeDir, stdioConfig, writeJson } from './helpers.js';

let dir: string;
beforeEach(() => {
  dir = makeTempDir();
});
afterEach(() => removeDir(dir));

const DEFS = {
  serverInfo: { name: 'cut', version: '1.0.0' },
  capabilities: { tools: {}, prompts: {} },
  tools: [{ name: 'a', description: 'Adds.', inputSchema: { type: 'object' } }],
  prompts: [{ name: 'p' }],
};

interface Case {
  era: Era;
  script: string;
  eraHint?: Era;
}

function run(c: Case, env: Record<string, string>) {
  const defs = writeJson(path.join(dir, 'defs.json'), DEFS);
  const config = stdioConfig('cut', fixture('die-after.mjs'), { FIXTURE_SCRIPT: c.script, FIXTURE_DEFS: defs, ...env });
  return snapshotServer(config, { timeoutMs: 20_000, env: mcpmEnv(), projectDir: dir, eraHint: c.eraHint });
}

/** The byte offsets at which each message the server writes ends, read from one whole run. */
async function boundaries(c: Case): Promise<number[]> {
  const writes = path.join(dir, 'writes');
  const listing = await run(c, { FIXTURE_WRITES: writes });
  expect(listing.era).toBe(c.era);
  let end = 0;
  return readFileSync(writes, 'utf8').trim().split('\n').map((n) => (end += Number(n)));
}

/** Every boundary, one byte either side, 0 and 1, and every `stride`-th byte in between. */
function offsets(ends: number[], stride: number): number[] {
  const total = ends.at(-1)!;
  const ks = new Set<number>([0, 1]);
  for (const end of ends) for (const k of [end - 1, end, end + 1]) if (k >= 0 && k <= total) ks.add(k);
  for (let k = 0; k < total; k += stride) ks.add(k);
  return [...ks].sort((a, b) => a - b);
}

describe('a server that dies after k bytes of its answers, under CPU load', () => {
  withCompetingCpuLoad();

  it.each<Case>([
    { era: 'handshake', script: 'static.mjs' }, // the discover probe, then initialize on the same process
    { era: 'handshake', script: 'static.mjs', eraHint: 'handshake' },
    { era: 'stateless', script: 'stateless.mjs' },
  ])('is SERVER_EXITED with its stderr at every k, and a listing once nothing is cut ($script, hint $eraHint)', async (c) => {
    const ends = await boundaries(c);
    const total = ends.at(-1)!;
    const ks = offsets(ends, 53);
    expect(ks.length).toBeGreaterThan(20);
    const outcomes: string[] = [];
    for (const k of ks) {
      // Half the deaths are exits, half SIGKILLs.
      const env = { FIXTURE_DIE_AFTER_BYTES: String(k), FIXTURE_DIE_BY: k % 2 === 0 ? 'exit' : 'kill' };
      const outcome = await run(c, env).then(
        (listing) => ({ ok: true as const, listing }),
        (error: unknown) => ({ ok: false as const, error }),
      );
      if (k === total) {
        expect(outcome.ok, `k=${k}`).toBe(true);
        continue;
      }
      if (outcome.ok) throw new Error(`k=${k} of ${total}: a snapshot from a server cut short`);
      const error = outcome.error;
      expect(error, `k=${k}: ${String(error)}`).toBeInstanceOf(McpmError);
      const { code, message, detail } = error as McpmError;
      expect(code, `k=${k}: ${message}`).toBe('SERVER_EXITED');
      expect(message).toMatch(/^server "cut" (exited with code 1|was killed by SIGKILL|closed its stdout) during (server\/discover|initialize|notifications\/initialized|tools\/list|prompts\/list|resources\/list|resources\/templates\/list)$/);
      expect(detail, `k=${k}`).toContain('die-after: cut stdout at ');
      outcomes.push(message.replace(/^.* during /, ''));
    }
    // The cuts reached every step of the conversation (the probe's own death is silent: it respawns).
    const steps = ['initialize', 'tools/list', 'prompts/list', 'resources/list', 'resources/templates/list'];
    for (const step of c.era === 'stateless' ? ['server/discover', ...steps] : steps) expect(outcomes, step).toContain(step);
  }, 180_000);
});
