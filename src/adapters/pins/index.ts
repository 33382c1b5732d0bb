/**
 * The package behind a server's launch line, as the lock records it (PackagePin): npm asks the
 * registry for the exact version and its integrity; PyPI and Docker record what the line says.
 * Imported lazily by the commands that resolve pins, so `verify --offline` never loads execa.
 */
import { forEachConcurrently } from '../../core/pool.js';
import type { ServerConfig } from '../../core/launch/parse.js';
import type { PackagePin } from '../../core/lockfile.js';
import { packageSpecOf, unpinnedReason, type PackageSpec } from '../../core/package-spec.js';
import { pinDocker } from './docker.js';
import { PinResolveError, resolveNpmVersion, type NpmOptions } from './npm.js';
import { pinPypi } from './pypi.js';

export { PinResolveError, npmVersions, resolveNpmVersion, type NpmOptions, type NpmResolved } from './npm.js';

export interface PinResult {
  /** What the lock records; absent for local files, unrecognised launches and failed lookups. */
  pin?: PackagePin;
  /** Something the user should know: the spec floats, the registry could not be asked. Not sanitised. */
  warning?: string;
}

export async function resolvePin(spec: PackageSpec | null, options: NpmOptions): Promise<PinResult> {
  if (spec === null || spec.manager === 'local') return {};
  if (spec.manager === 'pypi') return pinPypi(spec);
  if (spec.manager === 'docker') return pinDocker(spec);
  const floating = unpinnedReason(spec);
  if (spec.unresolvable !== undefined) return { warning: floating! };
  try {
    const resolved = await resolveNpmVersion(spec.name, spec.spec, options);
    const pin: PackagePin = { manager: 'npm', name: spec.name, version: resolved.version };
    if (resolved.integrity !== undefined) pin.integrity = resolved.integrity;
    if (floating === undefined) return { pin };
    return { pin, warning: `${floating}; locked ${spec.name}@${resolved.version} ("mcpm pin" writes it into the config)` };
  } catch (error) {
    if (!(error instanceof PinResolveError)) throw error;
    return { warning: `package not pinned: ${error.message}` };
  }
}

/** resolvePin for several servers, `concurrency` at a time; keyed by server name. */
export async function resolvePins(
  servers: readonly ServerConfig[],
  options: NpmOptions & { concurrency: number },
): Promise<Map<string, PinResult>> {
  const results = new Map<string, PinResult>();
  await forEachConcurrently(servers, options.concurrency, async (server) => {
    results.set(server.name, await resolvePin(packageSpecOf(server.launch), { ...options, serverEnv: server.env }));
  });
  // A Ctrl-C cancelled the lookups (each then reads as failed): the caller must not write anything.
  if (options.signal?.aborted) throw options.signal.reason;
  return results;
}

/** What the registry gives now for a locked npm pin. */
export interface PinCheck {
  locked: PackagePin;
  resolved?: { version: string; integrity?: string };
  /** The version or the integrity differs from the lock: the code behind the server changed. */
  changed: boolean;
  /** The registry could not be asked; nothing was compared. Not sanitised. */
  error?: string;
}

/**
 * Re-resolves the npm pins of locked servers, with the spec the config writes: a floating spec
 * (`npx -y pkg`, `pkg@^1`) may now resolve to a newer version, and any spec, exact ones too, may
 * come back with another integrity when a registry or a mirror serves other bytes under a version
 * (so the lock pins both the version and its integrity). Servers whose launch is not an npm registry package, or
 * whose lock entry has no npm pin, are left out.
 */
export async function checkLockedPins(
  servers: ReadonlyArray<{ name: string; config?: ServerConfig; locked?: { package?: PackagePin } }>,
  options: NpmOptions & { concurrency: number },
): Promise<Map<string, PinCheck>> {
  const todo = servers.flatMap((s) => {
    const locked = s.locked?.package;
    const spec = s.config ? packageSpecOf(s.config.launch) : null;
    if (!locked || locked.manager !== 'npm' || !spec || spec.manager !== 'npm' || spec.unresolvable !== undefined || spec.name !== locked.name) return [];
    return [{ name: s.name, locked, spec, config: s.config }];
  });
  const checks = new Map<string, PinCheck>();
  await forEachConcurrently(todo, options.concurrency, async ({ name, locked, spec, config }) => {
    try {
      const resolved = await resolveNpmVersion(spec.name, spec.spec, { ...options, ...(config?.env === undefined ? {} : { serverEnv: config.env }) });
      const changed = resolved.version !== locked.version || (resolved.integrity ?? null) !== (locked.integrity ?? null);
      checks.set(name, { locked, resolved, changed });
    } catch (error) {
      if (!(error instanceof PinResolveError)) throw error;
      checks.set(name, { locked, changed: false, error: error.message });
    }
  });
  if (options.signal?.aborted) throw options.signal.reason;
  return checks;
}
