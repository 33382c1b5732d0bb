/**
 * `mcpm login NAME`, `mcpm login --list` and `mcpm logout NAME`: sign in to a remote server of the
 * config with OAuth (adapters/oauth/login-flow.ts) and keep what it gives in the token store
 * (adapters/oauth/store.ts), from which every command that connects to the server takes it. Tokens
 * are never printed: what is shown is the server, its origin, where the login is kept and until when.
 */
import { isMcpmError, McpmError, type ExitStatus } from '../core/errors.js';
import { jsonQuote } from '../core/json-strict.js';
import { resolveServerConfig, resolveVariables } from '../core/launch/expand.js';
import { launchDifference } from '../core/launch/identity.js';
import { nameWord } from '../core/shell-word.js';
import type { ServerConfig } from '../core/launch/parse.js';
import { sanitize, sanitizeLine } from '../core/sanitize.js';
import type { Deps } from '../deps.js';
import { writeJson } from '../render/json.js';
import { resolveInputs } from '../app/inputs.js';
import type { GlobalOptions } from '../app/options.js';
import { bindValues, hostPlace, loadLockHead, loadProject, type Project } from '../app/project.js';
import type { LoginSummary, SecretsPlace, TokenStore } from '../adapters/oauth/store.js';
import { parseRemoteUrl } from '../core/launch/remote-url.js';

export interface LoginOptions extends GlobalOptions {
  list?: boolean;
  /** `--no-browser` makes it false: the URL is only printed. */
  browser?: boolean;
}

/** How long `mcpm login` waits for the browser to come back with the code. */
export const SIGN_IN_WAIT_MS = 5 * 60 * 1000;

export async function login(name: string | undefined, options: LoginOptions, deps: Deps): Promise<ExitStatus> {
  const store = await tokenStore(deps);
  if (options.list) {
    if (name !== undefined) throw new McpmError('USAGE', 'mcpm login --list takes no server name', 'run "mcpm login --list" or "mcpm login NAME"');
    return listLogins(store, options, deps);
  }
  if (name === undefined) throw new McpmError('USAGE', 'mcpm login needs the name of a remote server', 'run "mcpm ls" to see the configured servers');
  const project = await loadProject(options, deps);
  const config = remoteServer(project, name);
  const quoted = jsonQuote(name);
  if (config.oauth?.unsupported) throw new McpmError('USAGE', `server ${quoted}: ${config.oauth.unsupported}; mcpm cannot sign in to it`, 'let the host sign in to it, and leave it out of mcpm guard');
  if (config.oauth?.invalid) throw new McpmError('CONFIG_INVALID', `${config.source}: server ${quoted}: ${config.oauth.invalid}`, 'fix the entry in the config file, then run mcpm login again');

  await warnIfUnapproved(project, name, deps);
  const { url, headers, clientSecret } = await resolveRemote(config, project, deps);
  const { signIn } = await import('../adapters/oauth/login-flow.js');
  const human = options.format === 'json' ? deps.stderr : deps.stdout;
  const outcome = await signIn({
    server: name,
    url,
    transport: config.launch.transport === 'sse' ? 'sse' : 'http',
    headers,
    settings: { ...config.oauth, ...(clientSecret === undefined ? {} : { clientSecret }) },
    browser: options.browser === false ? null : { env: deps.env, platform: process.platform },
    tell: (text) => deps.stderr.write(`${sanitize(text)}\n`),
    signal: deps.signal,
    waitMs: SIGN_IN_WAIT_MS,
    now: () => deps.now().getTime(),
  });
  if (outcome.kind === 'not-required') {
    if (options.format === 'json') writeJson(deps.stdout, { server: name, origin: url.origin, signedIn: false, status: outcome.status });
    else human.write(`server ${sanitize(quoted)} at ${sanitize(url.origin)} answered without asking for authorization (HTTP ${outcome.status}); nothing to store\n`);
    return 0;
  }
  const written = await store.write(outcome.login);
  const { expiryOf } = await import('../adapters/oauth/store.js');
  const expiresAt = expiryOf(outcome.login);
  if (options.format === 'json') {
    writeJson(deps.stdout, {
      server: name,
      origin: url.origin,
      signedIn: true,
      store: written.place,
      ...(written.place === 'file' ? { file: store.fileFor(outcome.login.url) } : {}),
      expiresAt: expiresAt === undefined ? null : new Date(expiresAt).toISOString(),
      refreshable: typeof outcome.login.tokens?.refresh_token === 'string',
    });
    return 0;
  }
  let text = `signed in to ${sanitize(quoted)} at ${sanitize(url.origin)}; ${describePlace(written.place, store.fileFor(outcome.login.url))}\n`;
  if (written.keychainProblem !== undefined) text += `(no OS keychain to use here: ${sanitize(written.keychainProblem)})\n`;
  text += `install, verify, diff, approve, update and run send it to this server only, and renew it when it expires.\n`;
  human.write(text);
  return 0;
}

export async function logout(name: string, options: GlobalOptions, deps: Deps): Promise<ExitStatus> {
  const store = await tokenStore(deps);
  const quoted = jsonQuote(name);
  let removed: boolean;
  let project: Project | undefined;
  try {
    project = await loadProject(options, deps);
  } catch (error) {
    // A login outlives its config entry; it can be removed by the name it was made under.
    if (!isMcpmError(error) || error.code !== 'CONFIG_NOT_FOUND') throw error;
  }
  const config = project?.servers.get(name);
  if (config !== undefined && project !== undefined) {
    const { url } = await resolveRemote(remoteServer(project, name), project, deps);
    removed = await store.remove(url.href);
  } else {
    removed = (await store.removeByName(name)) > 0;
  }
  if (options.format === 'json') writeJson(deps.stdout, { server: name, removed });
  else (removed ? deps.stdout : deps.stderr).write(removed ? `signed out of ${sanitize(quoted)}: its stored login is deleted\n` : `no login is stored for ${sanitize(quoted)}\n`);
  return 0;
}

/**
 * A locked server whose configured launch differs (its URL, its sign-in settings): the login would
 * go where nobody has approved, so it is said before the browser opens. Not refused: approving a
 * moved server needs a login to connect to it. A lock that cannot be read says nothing here.
 */
async function warnIfUnapproved(project: Project, name: string, deps: Deps): Promise<void> {
  let locked;
  try {
    // This server's launch only, its values bound as every command binds them: no other entry is read or hashed.
    locked = (await loadLockHead(project))?.launches.get(name);
    if (locked !== undefined) await bindValues(project.servers, new Map([[name, locked]]), { only: name, matches: project.valueMatches });
  } catch (error) {
    if (isMcpmError(error)) return;
    throw error;
  }
  const configured = project.servers.get(name);
  const difference = locked && configured ? launchDifference(locked, configured.launch) : undefined;
  if (difference === undefined) return;
  deps.stderr.write(
    `${sanitizeLine(`mcpm: warning: server ${jsonQuote(name)} is configured otherwise than ${project.lockLabel} says (${difference} differ): this login goes where nobody has approved; "mcpm diff ${nameWord(name)}" shows the change`)}\n`,
  );
}

async function tokenStore(deps: Deps): Promise<TokenStore> {
  const { userTokenStore } = await import('../adapters/oauth/store.js');
  return userTokenStore(hostPlace(deps));
}

function remoteServer(project: Project, name: string): ServerConfig {
  const config = project.servers.get(name);
  const quoted = jsonQuote(name);
  if (config === undefined) {
    throw new McpmError('USAGE', `no server named ${quoted} in ${project.configFiles.join(', ') || 'the config'}`, 'run "mcpm ls" to see the configured servers');
  }
  if (config.launch.transport === 'stdio') {
    throw new McpmError('USAGE', `server ${quoted} is started on this machine (stdio); only remote servers (a "url") sign in`, 'give a local server its credentials in its "env"');
  }
  return config;
}

/** The server's URL and headers as they are sent, and the client secret of the config, resolved. */
async function resolveRemote(config: ServerConfig, project: Project, deps: Deps): Promise<{ url: URL; headers: Record<string, string>; clientSecret?: string }> {
  const inputs = await resolveInputs([config], deps);
  const resolved = resolveServerConfig(config, deps.env, { projectDir: project.dir, inputs });
  if (resolved.transport === 'stdio') throw new Error('Assertion failed: a remote server resolved to a stdio launch');
  const where = `${config.source}: server ${jsonQuote(config.name)}`;
  const url = parseRemoteUrl(resolved.url, where);
  const secret = config.oauth?.clientSecret;
  const clientSecret = secret === undefined ? undefined : resolveVariables(secret, deps.env, `${where}: "oauth" client secret`, { projectDir: project.dir, inputs });
  return { url, headers: resolved.headers, ...(clientSecret === undefined ? {} : { clientSecret }) };
}

function describePlace(place: SecretsPlace, file: string): string {
  return place === 'keychain' ? 'the tokens are kept in the OS keychain' : `the tokens are kept in ${sanitize(file)} (readable only by you)`;
}

async function listLogins(store: TokenStore, options: GlobalOptions, deps: Deps): Promise<ExitStatus> {
  const logins = await store.list(deps.now().getTime());
  if (options.format === 'json') {
    writeJson(deps.stdout, {
      store: store.dir,
      logins: logins.map((l) => ({ ...l, expiresAt: l.expiresAt === undefined ? null : new Date(l.expiresAt).toISOString() })),
    });
    return 0;
  }
  if (logins.length === 0) {
    deps.stdout.write('no stored logins (sign in to a remote server with "mcpm login NAME")\n');
    return 0;
  }
  const width = Math.max(...logins.map((l) => l.name.length));
  let text = '';
  for (const l of logins) text += `${sanitize(l.name.padEnd(width), { identifier: true })}  ${sanitize(l.origin)}  ${describeState(l)}  (${l.place})\n`;
  deps.stdout.write(text);
  return 0;
}

function describeState(login: LoginSummary): string {
  const until = login.expiresAt === undefined ? '' : new Date(login.expiresAt).toISOString().replace(/\.\d+Z$/, 'Z');
  switch (login.state) {
    case 'valid':
      return until === '' ? 'signed in' : `signed in, token valid until ${until}`;
    case 'expired':
      return login.refreshable ? `token expired ${until}; renewed on next use` : `token expired ${until}; run mcpm login again`;
    case 'signed-out':
      return 'refused by the server; run mcpm login again';
  }
}
