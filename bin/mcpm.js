#!/usr/bin/env node
// Host entries that `mcpm guard` wrote before the bin became bin/mcpm.cjs launch this path, with
// an absolute path to it; they keep working through here until `mcpm guard` re-points them.
// An ES module (package.json's "type"), so it hands over to the CommonJS bin with require.
import { createRequire } from 'node:module';

createRequire(import.meta.url)('./mcpm.cjs');
