/**
 * The organisation's allow-list as commands use it: loaded from `--allowlist` or MCPM_ALLOWLIST,
 * and applied to statuses, so a configured server it refuses is `denied` whatever else is true of
 * it (never contacted, never locked, never started).
 */
import { join } from 'node:path';
import { judgeLaunch, judgeLocked, parseAllowlist, type Allowlist } from '../core/allowlist.js';
import { sanitizeLine } from '../core/sanitize.js';
import type { ServerStatus } from '../core/status.js';
import type { Deps } from '../deps.js';

export interface AllowlistOptions {
  allowlist?: string;
  timeout: number;
}

/**
 * `mcpm run` starts at every session of every host: a git source fetched in the last 10 minutes is
 * taken from the cache rather than fetched again. verify and install always ask the repository.
 */
export const RUN_ALLOWLIST_MAX_AGE_MS = 10 * 60 * 1000;

export interface LoadedAllowlist extends Allowlist {
  /** The allowed_signers file the list names, resolved; undefined when it names none. */
  allowedSignersFile?: string;
}

/** The list named by `--allowlist` or MCPM_ALLOWLIST; undefined when neither is set. */
export async function loadAllowlist(options: AllowlistOptions, deps: Deps, cache: { maxAgeMs?: number } = {}): Promise<LoadedAllowlist | undefined> {
  const source = options.allowlist ?? (deps.env['MCPM_ALLOWLIST'] || undefined);
  if (source === undefined) return undefined;
  const { readAllowlistSource } = await import('../adapters/allowlist-source.js');
  const read = await readAllowlistSource(source, { cwd: deps.cwd, env: deps.env, platform: process.platform, timeoutMs: options.timeout, now: deps.now().getTime(), ...cache });
  if (read.offlineNote) deps.stderr.write(`${sanitizeLine(`mcpm: ${read.offlineNote}`)}\n`);
  const list = parseAllowlist(read.text, read.label);
  return { ...list, ...(list.allowedSigners === undefined ? {} : { allowedSignersFile: join(read.dir, list.allowedSigners) }) };
}

/** Every configured server the list refuses becomes `denied`; a locked one is judged with its lock entry's integrity. */
export function applyAllowlist(statuses: readonly ServerStatus[], list: Allowlist | undefined): ServerStatus[] {
  if (list === undefined) return [...statuses];
  return statuses.map((s) => {
    if (!s.config) return s;
    const judgement = s.locked ? judgeLocked(list, s.config.launch, s.locked.integrity) : judgeLaunch(list, s.config.launch);
    return judgement.allowed ? s : { ...s, status: 'denied', denial: judgement.reason };
  });
}
