/**
 * How a stdio server is launched, read from its command line: which package manager fetches its
 * code, which package, whether the version is exact, and where in `args` the reference sits so
 * `mcpm pin` and `mcpm update` can rewrite that one element. Pure: text in, values out.
 *
 * Definitions can stay identical while the code behind them changes (postmark-mcp
 * 1.0.16 added one Bcc line), so the lock records the package too, and a launch that floats
 * (`npx -y pkg`, `pkg@^1`, `uvx pkg`, `image:latest`) is a warning: it runs whatever the registry
 * serves next time. Recognised:
 *
 * - npm: `npx [-y] [--package=pkg|-p pkg] pkg[@spec] [args]`, `npm exec|x …`, `pnpm dlx …`,
 *   `pnpx …`, `yarn dlx …`, `bunx …`, `bun x …`;
 * - PyPI: `uvx pkg[@ver]`, `uvx --from 'pkg==ver' cmd`, `uv tool run …`, `pipx run pkg[==ver]`,
 *   `pipx run --spec 'pkg==ver' cmd`;
 * - Docker: `docker|podman [container] run [flags] image[:tag][@sha256:digest] [cmd]`;
 * - local: `node ./x.js`, `python server.py`, `deno run ./x.ts`, or a command that is a path.
 *
 * `cmd /c <launch>` (how Windows configs start npx) is unwrapped. Anything else is not recognised
 * (null): mcpm cannot tell what code it runs, and says nothing about pinning it.
 */

export type PackageManager = 'npm' | 'pypi' | 'docker' | 'local';

export type Launcher =
  | 'npx'
  | 'npm exec'
  | 'pnpm dlx'
  | 'yarn dlx'
  | 'bunx'
  | 'uvx'
  | 'pipx run'
  | 'docker run'
  | 'podman run'
  | 'local';

export interface PackageSpec {
  manager: PackageManager;
  launcher: Launcher;
  /**
   * npm: the package name (`@scope/name`); PyPI: the project name as written, without extras;
   * Docker: the image without tag or digest (`ghcr.io/o/r`); local: the path.
   */
  name: string;
  /** As written after the name: npm version, range or dist-tag; PyPI version; Docker tag. */
  spec?: string;
  /** Docker: `sha256:<64 hex>` when the reference carries one. */
  digest?: string;
  /**
   * The code is fixed by what is written: an exact npm or PyPI version, a Docker digest, a local
   * file. (An exact npm version still resolves its dependencies fresh unless the package ships a
   * shrinkwrap; the lock's integrity covers the package's own tarball only.)
   */
  exact: boolean;
  /** Index in `args` of the element holding the reference; -1 when it is the command (a local path). */
  argIndex: number;
  /** Text of args[argIndex] before the reference (`--package=`, `--from=`), kept when it is rewritten. */
  prefix: string;
  /** Why the package cannot be resolved through its registry (a git or tarball URL, a `${VAR}`). */
  unresolvable?: string;
}

/** `x.y.z`, with an optional pre-release and build: what npm calls a version (a leading `v` or `=` is tolerated, as npm does). */
const NPM_EXACT = /^[=v]?(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?(?:\+[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?$/;
/** An npm package name, scoped or not; legacy names may hold capitals. */
const NPM_NAME = /^(?:@[A-Za-z0-9][A-Za-z0-9._~-]*\/)?[A-Za-z0-9._~-][A-Za-z0-9._~-]*$/;
/** A PEP 440 version (public part plus an optional local label), no wildcards. */
const PEP440_EXACT =
  /^(?:\d+!)?\d+(?:\.\d+)*(?:[-_.]?(?:a|b|c|rc|alpha|beta|pre|preview)[-_.]?\d*)?(?:(?:-\d+)|(?:[-_.]?(?:post|rev|r)[-_.]?\d*))?(?:[-_.]?dev[-_.]?\d*)?(?:\+[a-z0-9]+(?:[-_.][a-z0-9]+)*)?$/i;
/** A PyPI project name with optional extras: `mcp-server-fetch`, `mypy[reports,faster-cache]`. */
const PYPI_REQUIREMENT = /^([A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)(\[[^\]]*\])?(.*)$/s;
const DOCKER_DIGEST = /^sha256:[0-9a-f]{64}$/;

export function isExactNpmVersion(spec: string): boolean {
  return NPM_EXACT.test(spec);
}

export function isExactPypiVersion(version: string): boolean {
  return PEP440_EXACT.test(version);
}

/** A launch's package, or null when it is not a stdio launch mcpm recognises. */
export function packageSpecOf(launch: { transport: string; command?: string; args?: readonly string[] }): PackageSpec | null {
  if (launch.transport !== 'stdio' || launch.command === undefined) return null;
  return parseCommandLine(launch.command, launch.args ?? []);
}

export function parseCommandLine(command: string, args: readonly string[]): PackageSpec | null {
  const base = commandName(command);
  // `cmd /c npx -y pkg`: the Windows way to start a .cmd shim from a host that spawns directly.
  if (base === 'cmd' && args.length >= 2 && /^\/c$/i.test(args[0]!)) {
    const inner = parseCommandLine(args[1]!, args.slice(2));
    if (inner === null) return null;
    return { ...inner, argIndex: inner.argIndex + 2 };
  }
  switch (base) {
    case 'npx':
      return parseNpmExec(args, 0, 'npx');
    case 'npm':
      return args[0] === 'exec' || args[0] === 'x' ? parseNpmExec(args, 1, 'npm exec') : null;
    case 'pnpm':
      return args[0] === 'dlx' ? parseNpmExec(args, 1, 'pnpm dlx') : null;
    case 'pnpx':
      return parseNpmExec(args, 0, 'pnpm dlx');
    case 'yarn':
      return args[0] === 'dlx' ? parseNpmExec(args, 1, 'yarn dlx') : null;
    case 'bunx':
      return parseNpmExec(args, 0, 'bunx');
    case 'bun':
      if (args[0] === 'x') return parseNpmExec(args, 1, 'bunx');
      return parseInterpreter(args, args[0] === 'run' ? 1 : 0);
    case 'uvx':
      return parseUvx(args, 0);
    case 'uv':
      return args[0] === 'tool' && args[1] === 'run' ? parseUvx(args, 2) : null;
    case 'pipx':
      return args[0] === 'run' ? parsePipx(args, 1) : null;
    case 'docker':
    case 'podman': {
      const at = args[0] === 'run' ? 1 : args[0] === 'container' && args[1] === 'run' ? 2 : -1;
      return at === -1 ? null : parseDockerRun(args, at, base === 'docker' ? 'docker run' : 'podman run');
    }
    case 'node':
    case 'nodejs':
    case 'python':
    case 'python3':
    case 'tsx':
    case 'ts-node':
      return parseInterpreter(args, 0);
    case 'deno':
      return args[0] === 'run' ? parseInterpreter(args, 1) : null;
  }
  if (looksLikePath(command)) return local(command, -1);
  return null;
}

/** `/usr/local/bin/npx`, `npx.cmd`, `C:\…\NPX.EXE` → `npx`. */
function commandName(command: string): string {
  const last = command.split(/[\\/]/).pop() ?? command;
  return last.replace(/\.(?:cmd|exe|bat|ps1)$/i, '').toLowerCase();
}

function local(path: string, argIndex: number): PackageSpec {
  return { manager: 'local', launcher: 'local', name: path, exact: true, argIndex, prefix: '' };
}

function looksLikePath(text: string): boolean {
  return /[\\/]/.test(text) || /\.(?:[cm]?js|[cm]?ts|py|sh)$/i.test(text);
}

/** `${VAR}`: resolved from the user's environment at launch, so mcpm cannot know the version. */
function hasVariable(text: string): boolean {
  return text.includes('${');
}

/** What hasVariable means for pinning, in the words of a warning. */
const VARIABLE_REASON = 'it contains a ${…} variable';

/** A path (`./dir`, `/abs`, `~/dir`, `file:…`) where a runner also takes a package name: code on this machine. */
const LOCAL_REFERENCE = /^(?:\.{1,2}[\\/]|[\\/]|~[\\/]|file:)/;

type SpecBuilder = (name: string, extra: Partial<PackageSpec>) => PackageSpec;

/** The specs one registry reference can give: not exact unless `extra` says so. */
function specBuilder(manager: 'npm' | 'pypi', launcher: Launcher, argIndex: number, prefix: string): SpecBuilder {
  return (name, extra) => ({ manager, launcher, name, exact: false, argIndex, prefix, ...extra });
}

// ---------------------------------------------------------------------------------------------
// package runners: npx and its kin, uvx, pipx

/** A reference in args: `args[index]` is `prefix` (`--package=`, or '') followed by `reference`. */
interface ArgReference {
  index: number;
  prefix: string;
  reference: string;
}

interface RunnerArgs {
  /** Every value of a package option, in the order given. */
  packages: ArgReference[];
  /** The command the runner starts (the first positional, or the one after `--`); absent when there is none. */
  positional?: ArgReference;
  /** Every option before it, without its `=value`. */
  options: string[];
}

/**
 * One reading of a package runner's options, up to the command it starts, shared by npx (and its
 * kin), uvx and pipx: they all take `--option value` or `--option=value`. `packageOptions` name
 * the package to fetch (`--package`, `--from`, `--spec`); `valueOptions` take a value, which is
 * skipped so that it is not mistaken for the command.
 */
function scanRunnerArgs(
  args: readonly string[],
  start: number,
  packageOptions: ReadonlySet<string>,
  valueOptions: ReadonlySet<string>,
): RunnerArgs {
  const packages: ArgReference[] = [];
  const options: string[] = [];
  const at = (index: number, prefix: string): ArgReference => ({ index, prefix, reference: args[index]!.slice(prefix.length) });
  for (let i = start; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '--') return { packages, options, positional: i + 1 < args.length ? at(i + 1, '') : undefined };
    if (!arg.startsWith('-') || arg === '-') return { packages, options, positional: at(i, '') };
    const eq = arg.indexOf('=');
    const option = arg.startsWith('--') && eq !== -1 ? arg.slice(0, eq) : arg;
    options.push(option);
    if (packageOptions.has(option)) {
      if (eq !== -1) packages.push(at(i, arg.slice(0, eq + 1)));
      else if (i + 1 < args.length) packages.push(at(++i, ''));
      continue;
    }
    if (eq === -1 && valueOptions.has(option)) i++;
  }
  return { packages, options };
}

// ---------------------------------------------------------------------------------------------
// npm family

/** Options of npm exec / pnpm dlx / yarn dlx / bunx that take the next argument as their value. */
const NPM_VALUE_OPTIONS = new Set([
  '--package',
  '-p',
  '--call',
  '-c',
  '--workspace',
  '-w',
  '--registry',
  '--cache',
  '--userconfig',
  '--loglevel',
  '--prefix',
  '--node-options',
  '--script-shell',
  '--allow-build',
]);

/** pnpm's -c is --shell-mode, a flag: the command string is then the positional. */
const PNPM_VALUE_OPTIONS = new Set([...NPM_VALUE_OPTIONS].filter((option) => option !== '-c'));
const NPM_PACKAGE_OPTIONS = new Set(['--package', '-p']);

function parseNpmExec(args: readonly string[], start: number, launcher: Launcher): PackageSpec | null {
  const scan = scanRunnerArgs(args, start, NPM_PACKAGE_OPTIONS, launcher === 'pnpm dlx' ? PNPM_VALUE_OPTIONS : NPM_VALUE_OPTIONS);
  if (scan.packages.length > 0) {
    // The first --package provides the command; every package must be exact for the launch to be.
    const specs = scan.packages.map((p) => npmReference(p.reference, launcher, p.index, p.prefix));
    const first = specs[0]!;
    const exact = specs.every((s) => s.exact);
    // mcpm pins one package per server: with another that floats, pinning the first would report
    // the launch fixed while it is not.
    if (specs.length > 1 && !exact && first.unresolvable === undefined) {
      return { ...first, exact, unresolvable: `it names ${specs.length} packages (--package), and mcpm pins one package per server: write an exact version for each` };
    }
    return { ...first, exact };
  }
  // --call / -c runs a shell command line: there is no package reference to read.
  const call = scan.options.some((option) => option === '--call' || (option === '-c' && launcher !== 'pnpm dlx'));
  if (call || !scan.positional) return null;
  return npmReference(scan.positional.reference, launcher, scan.positional.index, '');
}

function npmReference(reference: string, launcher: Launcher, argIndex: number, prefix: string): PackageSpec {
  if (LOCAL_REFERENCE.test(reference)) return local(reference, argIndex);
  const result = specBuilder('npm', launcher, argIndex, prefix);
  if (hasVariable(reference)) return result(reference, { unresolvable: VARIABLE_REASON });
  // git+https://…, github:user/repo, https://…/x.tgz, user/repo (GitHub shorthand): not the registry.
  if (/^[a-z+]+:/i.test(reference)) {
    return result(reference, { unresolvable: 'it is a git or tarball URL, not a registry package' });
  }
  const at = reference.indexOf('@', 1);
  const name = at === -1 ? reference : reference.slice(0, at);
  const spec = at === -1 ? undefined : reference.slice(at + 1);
  if (!NPM_NAME.test(name)) {
    const why = !name.startsWith('@') && name.includes('/') ? 'it is a GitHub repository, not a registry package' : 'it is not an npm package name';
    return result(reference, { unresolvable: why });
  }
  if (spec === undefined) return result(name, {});
  if (spec.startsWith('npm:')) return result(name, { spec, unresolvable: 'it is an npm alias (name@npm:other@version)' });
  return result(name, { spec, exact: isExactNpmVersion(spec) });
}

// ---------------------------------------------------------------------------------------------
// PyPI

/** uv options that take a value (uv tool run --help). */
const UV_VALUE_OPTIONS = new Set([
  '--from',
  '--with',
  '-w',
  '--with-editable',
  '--with-requirements',
  '--python',
  '-p',
  '--index',
  '--index-url',
  '-i',
  '--default-index',
  '--extra-index-url',
  '--find-links',
  '-f',
  '--index-strategy',
  '--keyring-provider',
  '--resolution',
  '--prerelease',
  '--exclude-newer',
  '--exclude-newer-package',
  '--link-mode',
  '--constraints',
  '-c',
  '--overrides',
  '--build-constraints',
  '-b',
  '--config-setting',
  '-C',
  '--no-binary-package',
  '--no-build-package',
  '--refresh-package',
  '--reinstall-package',
  '--upgrade-package',
  '-P',
  '--python-preference',
  '--cache-dir',
  '--config-file',
  '--directory',
  '--project',
  '--env-file',
  '--color',
  '--allow-insecure-host',
  '--torch-backend',
]);

const UV_FROM_OPTIONS = new Set(['--from']);

function parseUvx(args: readonly string[], start: number): PackageSpec | null {
  return parsePypiRunner(scanRunnerArgs(args, start, UV_FROM_OPTIONS, UV_VALUE_OPTIONS), 'uvx');
}

const PIPX_VALUE_OPTIONS = new Set(['--spec', '--python', '--index-url', '-i', '--pip-args', '--backend', '--fetch-python']);
const PIPX_SPEC_OPTIONS = new Set(['--spec']);

function parsePipx(args: readonly string[], start: number): PackageSpec | null {
  return parsePypiRunner(scanRunnerArgs(args, start, PIPX_SPEC_OPTIONS, PIPX_VALUE_OPTIONS), 'pipx run');
}

/** The requirement given with `--from`/`--spec` (the last one, if repeated), else the command itself. */
function parsePypiRunner(scan: RunnerArgs, launcher: Launcher): PackageSpec | null {
  const requirement = scan.packages.at(-1) ?? scan.positional;
  if (!requirement) return null;
  return pypiRequirement(requirement.reference, launcher, requirement.index, requirement.prefix);
}

/** `pkg`, `pkg@1.2.3` (uvx), `pkg==1.2.3`, `pkg[extra]==1.2.3`, `pkg>=1`, `git+https://…`, `./dir`. */
function pypiRequirement(reference: string, launcher: Launcher, argIndex: number, prefix: string): PackageSpec {
  if (LOCAL_REFERENCE.test(reference)) return local(reference, argIndex);
  const result = specBuilder('pypi', launcher, argIndex, prefix);
  if (hasVariable(reference)) return result(reference, { unresolvable: VARIABLE_REASON });
  if (/^[a-z+]+:\/\//i.test(reference) || reference.startsWith('git+')) {
    return result(reference, { unresolvable: 'it is a git or archive URL, not a registry package' });
  }
  const match = PYPI_REQUIREMENT.exec(reference.trim());
  if (!match) return result(reference, { unresolvable: 'it is not a PyPI requirement mcpm can read' });
  const name = match[1]!;
  const rest = match[3]!.trim();
  if (rest === '') return result(name, {});
  // `pkg @ https://…` is a direct reference (PEP 508), not a version.
  const at = /^@\s*(.+)$/.exec(rest);
  if (at) {
    const version = at[1]!;
    if (/:\/\//.test(version)) return result(name, { unresolvable: 'it is a direct URL reference' });
    return result(name, { spec: version, exact: version !== 'latest' && isExactPypiVersion(version) });
  }
  const pinned = /^===?\s*([^,;\s]+)$/.exec(rest);
  if (pinned) return result(name, { spec: pinned[1]!, exact: isExactPypiVersion(pinned[1]!) });
  return result(name, { spec: rest });
}

// ---------------------------------------------------------------------------------------------
// Docker / Podman

/** `docker run` options that take a value (`docker run --help`), long and short. */
const DOCKER_VALUE_OPTIONS = new Set([
  '--add-host', '--annotation', '--attach', '-a', '--blkio-weight', '--blkio-weight-device', '--cap-add', '--cap-drop',
  '--cgroup-parent', '--cgroupns', '--cidfile', '--cpu-count', '--cpu-percent', '--cpu-period', '--cpu-quota',
  '--cpu-rt-period', '--cpu-rt-runtime', '--cpu-shares', '-c', '--cpus', '--cpuset-cpus', '--cpuset-mems', '--device',
  '--device-cgroup-rule', '--device-read-bps', '--device-read-iops', '--device-write-bps', '--device-write-iops',
  '--dns', '--dns-option', '--dns-search', '--domainname', '--entrypoint', '--env', '-e', '--env-file', '--expose',
  '--gpus', '--group-add', '--health-cmd', '--health-interval', '--health-retries', '--health-start-interval',
  '--health-start-period', '--health-timeout', '--hostname', '-h', '--ip', '--ip6', '--ipc', '--isolation',
  '--kernel-memory', '--label', '-l', '--label-file', '--link', '--link-local-ip', '--log-driver', '--log-opt',
  '--mac-address', '--memory', '-m', '--memory-reservation', '--memory-swap', '--memory-swappiness', '--mount',
  '--name', '--network', '--net', '--network-alias', '--net-alias', '--oom-score-adj', '--pid', '--pids-limit',
  '--platform', '--publish', '-p', '--pull', '--restart', '--runtime', '--security-opt', '--shm-size',
  '--stop-signal', '--stop-timeout', '--storage-opt', '--sysctl', '--tmpfs', '--ulimit', '--user', '-u',
  '--userns', '--uts', '--volume', '-v', '--volume-driver', '--volumes-from', '--workdir', '-w',
  // podman
  '--arch', '--os', '--variant', '--secret', '--userns', '--pod', '--env-host', '--init-path', '--uidmap', '--gidmap',
]);
const DOCKER_SHORT_VALUE = new Set(['a', 'c', 'e', 'h', 'l', 'm', 'p', 'u', 'v', 'w']);

function parseDockerRun(args: readonly string[], start: number, launcher: Launcher): PackageSpec | null {
  for (let i = start; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '--') return i + 1 < args.length ? dockerImage(args[i + 1]!, launcher, i + 1) : null;
    if (!arg.startsWith('-') || arg === '-') return dockerImage(arg, launcher, i);
    if (arg.startsWith('--')) {
      if (!arg.includes('=') && DOCKER_VALUE_OPTIONS.has(arg)) i++;
      continue;
    }
    // A cluster of short flags (`-it`, `-ie`, `-eVAR=x`): the first flag that takes a value takes
    // the rest of the cluster, or the next argument when it is last.
    for (let j = 1; j < arg.length; j++) {
      if (DOCKER_SHORT_VALUE.has(arg[j]!)) {
        if (j === arg.length - 1) i++;
        break;
      }
    }
  }
  return null;
}

/** `[registry[:port]/]path[:tag][@sha256:<hex>]` */
function dockerImage(reference: string, launcher: Launcher, argIndex: number): PackageSpec {
  const result: PackageSpec = { manager: 'docker', launcher, name: reference, exact: false, argIndex, prefix: '' };
  if (hasVariable(reference)) return { ...result, unresolvable: VARIABLE_REASON };
  let rest = reference;
  const at = rest.indexOf('@');
  if (at !== -1) {
    result.digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
  }
  const colon = rest.lastIndexOf(':');
  if (colon > rest.lastIndexOf('/')) {
    result.spec = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
  }
  result.name = rest;
  result.exact = result.digest !== undefined && DOCKER_DIGEST.test(result.digest);
  return result;
}

// ---------------------------------------------------------------------------------------------
// local files

/** node/python options that take the next argument as their value. */
const INTERPRETER_VALUE_OPTIONS = new Set(['-r', '--require', '--import', '--loader', '--experimental-loader', '-W', '-X', '--env-file', '--conditions', '-C']);
/** Options after which the program is not a file (inline code, a module from the environment). */
const INTERPRETER_NOT_A_FILE = new Set(['-e', '--eval', '-p', '--print', '-c', '-m']);

function parseInterpreter(args: readonly string[], start: number): PackageSpec | null {
  // Whatever an interpreter runs by position is a file (node and python never look a name up
  // elsewhere), so it is code in the project or on the machine, not a package.
  for (let i = start; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '--') return i + 1 < args.length ? local(args[i + 1]!, i + 1) : null;
    if (!arg.startsWith('-') || arg === '-') return arg === '-' ? null : local(arg, i);
    const option = arg.includes('=') ? arg.slice(0, arg.indexOf('=')) : arg;
    if (INTERPRETER_NOT_A_FILE.has(option)) return null;
    if (!arg.includes('=') && INTERPRETER_VALUE_OPTIONS.has(option)) i++;
  }
  return null;
}

// ---------------------------------------------------------------------------------------------
// rewriting

/**
 * args with the reference at `spec.argIndex` replaced by one naming `version` exactly (npm,
 * PyPI) or `digest` (Docker: `version` must be `sha256:<hex>`), in the form the launcher reads:
 * `pkg@1.2.3` (npm, `uvx pkg@…`), `pkg[extra]==1.2.3` (`uvx --from`, pipx), `image:tag@sha256:…`.
 * Everything else in args, and the `--package=` prefix, stays as written.
 */
export function pinnedArgs(args: readonly string[], spec: PackageSpec, version: string): string[] {
  const current = args[spec.argIndex];
  if (current === undefined || spec.manager === 'local') {
    throw new Error(`Assertion failed: no package reference at args[${spec.argIndex}] to pin`);
  }
  const reference = current.slice(spec.prefix.length);
  let pinned: string;
  switch (spec.manager) {
    case 'npm':
      pinned = `${spec.name}@${version}`;
      break;
    case 'pypi': {
      const match = PYPI_REQUIREMENT.exec(reference.trim());
      const nameWithExtras = match ? `${match[1]}${match[2] ?? ''}` : spec.name;
      const rest = match?.[3]?.trim() ?? '';
      // uvx's positional form takes `@version`; requirements (`--from`, pipx) take `==version`.
      const useAt = rest.startsWith('@') || (spec.launcher === 'uvx' && spec.prefix === '' && !isFromArg(args, spec.argIndex));
      pinned = useAt ? `${nameWithExtras}@${version}` : `${nameWithExtras}==${version}`;
      break;
    }
    case 'docker':
      if (!DOCKER_DIGEST.test(version)) throw new Error('Assertion failed: a Docker image is pinned by its sha256 digest');
      pinned = `${spec.name}${spec.spec === undefined ? '' : `:${spec.spec}`}@${version}`;
      break;
  }
  const next = [...args];
  next[spec.argIndex] = `${spec.prefix}${pinned}`;
  return next;
}

function isFromArg(args: readonly string[], index: number): boolean {
  return index > 0 && args[index - 1] === '--from';
}

/**
 * Why a recognised launch is not pinned, in words for a warning, or undefined when it is pinned
 * (or local). `name` is the server's name, for the message.
 */
export function unpinnedReason(spec: PackageSpec): string | undefined {
  if (spec.exact || spec.manager === 'local') return undefined;
  const what = `${spec.launcher} ${spec.name}`;
  if (spec.unresolvable !== undefined) return `${what} cannot be pinned by mcpm: ${spec.unresolvable}`;
  switch (spec.manager) {
    case 'npm':
      return spec.spec === undefined
        ? `${what} has no version: it runs whatever the registry's "latest" is at each launch`
        : `${what}@${spec.spec} is not an exact version: it runs whatever matches at each launch`;
    case 'pypi':
      return spec.spec === undefined
        ? `${what} has no version: it runs whatever PyPI serves at each launch`
        : `${what} ${spec.spec} is not an exact version`;
    case 'docker':
      return `${spec.name}${spec.spec === undefined ? '' : `:${spec.spec}`} has no @sha256 digest: a tag can be moved to other code`;
  }
}

export interface PinWarning {
  name: string;
  message: string;
}

/** One warning per configured stdio server whose launch floats (see unpinnedReason), in the given order. */
export function pinWarnings(servers: Iterable<{ name: string; launch: { transport: string; command?: string; args?: readonly string[] } }>): PinWarning[] {
  const warnings: PinWarning[] = [];
  for (const server of servers) {
    const spec = packageSpecOf(server.launch);
    const message = spec === null ? undefined : unpinnedReason(spec);
    if (message !== undefined) warnings.push({ name: server.name, message });
  }
  return warnings;
}

/** `name@version (integrity)` for messages; integrity shortened to its first 16 characters. */
export function describePin(pin: { name: string; version?: string; integrity?: string }): string {
  const integrity = pin.integrity === undefined ? 'no integrity' : `${pin.integrity.slice(0, 16)}…`;
  return `${pin.name}@${pin.version ?? '?'} (${integrity})`;
}

// ---------------------------------------------------------------------------------------------
// fetching a package before the server starts

/** The command that fetches a launch's package into the runner's cache without starting the server. */
export interface PackageFetch {
  command: string;
  args: string[];
  /** The package as the launch names it, for messages (`@acme/notes@1.2.0`). */
  package: string;
}

/**
 * `npx [opts] pkg@1.2.3 args` → `npx [opts] --package=pkg@1.2.3 -- node -e 0`: npm exec installs the
 * same package list into the same cache directory (its name is a hash of that list), then runs a
 * command that does nothing. A first launch can spend a minute downloading; done this way the
 * download does not count against the server's --timeout, and a registry that cannot be reached
 * fails here, with npm's own words, before any server is started. Only npx and `npm exec`: the
 * other runners' caches are not verified to work this way, so their launches fetch as before.
 * Null when there is nothing to fetch (a local file, a `--call`, a `${VAR}`, another runner).
 */
export function packageFetchOf(command: string, args: readonly string[]): PackageFetch | null {
  const spec = parseCommandLine(command, args);
  if (spec === null || spec.manager !== 'npm' || (spec.launcher !== 'npx' && spec.launcher !== 'npm exec') || spec.unresolvable !== undefined) {
    return null;
  }
  const start = commandName(command) === 'cmd' ? 2 : 0;
  const runnerStart = start + (commandName(start === 0 ? command : args[1]!) === 'npm' ? 1 : 0);
  const scan = scanRunnerArgs(args, runnerStart, NPM_PACKAGE_OPTIONS, NPM_VALUE_OPTIONS);
  const reference = args[spec.argIndex]!.slice(spec.prefix.length);
  // The command's own arguments go; every option before it stays (-y, --registry, each --package).
  let cut = scan.positional?.index ?? args.length;
  if (args[cut - 1] === '--') cut--;
  const kept = args.slice(0, cut);
  const packages = scan.packages.length > 0 ? [] : [`--package=${reference}`];
  return { command, args: [...kept, ...packages, '--', 'node', '-e', '0'], package: reference };
}
