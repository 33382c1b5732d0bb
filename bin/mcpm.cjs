#!/usr/bin/env node
'use strict';
// CommonJS (.cjs, whatever package.json's "type"): `run`, which hosts start at every session start,
// and `verify --offline`, which pre-commit hooks run, each require one bundled file and never start
// the ES module loader (rolldown.config.mjs); every other command loads dist/cli.js. The commands
// print their own errors and pick their exit status. What can still fail here is mcpm itself (a
// file missing from the install, a module that throws while loading, a bug past the command's own
// handler): that is exit 70, never Node's default 1, which would read as "drift" to a script or CI
// job checking `mcpm verify`.
function internalError(error) {
  const detail = error instanceof Error ? (error.stack ?? error.message) : String(error);
  process.stderr.write(
    `mcpm: internal error (mcpm could not load or run; reinstalling it may help)\n${detail}\n` +
      'Please report it with the command you ran: https://github.com/mcpm-dev/mcpm/issues\n',
  );
  // `--json`: the one object a script reads, as for every other error (docs/json-output.md).
  if (process.argv.slice(2).includes('--json')) {
    const message = `internal error (mcpm could not load or run): ${error instanceof Error ? error.message : String(error)}`;
    const hint = 'reinstall mcpm; if that does not help, please report it: https://github.com/mcpm-dev/mcpm/issues';
    process.stdout.write(`${JSON.stringify({ error: { code: 'INTERNAL', message, hint }, exitStatus: 70 }, null, 2)}\n`);
  }
  process.exitCode = 70;
}
const exit = (status) => void (process.exitCode = status);
try {
  const [command, ...rest] = process.argv.slice(2);
  const bundle = command === 'run' ? 'run-bundle.cjs' : command === 'verify' && rest.includes('--offline') ? 'verify-bundle.cjs' : undefined;
  // Compiled code of the bundles, kept in mcpm's cache directory (src/code-cache.ts). Only a way to
  // start sooner: without it (a cache that cannot be set up), the bundles load as they always did.
  if (bundle !== undefined) {
    try {
      require('../dist/code-cache.cjs').useCodeCache(require('node:path').join(__dirname, '..', 'dist'), process.env);
    } catch {
      // Started without the cache.
    }
  }
  // The bundles hand unusual command lines to the full CLI, which they load through this.
  const fullCli = () => import('../dist/cli.js');
  const main = bundle !== undefined ? require(`../dist/${bundle}`).main(process.argv, fullCli) : fullCli().then((cli) => cli.main(process.argv));
  main.then(exit, internalError);
} catch (error) {
  internalError(error);
}
