// `mcpm run` is started by hosts at every session start. Loaded as ES modules, its ~25 modules
// cost more than the code in them (the ESM loader resolves, reads, compiles and links each one;
// about 20 ms on Node 20). So tsc's output is bundled, as CommonJS, for that one entry
// (bin/mcpm.cjs, CommonJS too, requires it for `run`): what runs before the server is spawned in
// one file, the guard's session and relay (loaded while the server starts) in another, the rarely
// used parts (remote servers and their logins, audit log, host formats) in chunks of their own. Every other command
// loads dist/ module by module. The bundle's files sit at the top of dist/, as src/self.ts requires, and
// the full CLI stays outside it (the fallback for unusual arguments, src/run-main.ts).
// `verify --offline`, which pre-commit hooks run at every commit, has a bundle of its own made the
// same way (src/verify-main.ts); its chunks (what online verify and other formats load) are apart.
import { randomUUID } from 'node:crypto';
import { defineConfig } from 'rolldown';
// tsc has written dist/ by now (npm run build): the form the code cache reads is defined once, there.
import { FUNCTION_CALL, FUNCTION_HEAD } from './dist/bundle-wrapper.js';

// Each build's own name, first in every bundle file: the code cache (src/code-cache.ts) keeps a
// file's compiled code under it, so code compiled from one build never runs for another.
const BUILD = randomUUID();

// The SDK (OAuth renewal) and the keychain binding (native) load from node_modules, and only for a remote server;
// OpenTelemetry's, only with --otlp.
const external = [/\/dist\/cli\.js$/, /^@modelcontextprotocol\/sdk\//, /^@napi-rs\/keyring/, /^@opentelemetry\//];

/**
 * A CommonJS bundle of one entry of dist/, its files at the top of dist/ and named after it. Without
 * comments and in ASCII (dist/'s modules keep theirs): Node reads a file with any other character
 * as two bytes a character, and V8 compiles what it is given, comments too. On a 2-CPU VM whose
 * fresh pages cost 10 µs each, reading and compiling run's start chunk went from 680 fresh pages
 * and about 15 ms to 300 and 8 ms. Its code is wrapped in a function called at once
 * (src/bundle-wrapper.ts), which the code cache compiles without copying the file's text.
 */
const bundle = (name, entry, codeSplitting) =>
  defineConfig({
    input: { [name]: entry },
    platform: 'node',
    external,
    logLevel: 'warn',
    // The build's name in the code too (src/self.ts selfBuild): what a cache of checked results is kept under.
    transform: { define: { MCPM_BUILD: JSON.stringify(BUILD) } },
    preserveEntrySignatures: 'allow-extension',
    output: { dir: 'dist', format: 'cjs', postBanner: `/*mcpm-build ${BUILD}*/${FUNCTION_HEAD}`, postFooter: FUNCTION_CALL, comments: false, charset: 'ascii', entryFileNames: '[name].cjs', chunkFileNames: `${name}-[name].cjs`, codeSplitting },
  });

// Modules of the run bundle, by where they load (paths under dist/, without `.js`):
// - with the guard's relay, once the server is spawned;
const RELAY = String.raw`guard/(relay|wire-check|session|coalesced-writes|line-check|line-prefix|large-line|control-bytes)|adapters/line-framer|core/(json-offsets|escape-regexp|ascii-text)`;
// - the guard's telemetry, on its own (named, or it would be "telemetry2" beside the OpenTelemetry
//   adapter's chunk);
const GUARD_TELEMETRY = 'app/telemetry';
// - and, as prefixes, what only some sessions need, in chunks of their own (the audit log, remote
//   servers and logins, telemetry, the allow-list's sources, an env file, a headers helper, the
//   secrets a log or export must not hold, host formats) and the string rules (what the guard's
//   accept-rule check needs), which load with the relay.
const ELSEWHERE = String.raw`guard/(audit-log|http-upstream|sse-upstream)|adapters/(sse|oauth|telemetry|allowlist-source|env-file|headers-helper)|core/(reflected-secrets|launch/env-file-text)|adapters/hosts/(?!sidecar-path)|core/findings/`;
const modules = (names) => new RegExp(String.raw`/dist/(${names})\.js$`);

export default [
  bundle('run-bundle', 'dist/run-main.js', {
    groups: [
      // Only what runs before the spawn: every module here is read, and its top level run, before
      // the host's server starts.
      { name: 'start', priority: 2, test: new RegExp(String.raw`/dist/(?!(${RELAY}|${GUARD_TELEMETRY})\.js$|${ELSEWHERE})`) },
      { name: 'relay', priority: 1, test: modules(RELAY) },
      { name: 'guard-telemetry', priority: 1, test: modules(GUARD_TELEMETRY) },
    ],
  }),
  bundle('verify-bundle', 'dist/verify-main.js', {
    // What every offline check runs, in the entry's own file: the bundler would otherwise split out
    // the parts that the chunks for other formats and online verify share with it (five more files
    // to read at every commit).
    groups: [{ name: 'verify', priority: 1, test: /\/dist\/(verify-main|core\/launch\/(parse|expand)|adapters\/files|core\/shell-word|core\/changes)\.js$/ }],
  }),
  // What bin/mcpm.cjs loads first for both: the cache of the bundles' compiled code (src/code-cache.ts).
  bundle('code-cache', 'dist/code-cache.js'),
];
