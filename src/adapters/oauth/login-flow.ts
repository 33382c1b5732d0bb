/**
 * The sign-in of `mcpm login NAME`, following the MCP authorization spec as the SDK's `auth()`
 * implements it: a first request to the server, whose 401 names the protected-resource metadata
 * (RFC 9728) in WWW-Authenticate; the authorization server's metadata (RFC 8414 or OpenID
 * discovery); dynamic client registration (RFC 7591) unless the config names a client; the
 * authorization code flow with PKCE (S256) and the resource indicator (RFC 8707); the redirect to
 * a loopback listener on 127.0.0.1 (RFC 8252: any free port, unless the config fixes one); the
 * code exchanged for tokens. Nothing is stored here: the caller stores the result.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { FetchLike } from '@modelcontextprotocol/sdk/shared/transport.js';
import { McpmError } from '../../core/errors.js';
import { jsonQuote } from '../../core/json-strict.js';
import type { OAuthSettings } from '../../core/launch/parse.js';
import { querySecretsOf, redactSecrets } from '../../core/reflected-secrets.js';
import { REMOTE_UNREACHABLE_HINT } from '../../core/launch/remote-url.js';
import { openInBrowser, type BrowserPlace } from '../browser.js';
import { LoginProvider } from './provider.js';
import type { StoredLogin } from './store.js';

export interface LoginRequest {
  server: string;
  url: URL;
  transport: 'http' | 'sse';
  /** The config's headers, resolved: sent with the first request only, as the server expects them. */
  headers: Readonly<Record<string, string>>;
  settings: OAuthSettings;
  /** Where to open the browser; null: only print the URL (`--no-browser`). */
  browser: BrowserPlace | null;
  /** A line for the person signing in (raw: the caller escapes it). */
  tell(text: string): void;
  signal: AbortSignal;
  /** How long to wait for the browser to come back. */
  waitMs: number;
  now(): number;
}

export type LoginOutcome =
  /** The server answered the first request without asking for authorization. */
  | { kind: 'not-required'; status: number }
  | { kind: 'signed-in'; login: StoredLogin };

export async function signIn(request: LoginRequest): Promise<LoginOutcome> {
  const { server, url, signal } = request;
  const quoted = jsonQuote(server);
  const fetchFn: FetchLike = (input, init) => fetch(input, { ...init, signal: init?.signal ? AbortSignal.any([init.signal, signal]) : signal });

  const first = await firstRequest(request, fetchFn);
  if (first.status !== 401) return { kind: 'not-required', status: first.status };

  const { auth, extractWWWAuthenticateParams } = await import('@modelcontextprotocol/sdk/client/auth.js');
  const { resourceMetadataUrl, scope: askedScope } = extractWWWAuthenticateParams(first);
  // The authorization server's own words (error codes, descriptions); never a token: none is held
  // yet. They, and the SDK's, may quote the server's URL whole (`… does not match expected <url>`,
  // an error_description naming the resource), whose query values can be keys: taken out, as
  // everywhere the URL is shown, and before any text is cut short, which would leave part of one.
  const keys = querySecretsOf(url.href);
  const redact = (text: string) => redactSecrets(text, keys);
  const listener = await Loopback.listen(request.settings, signal, redact);
  try {
    const state = randomBytes(24).toString('base64url');
    listener.expect(state);
    const configured = request.settings.clientId === undefined ? undefined : { client_id: request.settings.clientId, ...(request.settings.clientSecret === undefined ? {} : { client_secret: request.settings.clientSecret }) };
    const scope = request.settings.scopes ?? askedScope;
    const provider = new LoginProvider({
      redirectUrl: listener.redirectUrl,
      state,
      ...(scope === undefined ? {} : { scope }),
      ...(configured === undefined ? {} : { configured }),
      open: async (authorizationUrl) => {
        const opened = request.browser !== null && (await openInBrowser(authorizationUrl.href, request.browser));
        request.tell(opened ? `Opened the browser to sign in to ${quoted}. If it did not open, visit:\n  ${authorizationUrl.href}` : `To sign in to ${quoted}, open this URL in a browser on this machine:\n  ${authorizationUrl.href}`);
      },
    });
    const options = {
      serverUrl: url,
      fetchFn,
      ...(resourceMetadataUrl === undefined ? {} : { resourceMetadataUrl }),
      ...(scope === undefined ? {} : { scope }),
    };
    const failed = (error: unknown): McpmError => {
      if (error instanceof McpmError) {
        if (keys.length === 0) return error;
        return new McpmError(error.code, redact(error.message), error.hint, { cause: error, ...(error.detail === undefined ? {} : { detail: redact(error.detail) }) });
      }
      const text = redact(error instanceof Error ? error.message : String(error));
      return new McpmError('SERVER_AUTH_REQUIRED', `signing in to ${quoted} failed: ${jsonQuote(text, 240)}`, 'check the server\'s URL, or its "oauth" settings in the config, then run mcpm login again', { cause: error });
    };
    let result: string;
    try {
      result = await auth(provider, options);
      if (result === 'REDIRECT') {
        const code = await listener.code(request.waitMs, quoted);
        result = await auth(provider, { ...options, authorizationCode: code });
      }
    } catch (error) {
      if (signal.aborted) throw signal.reason;
      throw failed(error);
    }
    const obtained = provider.result();
    if (result !== 'AUTHORIZED' || obtained === undefined) throw failed(new Error('the authorization server gave no tokens'));
    const resource = obtained.discovery?.resourceMetadata?.resource ?? withoutFragment(url);
    return {
      kind: 'signed-in',
      login: {
        name: server,
        url: url.href,
        resource,
        issuer: obtained.tokens.issuer ?? obtained.discovery?.authorizationServerUrl ?? url.origin,
        redirectUrl: listener.redirectUrl,
        obtainedAt: request.now(),
        ...(obtained.discovery === undefined ? {} : { discovery: obtained.discovery }),
        client: obtained.client,
        tokens: obtained.tokens,
      },
    };
  } finally {
    listener.close();
  }
}

/**
 * The request a host would make first (initialize over Streamable HTTP, the event stream for
 * HTTP+SSE), to read the server's 401 and its WWW-Authenticate. The body is not read.
 */
async function firstRequest(request: LoginRequest, fetchFn: FetchLike): Promise<Response> {
  const { url, transport, headers } = request;
  const init: RequestInit =
    transport === 'sse'
      ? { method: 'GET', headers: { ...headers, accept: 'text/event-stream' }, redirect: 'manual' }
      : {
          method: 'POST',
          headers: { ...headers, accept: 'application/json, text/event-stream', 'content-type': 'application/json' },
          body: JSON.stringify({ jsonrpc: '2.0', id: 0, method: 'initialize', params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'mcpm', version: '0' } } }),
          redirect: 'manual',
        };
  let response: Response;
  try {
    response = await fetchFn(url, init);
  } catch (error) {
    if (request.signal.aborted) throw request.signal.reason;
    const code = (error as { cause?: { code?: unknown } }).cause?.code;
    throw new McpmError('SERVER_SPAWN_FAILED', `server ${jsonQuote(request.server)}: cannot connect to ${url.origin}${typeof code === 'string' ? ` (${code})` : ''}`, REMOTE_UNREACHABLE_HINT, { cause: error });
  }
  await response.body?.cancel().catch(() => {});
  return response;
}

function withoutFragment(url: URL): string {
  const copy = new URL(url.href);
  copy.hash = '';
  return copy.href;
}

/** The loopback listener the authorization server redirects the browser to, with the code. */
class Loopback {
  private waiter: { state: string; resolve(code: string): void; reject(error: unknown): void } | undefined;
  private arrived: Promise<string> | undefined;

  private constructor(
    private readonly server: Server,
    readonly redirectUrl: string,
    private readonly path: string,
    /** What the authorization server's words lose before they are cut short and shown. */
    private readonly redact: (text: string) => string,
  ) {
    server.on('request', (req, res) => this.handle(req, res));
  }

  /**
   * Listens on 127.0.0.1, on the port the config fixes (Claude Code's `oauth.callbackPort`, whose
   * redirect URI says `localhost`; Gemini's `oauth.redirectUri`), else on a free one.
   */
  static async listen(settings: OAuthSettings, signal: AbortSignal, redact: (text: string) => string): Promise<Loopback> {
    let port = settings.callbackPort ?? 0;
    let path = '/callback';
    let host = '127.0.0.1';
    if (settings.redirectUri !== undefined) {
      const given = new URL(settings.redirectUri);
      port = Number(given.port || 80);
      path = given.pathname;
      host = given.hostname;
    } else if (settings.callbackPort !== undefined) {
      host = 'localhost';
    }
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', (error: NodeJS.ErrnoException) =>
        reject(new McpmError('USAGE', `cannot listen on 127.0.0.1:${port} for the sign-in's redirect (${error.code ?? error.message})`, 'free the port, or change the callback port in the config')),
      );
      server.listen(port, '127.0.0.1', () => resolve());
    });
    const bound = (server.address() as { port: number }).port;
    const loopback = new Loopback(server, `http://${host}:${bound}${path}`, path, redact);
    // Ctrl-C while waiting for the browser: stop waiting.
    signal.addEventListener('abort', () => {
      loopback.waiter?.reject(signal.reason);
      loopback.close();
    }, { once: true });
    return loopback;
  }

  /**
   * From now on, takes the redirect that carries `state` (set before the browser is opened: a
   * fast browser can come back before the flow asks for the code).
   */
  expect(state: string): void {
    const arrived = new Promise<string>((resolve, reject) => {
      this.waiter = { state, resolve, reject };
    });
    arrived.catch(() => {});
    this.arrived = arrived;
  }

  /** The code of the expected redirect; a redirect with an error, or none within `waitMs`, fails. */
  async code(waitMs: number, quoted: string): Promise<string> {
    if (this.arrived === undefined) throw new Error('Assertion failed: no redirect is expected');
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new McpmError('SERVER_AUTH_REQUIRED', `no sign-in to ${quoted} came back within ${Math.round(waitMs / 1000)} s`, 'run mcpm login again, and finish the sign-in in the browser')),
        waitMs,
      );
    });
    try {
      return await Promise.race([this.arrived, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  close(): void {
    this.server.closeAllConnections();
    this.server.close();
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const waiter = this.waiter;
    // Only the redirect of this sign-in (its `state`: RFC 6749 §10.12) is taken; anything else is ignored.
    if (req.method !== 'GET' || url.pathname !== this.path || waiter === undefined || url.searchParams.get('state') !== waiter.state) {
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('Not found\n');
      return;
    }
    this.waiter = undefined;
    const code = url.searchParams.get('code');
    const error = url.searchParams.get('error');
    if (code === null || error !== null) {
      res.writeHead(400, { 'content-type': 'text/plain; charset=utf-8' }).end('mcpm: the sign-in was not completed. You can close this window.\n');
      const description = url.searchParams.get('error_description');
      waiter.reject(
        new McpmError(
          'SERVER_AUTH_REQUIRED',
          `the authorization server ended the sign-in with ${jsonQuote(this.redact(error ?? 'no code'), 200)}${description ? `: ${jsonQuote(this.redact(description), 200)}` : ''}`,
          'run mcpm login again',
        ),
      );
      return;
    }
    res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' }).end('mcpm: signed in. You can close this window.\n');
    waiter.resolve(code);
  }
}
