/**
 * Where this mcpm is installed. This file must stay at the top of `src/` (so of `dist/`): the run
 * bundle (rolldown.config.mjs) writes its files there too, and a path relative to import.meta.url
 * has to mean the same in both.
 */
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

/** `bin/mcpm.cjs` of the running mcpm: what guarded host entries and git hooks launch. */
export function selfBin(): string {
  return fileURLToPath(new URL('../bin/mcpm.cjs', import.meta.url));
}

/** This mcpm's version, from its package.json (telemetry names the service with it). */
export function selfVersion(): string {
  return (createRequire(import.meta.url)('../package.json') as { version: string }).version;
}

/** Set by the bundler (rolldown.config.mjs) to the build's name; not defined outside the bundles. */
declare const MCPM_BUILD: string | undefined;

/** The name of the build this code was bundled in (each build has one of its own), or undefined outside the bundles (dist/'s modules, tests). */
export function selfBuild(): string | undefined {
  return typeof MCPM_BUILD === 'string' ? MCPM_BUILD : undefined;
}
