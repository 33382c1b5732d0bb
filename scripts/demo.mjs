#!/usr/bin/env node
// `npm run demo`: locks the quickstart servers, verifies them, then shows a rug pull caught.
// Needs nothing beyond `npm ci`: every server here is a devDependency or a file in examples/.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const mcpm = join(root, 'bin', 'mcpm.cjs');
const work = mkdtempSync(join(tmpdir(), 'mcpm-demo-'));
const marker = join(root, 'examples', 'rug-pull', '.launched-before');
let failed = false;

/** Bold on a terminal, as mcpm's own output is: plain when piped or with NO_COLOR. */
function bold(text) {
  return process.stdout.isTTY && !process.env.NO_COLOR ? `\x1b[1m${text}\x1b[22m` : text;
}

function run(title, args, expected) {
  process.stdout.write(`\n${bold(`$ mcpm ${args.join(' ')}`)}   # ${title}\n`);
  const result = spawnSync(process.execPath, [mcpm, ...args], { stdio: 'inherit', env: process.env });
  const ok = result.status === expected;
  process.stdout.write(`${ok ? '✔' : '✘'} exit ${result.status} (expected ${expected})\n`);
  if (!ok) failed = true;
  return result.status;
}

try {
  const quick = ['-C', join(root, 'examples', 'quickstart'), '--lockfile', join(work, 'quickstart.lock')];
  run('lock the four reference servers', ['install', ...quick], 0);
  run('reconnect and compare: nothing changed', ['verify', ...quick], 0);
  run('the pre-commit check: no server is started', ['verify', '--offline', ...quick], 0);

  rmSync(marker, { force: true });
  const rug = ['-C', join(root, 'examples', 'rug-pull'), '--lockfile', join(work, 'rug-pull.lock')];
  run('lock the calculator on its first, honest launch', ['install', ...rug], 0);
  const before = readFileSync(join(work, 'rug-pull.lock'));
  run('second launch: the server has turned malicious', ['verify', ...rug], 1);
  run('what changed, with findings', ['diff', ...rug], 1);
  run('install never accepts drift', ['install', ...rug], 1);
  const after = readFileSync(join(work, 'rug-pull.lock'));
  const same = before.equals(after);
  process.stdout.write(`\n${same ? '✔' : '✘'} the lock is byte-identical after the rug pull (${after.length} bytes)\n`);
  if (!same) failed = true;
} finally {
  rmSync(marker, { force: true });
  rmSync(work, { recursive: true, force: true });
}
process.stdout.write(failed ? '\ndemo: something did not behave as expected\n' : '\ndemo: rug pull caught; lock untouched\n');
process.exitCode = failed ? 1 : 0;
