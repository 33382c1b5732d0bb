import { describe, expect, it } from 'vitest';
import { resolveInputs } from '../../../src/app/inputs.js';
import { parseConfig } from '../../../src/core/launch/parse.js';

const [server] = parseConfig(
  JSON.stringify({
    inputs: [
      { type: 'promptString', id: 'key', description: 'API key', password: true },
      { type: 'promptString', id: 'region' },
    ],
    servers: { notes: { command: 'n', args: ['--region=${input:region}'], env: { KEY: '${input:key}', AGAIN: '${input:key}' } } },
  }),
  '.vscode/mcp.json',
  'vscode',
);

function deps(env: Record<string, string>, tty: boolean) {
  const asked: [string, boolean][] = [];
  return {
    asked,
    deps: {
      env,
      stdinIsTTY: tty,
      stderr: { write: () => {}, isTTY: tty },
      ask: async (question: string, options: { hidden: boolean }) => {
        asked.push([question, options.hidden]);
        return `typed for ${question}`;
      },
    },
  };
}

describe('resolveInputs', () => {
  it('takes MCPM_INPUT_<ID> first, and asks (once per input, hidden for a password) on a terminal', async () => {
    const { deps: d, asked } = deps({ MCPM_INPUT_REGION: 'eu' }, true);
    const values = await resolveInputs([server!], d);
    expect([...values]).toEqual([
      ['region', 'eu'],
      ['key', 'typed for notes: API key (key): '],
    ]);
    expect(asked).toEqual([['notes: API key (key): ', true]]);
  });

  it('asks nobody without a terminal: what has no variable stays unresolved', async () => {
    const { deps: d, asked } = deps({ MCPM_INPUT_KEY: 'k' }, false);
    expect([...(await resolveInputs([server!], d))]).toEqual([['key', 'k']]);
    expect(asked).toEqual([]);
  });
});
