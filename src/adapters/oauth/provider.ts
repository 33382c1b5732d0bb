/**
 * mcpm's side of the SDK's OAuth client (`OAuthClientProvider`, driven by `auth()` in
 * @modelcontextprotocol/sdk/client/auth.js, which does discovery, registration, PKCE, the
 * resource indicator and refresh). Two providers:
 *
 * - StoredLoginProvider: every command that connects to a remote server (install, verify, diff,
 *   approve, update, mcpm run). It hands out the stored tokens, saves refreshed ones, and never
 *   starts a sign-in: where `auth()` would send a person to the browser, it throws LoginRequired,
 *   which becomes SERVER_AUTH_REQUIRED with the hint `mcpm login NAME`. It registers no client
 *   (no `saveClientInformation`): a scan must not create clients at an authorization server.
 * - LoginProvider: `mcpm login`, in memory until the flow has succeeded.
 *
 * The SDK is imported here for types only; `auth()` is loaded when a token must be renewed.
 */
import type { OAuthClientProvider, OAuthDiscoveryState } from '@modelcontextprotocol/sdk/client/auth.js';
import type { OAuthClientInformationMixed, OAuthClientMetadata, OAuthTokens } from '@modelcontextprotocol/sdk/shared/auth.js';
import type { FetchLike } from '@modelcontextprotocol/sdk/shared/transport.js';
import { nameWord } from '../../core/shell-word.js';
import { McpmError } from '../../core/errors.js';
import { redactSecrets, type SecretValue } from '../../core/reflected-secrets.js';
import type { LoginLookup, StoredLogin, TokenStore } from './store.js';

/** A sign-in in a browser would be needed: only `mcpm login` does that. */
export class LoginRequired extends Error {
  override readonly name = 'LoginRequired';
  constructor() {
    super('a new sign-in is needed');
  }
}

/** What mcpm registers as (RFC 7591): a public client on a loopback redirect, using PKCE. */
export function clientMetadataFor(redirectUrl: string, options: { scope?: string; confidential?: boolean } = {}): OAuthClientMetadata {
  return {
    client_name: 'mcpm',
    redirect_uris: [redirectUrl],
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    token_endpoint_auth_method: options.confidential ? 'client_secret_post' : 'none',
    ...(options.scope === undefined ? {} : { scope: options.scope }),
  };
}

export class StoredLoginProvider implements OAuthClientProvider {
  private login: StoredLogin;
  /** Every token and client secret this provider has held: none may reach any output. */
  private readonly held = new Set<string>();
  /** `held` as redactSecrets takes it, made again when `held` grows: it keeps its expressions per list. */
  private heldList: SecretValue[] | undefined;
  /**
   * The OAuth error the authorization server refused the stored login with, as far as `auth()`
   * tells: it invalidates the tokens on `invalid_grant` and everything on `invalid_client` or
   * `unauthorized_client`, then fails on its retry without the original error.
   */
  refusal: 'invalid_grant' | 'invalid_client' | undefined;

  constructor(
    private readonly store: TokenStore,
    login: StoredLogin,
    private readonly now: () => number,
  ) {
    this.login = login;
    this.remember(login);
  }

  get url(): string {
    return this.login.url;
  }

  get redirectUrl(): string {
    return this.login.redirectUrl;
  }

  get clientMetadata(): OAuthClientMetadata {
    return clientMetadataFor(this.login.redirectUrl);
  }

  clientInformation(): OAuthClientInformationMixed | undefined {
    return this.login.client;
  }

  tokens(): OAuthTokens | undefined {
    return this.login.tokens;
  }

  /** The access token to send now, if there is one. */
  accessToken(): string | undefined {
    return this.login.tokens?.access_token;
  }

  async saveTokens(tokens: OAuthTokens): Promise<void> {
    const next: StoredLogin = { ...this.login, tokens, obtainedAt: this.now() };
    this.login = next;
    this.remember(next);
    // Fresh tokens win over whatever is stored: the ones they replace are spent (rotation).
    await this.store.update(next.url, () => next);
  }

  redirectToAuthorization(): never {
    throw new LoginRequired();
  }

  saveCodeVerifier(): never {
    throw new LoginRequired();
  }

  codeVerifier(): never {
    throw new LoginRequired();
  }

  /**
   * The authorization server refused the tokens (or the client). The stored tokens are dropped
   * only if they are still the ones refused: another mcpm may have refreshed them meanwhile, and
   * its fresh ones must survive our failure.
   */
  async invalidateCredentials(scope: 'all' | 'client' | 'tokens' | 'verifier' | 'discovery'): Promise<void> {
    if (scope === 'verifier') return;
    if (scope === 'discovery') {
      const { discovery: _dropped, ...rest } = this.login;
      this.login = rest;
      return;
    }
    this.refusal = scope === 'tokens' ? 'invalid_grant' : 'invalid_client';
    const refused = this.login.tokens?.access_token;
    const { tokens: _tokens, ...rest } = this.login;
    this.login = scope === 'tokens' ? rest : { ...rest, client: undefined };
    await this.store.update(this.login.url, (current) => {
      if (current === undefined || current.tokens?.access_token !== refused) return null;
      const { tokens: _gone, ...kept } = current;
      return kept;
    });
  }

  /**
   * The first thing `auth()` asks: so the login is read again here, and a refresh uses the newest
   * refresh token (another `mcpm run` of the same server may have rotated it).
   */
  async discoveryState(): Promise<OAuthDiscoveryState | undefined> {
    const fresh = await this.store.read(this.login.url);
    if (fresh.kind === 'found') {
      this.login = fresh.login;
      this.remember(fresh.login);
    }
    return this.login.discovery;
  }

  saveDiscoveryState(state: OAuthDiscoveryState): void {
    this.login = { ...this.login, discovery: state };
  }

  /** Every token and client secret this provider has held (8 characters or more). */
  heldSecrets(): string[] {
    return [...this.held];
  }

  /**
   * `text` with every token and client secret this provider held replaced by `[redacted]`, in
   * every spelling a server could give it back in (base64, hex, URL-encoded: redactSecrets), as
   * for the config's own secrets: a server's error message reaches terminals and CI logs.
   */
  redact(text: string): string {
    if (this.held.size === 0) return text;
    this.heldList ??= [...this.held].map((value) => ({ label: 'a token of "mcpm login"', value }));
    return redactSecrets(text, this.heldList);
  }

  private remember(login: StoredLogin): void {
    for (const value of [login.tokens?.access_token, login.tokens?.refresh_token, login.client?.client_secret]) {
      // Short values would redact ordinary words; real tokens and secrets are long.
      if (typeof value === 'string' && value.length >= 8 && !this.held.has(value)) {
        this.held.add(value);
        this.heldList = undefined;
      }
    }
  }
}

/** `mcpm login`'s provider: everything in memory until the flow succeeded. */
export class LoginProvider implements OAuthClientProvider {
  private client: OAuthClientInformationMixed | undefined;
  private saved: OAuthTokens | undefined;
  private verifier: string | undefined;
  private discovery: OAuthDiscoveryState | undefined;

  constructor(
    private readonly options: {
      redirectUrl: string;
      scope?: string;
      /** The `state` parameter, checked on the redirect. */
      state: string;
      /** A client the config names (hosts' `oauth.clientId`, Cursor's `auth.CLIENT_ID`); else one is registered. */
      configured?: { client_id: string; client_secret?: string };
      open(url: URL): Promise<void>;
    },
  ) {
    this.client = options.configured;
  }

  get redirectUrl(): string {
    return this.options.redirectUrl;
  }

  get clientMetadata(): OAuthClientMetadata {
    return clientMetadataFor(this.options.redirectUrl, { scope: this.options.scope, confidential: this.options.configured?.client_secret !== undefined });
  }

  state(): string {
    return this.options.state;
  }

  clientInformation(): OAuthClientInformationMixed | undefined {
    return this.client;
  }

  saveClientInformation(client: OAuthClientInformationMixed): void {
    this.client = client;
  }

  tokens(): OAuthTokens | undefined {
    return this.saved;
  }

  saveTokens(tokens: OAuthTokens): void {
    this.saved = tokens;
  }

  redirectToAuthorization(url: URL): Promise<void> {
    return this.options.open(url);
  }

  saveCodeVerifier(verifier: string): void {
    this.verifier = verifier;
  }

  codeVerifier(): string {
    if (this.verifier === undefined) throw new Error('Assertion failed: no PKCE code verifier was saved before the code came back');
    return this.verifier;
  }

  discoveryState(): OAuthDiscoveryState | undefined {
    return this.discovery;
  }

  saveDiscoveryState(state: OAuthDiscoveryState): void {
    this.discovery = state;
  }

  /** What the flow obtained; undefined until it succeeded. */
  result(): { client: OAuthClientInformationMixed; tokens: OAuthTokens; discovery: OAuthDiscoveryState | undefined } | undefined {
    if (this.client === undefined || this.saved === undefined) return undefined;
    return { client: this.client, tokens: this.saved, discovery: this.discovery };
  }
}

/**
 * The bearer token of `mcpm run`'s remote side, which speaks HTTP itself (it forwards the host's
 * bytes as they are). On a 401 it renews through the SDK's `auth()`: a refresh, or LoginRequired.
 */
export interface BearerAuth {
  /** `Bearer <token>`, or undefined when no token is held. */
  header(): string | undefined;
  /**
   * After a 401 to a request sent with `sent`: true when a new token is there to retry with.
   * Concurrent calls share one renewal; a token renewed since `sent` is taken at once.
   */
  renew(response: Response, sent: string | undefined): Promise<boolean>;
}

export function bearerAuth(provider: StoredLoginProvider, serverUrl: URL, fetchFn?: FetchLike): BearerAuth {
  let renewing: Promise<boolean> | undefined;
  const header = (): string | undefined => {
    const token = provider.accessToken();
    return token === undefined ? undefined : `Bearer ${token}`;
  };
  return {
    header,
    renew(response, sent) {
      if (header() !== sent && header() !== undefined) return Promise.resolve(true);
      renewing ??= (async () => {
        const { auth, extractWWWAuthenticateParams } = await import('@modelcontextprotocol/sdk/client/auth.js');
        const { resourceMetadataUrl, scope } = extractWWWAuthenticateParams(response);
        try {
          const result = await auth(provider, {
            serverUrl,
            ...(resourceMetadataUrl === undefined ? {} : { resourceMetadataUrl }),
            ...(scope === undefined ? {} : { scope }),
            ...(fetchFn === undefined ? {} : { fetchFn }),
          });
          return result === 'AUTHORIZED' && header() !== undefined;
        } catch {
          // LoginRequired, a refused refresh, an unreachable authorization server: all mean "sign in again".
          return false;
        }
      })().finally(() => {
        renewing = undefined;
      });
      return renewing;
    },
  };
}

/** The stored logins, as the commands that connect to remote servers use them. */
export interface LoginAccess {
  /** `mcpm … login NAME`, with the options that reach the same config. */
  loginCommand(server: string): string;
  /** A provider for the stored login of exactly this URL; else why there is none to use (no secret in it). */
  find(url: string): Promise<{ provider: StoredLoginProvider } | { problem?: string }>;
}

/**
 * `openStore` is called when a login is first looked for; a store that cannot be opened or read
 * (no HOME in a host's environment, an unreadable directory) is a problem of the login, not of the
 * command: a server may need no login at all.
 */
export function storedLogins(openStore: () => TokenStore, now: () => number, command: string): LoginAccess {
  let store: TokenStore | undefined;
  return {
    loginCommand: (server) => `${command} login ${nameWord(server)}`,
    async find(url) {
      let found: LoginLookup;
      try {
        store ??= openStore();
        found = await store.read(url);
      } catch (error) {
        if (!(error instanceof McpmError)) throw error;
        return { problem: `the stored logins cannot be read: ${error.message}` };
      }
      if (found.kind === 'none') return {};
      if (found.kind === 'unusable') return { problem: `its stored login cannot be used: ${found.reason}` };
      if (found.login.tokens === undefined) return { problem: 'its stored login was refused by the server and has ended' };
      return { provider: new StoredLoginProvider(store, found.login, now) };
    },
  };
}
