/**
 * Where guard keeps a config's originals. Its own module, with no host formats imported, so reading
 * a project's config can look for a sidecar without loading them (start-up of verify --offline).
 *
 * A sidecar holds env values and tokens, so it lives in mcpm's private state directory, never next
 * to the config: a project's config is often in a repository, where a file beside it is one
 * `git add .` away from being shared. `$XDG_STATE_HOME/mcpm/guard` (default
 * `~/.local/state/mcpm/guard`; on Windows `%LOCALAPPDATA%\mcpm\guard`), one file per config, named
 * after the config and a hash of its absolute path. Sidecars that older versions of mcpm wrote
 * beside the config (`<config>.mcpm-guard.json`) are still read, and moved on the next guard.
 */
import { statSync } from 'node:fs';
import path from 'node:path';
import { nameDigest } from '../../core/canonical.js';
import { readTextFile } from '../files.js';
import { mcpmStateDir } from '../state-dir.js';

/** The suffix of the sidecar older versions wrote beside the config. */
export const SIDECAR_SUFFIX = '.mcpm-guard.json';

type Env = Readonly<Record<string, string | undefined>>;

/** The sidecar an older mcpm wrote beside `config`. */
export function legacySidecarPath(config: string): string {
  return config + SIDECAR_SUFFIX;
}

/** The directory of sidecars, or undefined when neither the state directory nor HOME is set. */
export function sidecarDir(env: Env, platform: NodeJS.Platform = process.platform): string | undefined {
  const state = mcpmStateDir(env, platform);
  return state === undefined ? undefined : (platform === 'win32' ? path.win32 : path.posix).join(state, 'guard');
}

/** The sidecar of `config` (absolute) in the state directory, or undefined when there is none. */
export function sidecarPath(config: string, env: Env, platform: NodeJS.Platform = process.platform): string | undefined {
  const dir = sidecarDir(env, platform);
  return dir === undefined ? undefined : sidecarIn(dir, config, platform);
}

/** The sidecar of `config` in the directory of sidecars `dir`. */
function sidecarIn(dir: string, config: string, platform: NodeJS.Platform): string {
  const digest = nameDigest(config, 32);
  const name = path.basename(config).replace(/[^A-Za-z0-9._-]/g, '_');
  return (platform === 'win32' ? path.win32 : path.posix).join(dir, `${name}-${digest}.json`);
}

/** A sidecar as found: its file, a name for messages, its text, and whether it is one beside the config. */
export interface FoundSidecar {
  file: string;
  shown: string;
  text: string;
  legacy: boolean;
}

/**
 * The sidecar of `config`: the one in the state directory, else one an older mcpm left beside the
 * config, else null. `shown` names the config in messages.
 */
export async function findSidecar(config: string, shown: string, env: Env): Promise<FoundSidecar | null> {
  // Without the state directory (nothing was ever guarded here) there is no path to hash.
  const dir = sidecarDir(env);
  const current = dir !== undefined && mayExist(dir) ? sidecarIn(dir, config, process.platform) : undefined;
  if (current !== undefined) {
    const label = shownSidecar(current, env);
    const text = await readTextFile(current, label);
    if (text !== null) return { file: current, shown: label, text, legacy: false };
  }
  const legacy = legacySidecarPath(config);
  const text = await readTextFile(legacy, shown + SIDECAR_SUFFIX);
  return text === null ? null : { file: legacy, shown: shown + SIDECAR_SUFFIX, text, legacy: true };
}

/** False only for a directory that is not there: one that cannot be looked at is read, and the read says why. */
function mayExist(dir: string): boolean {
  try {
    return statSync(dir, { throwIfNoEntry: false }) !== undefined;
  } catch {
    return true;
  }
}

/** A sidecar's path for messages: `~/…` under HOME. */
export function shownSidecar(file: string, env: Env): string {
  const home = env['HOME'];
  if (!home) return file;
  const relative = path.relative(home, file);
  return relative === '' || relative.startsWith('..') || path.isAbsolute(relative) ? file : `~${path.sep}${relative}`;
}
