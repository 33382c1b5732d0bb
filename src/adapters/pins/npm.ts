/**
 * npm package pins: `npm view <name>@<spec> version dist.integrity dist-tags.latest --json`, run
 * with the user's npm (execa 9, imported lazily) in the project directory, so `.npmrc` files,
 * scoped registries and auth apply as they do for the `npx` that launches the server. That npx
 * gets only the variables a server inherits (adapters/process.ts INHERITED_ENV_VARS) and the
 * server's own `env`: npm's settings in mcpm's environment (`npm_config_registry`,
 * `NPM_CONFIG_USERCONFIG`, as CI set-ups write them) are left out here too, and those of the
 * server's `env` put in, or the pin would be checked against a registry the server is never
 * fetched from. Nothing is installed and no script runs.
 */
import type { Result } from 'execa';
import { isExactNpmVersion } from '../../core/package-spec.js';

export interface NpmOptions {
  /** Where npm runs: the project directory, whose `.npmrc` applies. */
  cwd: string;
  /** mcpm's environment (HOME for ~/.npmrc, PATH to find npm, proxies); its npm settings are left out (npmEnv). */
  env: Readonly<Record<string, string | undefined>>;
  /** The server's own `env`, as the config writes it: its npm settings apply, as they do for its npx. */
  serverEnv?: Readonly<Record<string, string>>;
  timeoutMs: number;
  signal?: AbortSignal;
}

export interface NpmResolved {
  version: string;
  /** `dist.integrity`, an SRI string (`sha512-…`); absent for packages published before npm 5. */
  integrity?: string;
}

/** Why a package could not be resolved; `kind` 'not-found' is the registry's 404/ETARGET. */
export class PinResolveError extends Error {
  override readonly name = 'PinResolveError';
  constructor(
    message: string,
    readonly kind: 'not-found' | 'failed',
  ) {
    super(message);
  }
}

/** Variables npm reads its settings from (names in any case), and the global prefix it reads. */
const NPM_SETTING = /^(npm_config_|prefix$)/i;

/**
 * The environment for npm: mcpm's without npm's settings, with those the server's `env` sets (a
 * value with a `${VAR}` reference is left out: the server's npx gets it resolved, which this check
 * cannot vouch for).
 */
export function npmEnv(mcpmEnv: Readonly<Record<string, string | undefined>>, serverEnv: Readonly<Record<string, string>> = {}): Record<string, string> {
  const env: Record<string, string> = Object.create(null) as Record<string, string>;
  for (const [key, value] of Object.entries(mcpmEnv)) if (value !== undefined && !NPM_SETTING.test(key)) env[key] = value;
  for (const [key, value] of Object.entries(serverEnv)) if (NPM_SETTING.test(key) && !value.includes('$')) env[key] = value;
  return env;
}

const SRI = /^sha(?:1|256|384|512)-[A-Za-z0-9+/]+={0,2}$/;
/** npm view output is a few KiB per version; a registry sending more is not one to trust. */
const MAX_OUTPUT = 16 * 1024 * 1024;

/**
 * The version `npx <name>@<spec>` would install now, with its integrity. A range matches several
 * versions; like npm-pick-manifest, the `latest` dist-tag wins when it satisfies the range, else
 * the highest match (npm's preference for non-deprecated versions is not reproduced).
 */
export async function resolveNpmVersion(name: string, spec: string | undefined, options: NpmOptions): Promise<NpmResolved> {
  const target = `${name}@${spec ?? 'latest'}`;
  const output = await npmView([target, 'version', 'dist.integrity', 'dist-tags.latest'], target, options);
  const rows = (Array.isArray(output) ? output : [output]).filter(isRecord);
  if (rows.length === 0) throw new PinResolveError(`npm view ${target}: no version matches`, 'not-found');
  const candidates = rows.map((row) => ({
    version: checkedVersion(row.version, target),
    integrity: row['dist.integrity'],
    latest: row['dist-tags.latest'],
  }));
  const { default: semver } = await import('semver');
  const latest = candidates.find((c) => c.version === c.latest);
  const chosen = latest ?? [...candidates].sort((a, b) => semver.rcompare(a.version, b.version))[0]!;
  const resolved: NpmResolved = { version: chosen.version };
  if (chosen.integrity !== undefined) {
    if (typeof chosen.integrity !== 'string' || !SRI.test(chosen.integrity)) {
      throw new PinResolveError(`npm view ${target}: the registry sent an invalid dist.integrity`, 'failed');
    }
    resolved.integrity = chosen.integrity;
  }
  return resolved;
}

/** Every published version of `name` (registry order) and its `latest` dist-tag. */
export async function npmVersions(name: string, options: NpmOptions): Promise<{ versions: string[]; latest?: string }> {
  const output = await npmView([name, 'versions', 'dist-tags.latest'], name, options);
  if (!isRecord(output)) throw new PinResolveError(`npm view ${name}: unexpected output`, 'failed');
  // A package with one version prints it as a string, not a one-element array.
  const raw = typeof output.versions === 'string' ? [output.versions] : output.versions;
  if (!Array.isArray(raw)) throw new PinResolveError(`npm view ${name}: unexpected output`, 'failed');
  const versions = raw.filter((v): v is string => typeof v === 'string' && isExactNpmVersion(v) && !/^[=v]/.test(v));
  const latest = output['dist-tags.latest'];
  return typeof latest === 'string' && versions.includes(latest) ? { versions, latest } : { versions };
}

async function npmView(args: string[], target: string, options: NpmOptions): Promise<unknown> {
  const { execa } = await import('execa');
  const env = npmEnv(options.env, options.serverEnv);
  // npm's own version check would be one more request, to a registry the user did not ask about.
  env.npm_config_update_notifier = 'false';
  let result: Result;
  try {
    result = await execa('npm', ['view', ...args, '--json'], {
      cwd: options.cwd,
      env,
      extendEnv: false,
      stdin: 'ignore',
      reject: false,
      timeout: options.timeoutMs,
      maxBuffer: MAX_OUTPUT,
      ...(options.signal ? { cancelSignal: options.signal } : {}),
    });
  } catch (error) {
    throw new PinResolveError(`npm view ${target}: ${(error as Error).message}`, 'failed');
  }
  if (result.timedOut) throw new PinResolveError(`npm view ${target} did not answer within ${options.timeoutMs} ms`, 'failed');
  if (result.failed && result.exitCode === undefined) {
    // Not started at all: npm is missing from PATH, or the directory is gone.
    throw new PinResolveError(`npm view ${target}: npm could not be started (${result.shortMessage ?? result.message})`, 'failed');
  }
  const stdout = String(result.stdout ?? '').trim();
  let parsed: unknown;
  try {
    parsed = stdout === '' ? undefined : JSON.parse(stdout);
  } catch {
    throw new PinResolveError(`npm view ${target}: npm printed something that is not JSON`, 'failed');
  }
  if (result.exitCode !== 0 || (isRecord(parsed) && isRecord(parsed.error))) {
    const error = isRecord(parsed) && isRecord(parsed.error) ? parsed.error : {};
    const code = typeof error.code === 'string' ? error.code : `exit ${result.exitCode}`;
    const summary = typeof error.summary === 'string' ? error.summary : lastLine(String(result.stderr ?? ''));
    const kind = code === 'E404' || code === 'ETARGET' ? 'not-found' : 'failed';
    throw new PinResolveError(`npm view ${target}: ${code}${summary ? ` ${summary}` : ''}`, kind);
  }
  if (parsed === undefined) throw new PinResolveError(`npm view ${target}: no version matches`, 'not-found');
  return parsed;
}

function checkedVersion(value: unknown, target: string): string {
  // A hostile registry could send anything here, and it ends up in the lock and on the terminal.
  if (typeof value !== 'string' || !isExactNpmVersion(value) || /^[=v]/.test(value)) {
    throw new PinResolveError(`npm view ${target}: the registry sent an invalid version`, 'failed');
  }
  return value;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function lastLine(text: string): string {
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== '');
  return (lines.at(-1) ?? '').slice(0, 300);
}
