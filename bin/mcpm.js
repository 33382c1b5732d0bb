#!/usr/bin/env node
'use strict';
// CommonJS (bin/package.json): `run`, which hosts start at every session start, requires one bundled
// file and never starts the ES module loader (rolldown.config.mjs); everything else is dist/cli.js.
const exit = (status) => void (process.exitCode = status);
if (process.argv[2] === 'run') require('../dist/run-bundle.cjs').main(process.argv).then(exit);
else import('../dist/cli.js').then((cli) => cli.main(process.argv)).then(exit);
