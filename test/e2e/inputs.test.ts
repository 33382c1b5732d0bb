// VS Code's `${input:ID}` variables: asked for on a terminal (without echo for "password": true),
// or taken from MCPM_INPUT_<ID>; the value reaches the server and nothing else (lock, output).
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { spawnPty } from '../helpers/pty.js';
import { TestHost } from '../helpers/test-host.js';
import { SERVERS, defs, mcpm, tempProject, tool } from './helpers.js';

/** A VS Code project whose server reads its definitions from the file an input names. */
function project(): { dir: string; defsFile: string } {
  const dir = tempProject();
  const defsFile = join(dir, 'secret-defs-path.json');
  writeFileSync(defsFile, JSON.stringify(defs([tool('from_input', 'Served from the file the input named.')])));
  mkdirSync(join(dir, '.vscode'));
  writeFileSync(
    join(dir, '.vscode', 'mcp.json'),
    `{
  // JSONC, as VS Code writes it
  "inputs": [
    { "type": "promptString", "id": "defs-file", "description": "Definitions file", "password": true },
    { "type": "promptString", "id": "region", "description": "Region" }
  ],
  "servers": {
    "notes": { "command": "node", "args": ["${join(SERVERS, 'static.mjs')}", "--region=\${input:region}"], "env": { "FIXTURE_DEFS": "\${input:defs-file}" } }
  }
}
`,
  );
  return { dir, defsFile };
}

describe('VS Code inputs', () => {
  it('come from MCPM_INPUT_<ID> without a terminal, in install and in run; the lock keeps the reference, not the value', async () => {
    const { dir, defsFile } = project();
    const missing = await mcpm(['install', '-C', dir]);
    // A value nobody gave is the config's problem, found before any server starts (exit 2).
    expect(missing.status, missing.stderr).toBe(2);
    expect(missing.stderr).toContain('.vscode/mcp.json: server "notes": "args"[1]: "${input:region}" is a VS Code input, and no value was given for it');
    expect(missing.stderr).toContain('set MCPM_INPUT_REGION, or run mcpm in a terminal to be asked for it');

    const env = { MCPM_INPUT_DEFS_FILE: defsFile, MCPM_INPUT_REGION: 'eu-west' };
    const installed = await mcpm(['install', '-C', dir], { env });
    expect(installed.status, installed.stderr).toBe(0);
    const lock = readFileSync(join(dir, 'mcp.lock'), 'utf8');
    expect(JSON.parse(lock).servers.notes.launch.args).toEqual([join(SERVERS, 'static.mjs'), '--region=${input:region}']);
    expect(Object.keys(JSON.parse(lock).servers.notes.snapshot.tools)).toEqual(['from_input']);
    for (const text of [lock, installed.stdout, installed.stderr]) {
      expect(text).not.toContain('secret-defs-path');
      expect(text).not.toContain('eu-west');
    }

    // A host gives mcpm run no terminal: the variables are the way.
    const host = TestHost.mcpm(['run', '-C', dir, 'notes'], { env: { ...env, PATH: process.env.PATH } });
    await host.initialize();
    expect(await host.request('tools/list')).toMatchObject({ result: { tools: [{ name: 'from_input' }] } });
    expect((await host.close()).code).toBe(0);
  });

  it('are asked for on a terminal, a password one without echo', async () => {
    const { dir, defsFile } = project();
    const screen = spawnPty(['install', '-C', dir]);
    const region = await screen.waitPast('notes: Region (region): ');
    screen.write('eu-west\r');
    await screen.waitPast('notes: Definitions file (defs-file): ', region);
    screen.write(`${defsFile}\r`);
    expect(await screen.exited).toBe(0);
    const text = screen.text();
    // What was typed for the password input never reached the screen; the other one was echoed.
    expect(text).not.toContain('secret-defs-path');
    expect(text.slice(region)).toContain('eu-west');
    expect(text).toContain('locked');
    expect(readFileSync(join(dir, 'mcp.lock'), 'utf8')).not.toContain('secret-defs-path');
  });
});
