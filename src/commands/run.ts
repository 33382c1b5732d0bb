/**
 * `mcpm run NAME`: what a host launches in place of the server. It decides: it starts the server
 * only when the configured launch is the locked one, and tells the host why when it does not. Then
 * it hands the host's stdin/stdout and the server to the guard's session (src/guard/session.ts),
 * which relays JSON-RPC between them holding every list, `initialize` result and call to the lock,
 * and maps how the session ended to an exit status.
 */
import { resolve as resolvePath } from 'node:path';
import { createRequire } from 'node:module';
import { buildServerEnv, spawnServer, type ExitInfo, type SpawnOptions } from '../adapters/process.js';
import { optimiseHotCodeSooner } from '../adapters/tiering.js';
import { DENY_KINDS, type DenyKind } from '../core/deny.js';
import { isMcpmError, McpmError, type ExitStatus } from '../core/errors.js';
import { jsonQuote } from '../core/json-strict.js';
import { resolveServerConfig } from '../core/launch/expand.js';
import { launchDifference } from '../core/launch/identity.js';
import { launchesMcpmRun } from '../core/launch/mcpm-run.js';
import { sidecarDir } from '../adapters/hosts/sidecar-path.js';
import type { LockEntry, LockHead } from '../core/lockfile.js';
import type { LoadedValues, SecretValue } from '../core/reflected-secrets.js';
import { sanitize, sanitizeLine } from '../core/sanitize.js';
import { nameWord, shellWord } from '../core/shell-word.js';
import type { Deps } from '../deps.js';
import type { AuditLog } from '../guard/audit-log.js';
import { HeldChunks } from '../guard/held-chunks.js';
import { EntryChecks } from '../adapters/entry-checks.js';
import type { AuditEvent, ToolCallRecord } from '../guard/relay.js';
import type { HostStreams, SessionOutcome, SessionServer } from '../guard/session.js';
import { POLICIES, type Policy } from '../guard/policy.js';
import type { GlobalOptions } from '../app/options.js';
import { bindValues, buildCache, checkedEntryFromHead, hostPlace, loadLockHeadFor, loadProject, type Project } from '../app/project.js';
import { resolveInputs } from '../app/inputs.js';
import type { BearerAuth } from '../adapters/oauth/provider.js';
import { judgeLaunch, judgeLocked } from '../core/allowlist.js';
import { loadAllowlist, RUN_ALLOWLIST_MAX_AGE_MS } from '../app/allowlist.js';
import { telemetryTarget } from '../app/telemetry-target.js';
import { parseRemoteUrl } from '../core/launch/remote-url.js';

export interface RunOptions extends GlobalOptions {
  policy?: Policy;
  /** Default: env MCPM_AUDIT_LOG. Relative to the project directory. */
  auditLog?: string;
  /** Extra key patterns to redact in the audit log, on top of the defaults. */
  redact?: string[];
  /** Server-initiated requests to answer with an error; added to the server's `"mcpm": {"deny"}` in the config. */
  deny?: DenyKind[];
  /** The organisation's allow-list (else env MCPM_ALLOWLIST): a server it refuses is never started; its guard.deny is added. */
  allowlist?: string;
  /** OTLP/HTTP collector for the guard's events (else the OTEL_EXPORTER_OTLP_* variables). */
  otlp?: string;
}

/**
 * `hostIo`: the host's side of the session, process.stdin/stdout unless a caller passes streams.
 * Created when first needed, after the server was started: they take milliseconds a host would wait for.
 */
export async function run(name: string, options: RunOptions, deps: Deps, hostIo?: HostStreams): Promise<ExitStatus> {
  const host = () => (hostIo ??= { stdin: process.stdin, stdout: process.stdout });
  const policy = options.policy ?? 'block';
  if (!POLICIES.includes(policy)) throw new McpmError('USAGE', `--policy must be one of ${POLICIES.join(', ')}`);
  // A person who typed `mcpm run NAME` in a terminal learns what it is for; a host (a pipe, told
  // apart without node:tty: deps.ts) never sees this, and waits for nothing.
  if (hostIo === undefined && deps.stdinIsTTY) {
    deps.stderr.write(
      `mcpm run is started by an MCP host in place of the server: it speaks JSON-RPC on stdin and stdout. ` +
        `To have a host start ${sanitize(shellWord(name))} through it, see "mcpm guard --help"; Ctrl-D ends this session.\n`,
    );
  }
  // Worked out once, for the audit log and telemetry alike, and only when one of them is on.
  let configured: Promise<SecretValue[]> | undefined;
  // Where the values the server is given came from (prepare): VS Code inputs, the host, an env file, a helper, a login.
  let sources: SecretSources = { inputs: new Map(), loaded: {} };
  const secrets = (project: Project): Promise<SecretValue[]> => (configured ??= configuredSecrets(project, name, deps, sources));

  // Load and decide, before anything is started. Any refusal is also told to the host, as the
  // answer to its first request, so the host shows the reason instead of "server disconnected".
  let started: Started;
  try {
    const prepared = await prepare(name, options, deps);
    if ('refusal' in prepared) {
      deps.stderr.write(`mcpm: ${sanitizeLine(prepared.refusal.message)}\nhint: ${sanitizeLine(prepared.refusal.hint)}\n`);
      await answerHost(host(), `mcpm: ${prepared.refusal.message} (${prepared.refusal.hint})`);
      return 1;
    }
    sources = prepared.secrets;
    started = await start(name, options, deps, prepared, secrets);
  } catch (error) {
    if (isMcpmError(error)) await answerHost(host(), `mcpm: ${error.message}${error.hint ? ` (${error.hint})` : ''}`);
    throw error;
  }
  const { project, entry, server, audit, deny } = started;
  // Loaded only when it is on: every module loaded before the server's first answer is CPU taken from its start.
  const telemetry = telemetryTarget(options.otlp, deps.env) === undefined ? undefined : (await import('../app/telemetry.js')).guardTelemetry(options.otlp, deps, name, entry, () => secrets(project));
  try {
    // The guard's session loads here, after the server was started: its compile time overlaps
    // with the server's start-up instead of delaying it (spawn → first list is what a host waits for).
    // So does loading node:v8 for the budget (milliseconds).
    const traffic = optimiseHotCodeSooner();
    const { runSession } = await import('../guard/session.js');
    const outcome = await runSession({
      where: { server: name, lockLabel: project.lockLabel, reviewCommand: reviewCommand(options, project) },
      entry,
      policy,
      host: host(),
      server,
      stderr: deps.stderr,
      now: () => deps.now().getTime(),
      interrupt: deps.signal,
      signals: process,
      deny,
      onToolCall: both(audit?.record, telemetry?.onToolCall),
      onAuditEvent: both(audit?.event, telemetry?.onAuditEvent),
      traffic,
      ...(telemetry ? { onGuardEvent: telemetry.onGuardEvent } : {}),
    });
    return exitStatusOf(outcome);
  } finally {
    await audit?.log.close();
    await telemetry?.close();
  }
}

/**
 * The server's configured secret values (env and header values, `${VAR}` and `${input:…}` values,
 * what the host passed, its env file and headers helper gave, a login's tokens): the audit log and telemetry write what the host and the server said, which may quote
 * them, and never write them.
 */
async function configuredSecrets(project: Project, name: string, deps: Deps, sources: SecretSources): Promise<SecretValue[]> {
  const config = project.servers.get(name);
  if (config === undefined) return [];
  const { secretValuesOf } = await import('../core/reflected-secrets.js');
  // A login's tokens as they are when the first line is written (a refreshed one is held from then on too).
  const loginTokens = sources.login?.() ?? [];
  return secretValuesOf(config, deps.env, { projectDir: project.dir, inputs: sources.inputs }, { ...sources.loaded, ...(loginTokens.length > 0 ? { loginTokens } : {}) });
}

/** What configuredSecrets needs beyond the config: gathered by prepare, which resolves the launch. */
interface SecretSources {
  inputs: ReadonlyMap<string, string>;
  loaded: LoadedValues;
  login?: () => readonly string[];
}

/** One handler that calls both (either may be absent). */
function both<T>(a: ((value: T) => void) | undefined, b: ((value: T) => void) | undefined): ((value: T) => void) | undefined {
  if (!a || !b) return a ?? b;
  return (value) => {
    a(value);
    b(value);
  };
}

interface Started {
  project: Project;
  entry: LockEntry;
  server: SessionServer;
  /** The audit log and how one tool call or other event becomes its line (redaction included); absent when not auditing. */
  audit: { log: AuditLog; record(record: ToolCallRecord): void; event(event: AuditEvent): void } | undefined;
  /** `--deny` and the server's configured deny, together. */
  deny: DenyKind[];
}

/** Opens the audit log, spawns a local server, then checks the lock entry while it starts up. */
async function start(name: string, options: RunOptions, deps: Deps, prepared: Ready, configuredSecretsOf: (project: Project) => Promise<SecretValue[]>): Promise<Started> {
  const auditFile = options.auditLog ?? deps.env['MCPM_AUDIT_LOG'];
  let audit: Started['audit'];
  if (auditFile) {
    const { AuditLog, auditEventLine, auditLine, redactPatterns } = await import('../guard/audit-log.js');
    const patterns = redactPatterns(options.redact ?? []);
    const secrets = await configuredSecretsOf(prepared.project);
    const dir = prepared.project.dir;
    const log = await AuditLog.open(resolvePath(dir, auditFile), (m) => deps.stderr.write(`mcpm: ${sanitize(m)}\n`), { projectDir: dir });
    audit = { log, record: (record) => log.append(auditLine(name, record, patterns, secrets)), event: (event) => log.append(auditEventLine(name, event, patterns, secrets)) };
  }
  const configured = prepared.project.servers.get(name)?.deny ?? [];
  const required = prepared.orgDeny ?? [];
  const deny = DENY_KINDS.filter((kind) => configured.includes(kind) || required.includes(kind) || (options.deny ?? []).includes(kind));
  let server: SessionServer;
  if (prepared.launch.transport === 'stdio') {
    const { env, ...spawn } = prepared.launch.spawn;
    const stderr = new HeldChunks();
    try {
      const proc = await spawnServer({ ...spawn, env: buildServerEnv(env, deps.env), signal: deps.signal, onStderr: (chunk) => stderr.push(chunk), reusedReads: true });
      server = { transport: 'stdio', proc, stderr };
    } catch (error) {
      await audit?.log.close();
      throw error;
    }
  } else {
    server = prepared.launch;
  }
  // The server's locked definitions are checked against their integrities while it starts;
  // nothing it sends is relayed before. A lock that fails here ends the server unheard. (The
  // other entries are not this run's business: verify --offline checks them.)
  try {
    const cache = buildCache(deps);
    const entry = checkedEntryFromHead(prepared.lockHead, prepared.project, name, cache === undefined ? undefined : new EntryChecks(cache));
    return { project: prepared.project, entry, server, audit, deny };
  } catch (error) {
    if (server.transport === 'stdio') await server.proc.close();
    await audit?.log.close();
    throw error;
  }
}

/** The refusal told to the host; the session module (loaded only now) reads and answers its first request. */
async function answerHost(host: HostStreams, message: string): Promise<void> {
  if (host.stdin.isTTY) return;
  await (await import('../guard/session.js')).answerFirstRequest(host, message);
}

type Launch =
  /** `spawn.env` holds only the configured variables, resolved; the inherited allowlist is added at spawn. */
  | { transport: 'stdio'; spawn: Omit<SpawnOptions, 'signal'> }
  | Extract<SessionServer, { transport: 'http' | 'sse' }>;

interface Ready {
  project: Project;
  /** Holds the entry of the server, whose definitions are read after the spawn. */
  lockHead: LockHead;
  launch: Launch;
  /** What the organisation's allow-list requires the guard to deny. */
  orgDeny?: DenyKind[];
  secrets: SecretSources;
}
/** A refusal's text is raw (it quotes config text): escaped where it is written, once. */
type Prepared = { refusal: { message: string; hint: string } } | Ready;

async function prepare(name: string, options: RunOptions, deps: Deps): Promise<Prepared> {
  const project = await loadProject(options, deps);
  const lockHead = await loadLockHeadFor(project, name, deps);
  const quoted = jsonQuote(name);
  if (!project.servers.has(name)) {
    throw new McpmError('USAGE', `no server named ${quoted} in ${project.configFiles.join(', ') || 'the config'}`, 'run "mcpm ls" to see the configured servers');
  }
  const locked = lockHead?.launches.get(name);
  if (lockHead && locked) await bindValues(project.servers, new Map([[name, locked]]), { only: name, matches: project.valueMatches });
  const config = project.servers.get(name)!;
  // The organisation's word comes first: a refused launch is not started whatever the lock says.
  const allowlist = await loadAllowlist(options, deps, { maxAgeMs: RUN_ALLOWLIST_MAX_AGE_MS });
  if (allowlist) {
    const integrity = lockHead?.entries.get(name)?.['integrity'];
    const judgement = typeof integrity === 'string' ? judgeLocked(allowlist, config.launch, integrity) : judgeLaunch(allowlist, config.launch);
    if (!judgement.allowed) {
      return { refusal: { message: `server ${quoted} was not started: ${judgement.reason}`, hint: 'ask the allow-list\'s owners to allow it, or remove the server from the config' } };
    }
  }
  const orgDeny = allowlist?.guardDeny;
  if (!lockHead || !locked) {
    const why = lockHead === null ? `${project.lockLabel} does not exist` : `it is not in ${project.lockLabel}`;
    return {
      refusal: {
        message: `server ${quoted} was not started: ${why}, so nothing it serves has been reviewed`,
        hint: `run "${reviewCommand(options, project)} install ${nameWord(name)}" to lock it, then review ${project.lockLabel}`,
      },
    };
  }
  const difference = launchDifference(config.launch, locked);
  if (difference !== undefined && config.launch.transport === 'stdio' && launchesMcpmRun(config.launch)) {
    // mcpm guard's own entry, read as it stands: the sidecar with its original was not found where
    // this process looks (a host that does not pass on the XDG_STATE_HOME guard ran with).
    const dir = sidecarDir(deps.env);
    const vars = process.platform === 'win32' ? 'LOCALAPPDATA' : 'HOME and XDG_STATE_HOME';
    return {
      refusal: {
        message: `server ${quoted} was not started: its entry in ${config.source} starts mcpm run, as mcpm guard writes it, but ${dir === undefined ? `there is no state directory (no ${vars})` : `guard's record of its original is not in ${dir}`}`,
        hint: `mcpm run finds it through the ${vars} the host starts it with: give the host those mcpm guard ran with, or run "mcpm guard" again with the host's`,
      },
    };
  }
  if (difference !== undefined) {
    return {
      refusal: {
        message: `server ${quoted} was not started: ${difference} in ${config.source} differ from ${project.lockLabel}`,
        hint: `review the change with "${reviewCommand(options, project)} diff ${nameWord(name)}", then run "${reviewCommand(options, project)} approve ${nameWord(name)}"`,
      },
    };
  }
  // A guarded entry (mcpm guard): the host expanded the entry's env and passed it to us; take it as given.
  // Loaded only for a guarded entry or a remote server: every module on this path is start-up a host waits for.
  const { config: toResolve, fromHost } = project.guarded?.has(name)
    ? (await import('../adapters/hosts/sidecar.js')).splitHostEnv(config, deps.env)
    : { config, fromHost: {} };
  // VS Code inputs, from MCPM_INPUT_<ID>: a host gives mcpm run no terminal to ask on.
  // Not `...deps`: a spread reads every getter, and whether stdin is a terminal costs node:tty before the spawn.
  const inputs = await resolveInputs([toResolve], { env: deps.env, stderr: deps.stderr, stdinIsTTY: false });
  const resolved = resolveServerConfig(toResolve, deps.env, { projectDir: project.dir, inputs });
  if (resolved.transport !== 'stdio') {
    const url = parseRemoteUrl(resolved.url, `${config.source}: server ${quoted}`);
    const loginCommand = `${reviewCommand(options, project)} login ${nameWord(name)}`;
    // Claude Code's headersHelper, run as the host runs it, its headers over the entry's (headers-helper.ts).
    const helperHeaders = config.launch.transport !== 'stdio' && config.launch.headersHelper !== undefined
      ? await (await import('../adapters/headers-helper.js')).headersFromHelper(config, resolved.url, { projectDir: project.dir, env: deps.env, signal: deps.signal })
      : undefined;
    const headers = helperHeaders === undefined ? resolved.headers : { ...resolved.headers, ...helperHeaders };
    const { auth, held } = await storedLogin(name, url, deps);
    return {
      project,
      lockHead,
      orgDeny,
      launch: { transport: resolved.transport, url, headers, loginCommand, ...(auth === undefined ? {} : { auth }) },
      secrets: { inputs, loaded: { ...(helperHeaders === undefined ? {} : { helperHeaders }), hostEnv: fromHost }, ...(held === undefined ? {} : { login: held }) },
    };
  }
  // The env file's variables, under the entry's `env` (env-file.ts): loaded only for an entry that has one.
  const envFile = config.launch.transport === 'stdio' && config.launch.envFile !== undefined ? await import('../adapters/env-file.js') : undefined;
  const envFileVariables = envFile?.envFileVariablesOf(config, deps.env, { projectDir: project.dir, inputs });
  return {
    project,
    lockHead,
    orgDeny,
    launch: {
      transport: 'stdio',
      spawn: {
        name,
        command: resolved.command,
        args: resolved.args,
        ...(resolved.cwd === undefined ? {} : { cwd: resolved.cwd }),
        env: envFile ? envFile.withEnvFile({ ...resolved.env, ...fromHost }, envFileVariables) : { ...resolved.env, ...fromHost },
        projectDir: project.dir,
      },
    },
    secrets: { inputs, loaded: { ...(envFileVariables === undefined ? {} : { envFile: envFileVariables }), hostEnv: fromHost } },
  };
}

/**
 * The bearer token of `mcpm login` for exactly this URL, if one is stored (loaded only for a
 * remote server). Why a stored one cannot be used goes to stderr, which hosts keep as the log.
 */
async function storedLogin(name: string, url: URL, deps: Deps): Promise<{ auth?: BearerAuth; held?: () => readonly string[] }> {
  const [{ userTokenStore }, { storedLogins, bearerAuth }] = await Promise.all([import('../adapters/oauth/store.js'), import('../adapters/oauth/provider.js')]);
  const found = await storedLogins(() => userTokenStore(hostPlace(deps)), () => deps.now().getTime(), 'mcpm').find(url.href);
  // `held`: the tokens it sends, which the audit log and telemetry never write.
  if ('provider' in found) return { auth: bearerAuth(found.provider, url), held: () => found.provider.heldSecrets() };
  if (found.problem !== undefined) deps.stderr.write(`mcpm: server ${sanitize(jsonQuote(name))}: ${sanitize(found.problem)}\n`);
  return {};
}

function exitStatusOf(outcome: SessionOutcome): ExitStatus {
  switch (outcome.kind) {
    case 'ended':
      return outcome.status;
    case 'interrupted':
      return 130;
    case 'signalled':
      // As a shell reports a command ended by a signal: 128 + its number.
      return (128 + (signalNumber(outcome.signal) ?? 15)) as ExitStatus;
    case 'server-exited':
      return statusOfExit(outcome.exit, outcome.hostGone);
    case 'remote-closed':
      return 0;
  }
}

/**
 * The guard exits with the server's status, as the host would have seen it without mcpm. A server
 * that mcpm had to signal after the host hung up ended as asked: 0. A server killed by a signal
 * mcpm did not send reports 128 + the signal number, as shells do.
 */
function statusOfExit(info: ExitInfo, hostGone: boolean): ExitStatus {
  // ExitStatus lists mcpm's own statuses; a relayed server status may be any byte.
  if (info.code !== null) return info.code as ExitStatus;
  if (hostGone) return 0;
  const number = info.signal ? signalNumber(info.signal) : undefined;
  return (128 + (number ?? 0)) as ExitStatus;
}

/** A signal's number. node:os is required here, once the session is over: loaded with the command, it is start-up a host waits for. */
function signalNumber(signal: NodeJS.Signals): number | undefined {
  return (createRequire(import.meta.url)('node:os') as typeof import('node:os')).constants.signals[signal];
}

/**
 * The command a person runs to review this server from any directory: the host or the files this
 * run was given, else the project directory (hosts start `mcpm run` wherever they like).
 */
function reviewCommand(options: RunOptions, project: Project): string {
  const parts = ['mcpm'];
  if (options.host) parts.push('--host', shellWord(options.host));
  for (const file of options.config ?? []) parts.push('--config', shellWord(resolvePath(project.dir, file)));
  if (options.lockfile) parts.push('--lockfile', shellWord(project.lockFile));
  if (!options.host && (options.config ?? []).length === 0) parts.push('-C', shellWord(project.dir));
  return parts.join(' ');
}
