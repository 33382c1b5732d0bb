/**
 * The stored form of env and header values, which makes them part of the launch identity without
 * writing them down. A value that is only `${VAR}` references is kept as written: it names where
 * the value comes from and holds no secret. Anything else is `scrypt:<salt>:<digest>`, a salted
 * slow hash: a reader of the lock who guesses a value pays one scrypt per guess and per salt, and
 * cannot look it up in a table made for other locks.
 */
import { jsonQuote } from '../json-strict.js';
import type { LaunchSpec } from './identity.js';
import type { ServerConfig } from './parse.js';

/**
 * scrypt cost: N = 2^10, r = 8, so 1 MiB of memory and about 3 ms of one core per hash. A reader
 * of the lock confirming a guess pays that for every guess, value and salt (a plain SHA-256 costs
 * well under a microsecond); `verify --offline` of 64 servers with two literal values each pays
 * 128 hashes on the thread pool, about 0.2 s on two idle cores. Measured on a 2-CPU machine under
 * load: 0.8 s without hashing, 1.2-1.7 s with N = 2^10, 2.3-3.2 s with N = 2^11.
 */
export const VALUE_HASH = { N: 1024, r: 8, p: 1, keyLength: 32, saltBytes: 16 } as const;

const REFERENCES_ONLY = /^(?:\$\{(?:env:|input:)?[A-Za-z_][A-Za-z0-9_.-]*\})+$/;
const HASHED = /^scrypt:([A-Za-z0-9_-]{22}):([A-Za-z0-9_-]{43})$/;

/**
 * True for a value made only of references without defaults (`${API_KEY}`, `${env:TOKEN}`,
 * `${input:key}`): kept verbatim. A default (`${KEY:-sk-live-…}`) or any literal text is hashed.
 */
export function isReferencesOnly(value: string): boolean {
  return REFERENCES_ONLY.test(value);
}

/** True for what the lock may hold as a value: references only, or a hashed form. */
export function isStoredValue(stored: string): boolean {
  return isReferencesOnly(stored) || HASHED.test(stored);
}

/** The salt and digest of a hashed form, or undefined. */
function hashedParts(stored: string | undefined): { salt: string; digest: string } | undefined {
  const match = stored === undefined ? undefined : HASHED.exec(stored);
  return match ? { salt: match[1]!, digest: match[2]! } : undefined;
}

export function hashedForm(salt: string, digest: string): string {
  return `scrypt:${salt}:${digest}`;
}

/** What a URL's query values are written as in the lock: their stored forms are in urlValues. */
export const MASKED = '***';

/** A remote launch's URL as the lock writes it, and the parts of it that may hold a credential. */
export interface UrlParts {
  /** The URL with each part in `parts` written as MASKED. */
  masked: string;
  /**
   * Each query parameter's value (`query.N`, N counting parameters from 1; a parameter without `=`
   * is its own value), as written, when it is more than references (isReferencesOnly): those hold
   * nothing secret and stay in the URL.
   */
  parts: Array<{ name: string; value: string }>;
}

/**
 * The parts of `url` (as written, `${VAR}` references unexpanded) that may hold a credential:
 * `https://mcp.example.com/mcp?api_key=sk-live-…` names a key that the lock must not hold in
 * clear, as it holds no env or header value in clear. Read from the text, as the URL parser reads
 * a query (which refuses a URL with references in it, and rewrites what it accepts): from the first
 * `?` to the first `#` after it, split at `&`, a `?` after a `#` being in the fragment. A reference
 * (`${…}`, to its first `}`, as it is expanded) is one opaque piece: a `#`, `?` or `&` in its default
 * (`${REGION:-eu#}`) splits nothing, as the text it stands for is unknown. Everything before the
 * query and the fragment is kept: a user name or password there is refused when mcpm connects (HTTP
 * clients do not send one), and a host read from the text could differ from the one connected to.
 * Masking a masked URL gives it back unchanged, so a lock's URL reads back as written.
 */
export function urlParts(url: string): UrlParts {
  const parts: UrlParts['parts'] = [];
  // The query's start and end, and where its parameters are split, outside references.
  let queryStart = -1;
  let queryEnd = url.length;
  const splits: number[] = [];
  for (let i = 0; i < url.length; i = afterReference(url, i)) {
    const c = url[i];
    if (c === '#') {
      queryEnd = i;
      break;
    }
    if (c === '?' && queryStart === -1) queryStart = i;
    else if (c === '&' && queryStart !== -1) splits.push(i);
  }
  if (queryStart === -1) return { masked: url, parts };
  const bounds = [queryStart, ...splits, queryEnd];
  let masked = url.slice(0, queryStart + 1);
  for (let n = 0; n + 1 < bounds.length; n++) {
    const param = url.slice(bounds[n]! + 1, bounds[n + 1]);
    let equals = -1;
    for (let i = 0; i < param.length && equals === -1; i = afterReference(param, i)) if (param[i] === '=') equals = i;
    const value = equals === -1 ? param : param.slice(equals + 1);
    if (n > 0) masked += '&';
    if (value === '' || isReferencesOnly(value)) {
      masked += param;
      continue;
    }
    parts.push({ name: `query.${n + 1}`, value });
    masked += equals === -1 ? MASKED : `${param.slice(0, equals + 1)}${MASKED}`;
  }
  return { masked: masked + url.slice(queryEnd), parts };
}

/**
 * Where the authority of `url` is: after the scheme (a `${…}` may give it) and any slashes
 * (`https:u:p@h` has one too), up to the first `/`, `\`, `?` or `#`, as the URL parser finds the
 * host; `at`, the last `@` in it (-1: none), which ends the user information. A reference is one
 * opaque piece, as in urlParts. Undefined for a text without a scheme (a reference before a `:`
 * counts as one).
 */
function authorityOf(url: string): { start: number; end: number; at: number } | undefined {
  // The URL parser drops leading control characters and spaces, and tabs and newlines anywhere.
  let lead = 0;
  while (lead < url.length && url.charCodeAt(lead) <= 0x20) lead++;
  const scheme = SCHEME_AND_SLASHES.exec(url.slice(lead));
  if (scheme === null) return undefined;
  const start = lead + scheme[0].length;
  let at = -1;
  let end = start;
  for (; end < url.length; end = afterReference(url, end)) {
    const c = url[end];
    if (c === '/' || c === '\\' || c === '?' || c === '#') break;
    if (c === '@') at = end;
  }
  return { start, end, at };
}

/** The user information of `url` (`user:token` in `https://user:token@host/…`), as written, or undefined (authorityOf). */
export function userInfoOf(url: string): { start: number; end: number; text: string } | undefined {
  const authority = authorityOf(url);
  if (authority === undefined || authority.at === -1) return undefined;
  return { start: authority.start, end: authority.at, text: url.slice(authority.start, authority.at) };
}

const SCHEME_AND_SLASHES = /^(?:[A-Za-z][A-Za-z0-9+.\-\t\n\r]*|\$\{[^}]+\}[A-Za-z0-9+.-]*):[/\\\t\n\r]*/;

/**
 * `url` as mcpm shows it (ls, diff, the review screen, messages): its query values masked as the lock
 * writes them (urlParts), and its user information too, which mcpm refuses to connect with but
 * which a config may hold (`https://x-access-token:ghp_…@…`). Nothing of the URL is shown when the
 * URL parser still finds a user name or password in what is left, other than that mask; when a
 * host and port are cut short by a `#` whose fragment has an `@` before any `/`
 * (`https://alice:2024#pass@host/mcp`, a password with a `#` in it); or when a text with a scheme
 * and an `@` is no URL to the parser at all. A password with a `/` or `?` in it
 * (`https://alice:2024/pass@host`) is, to the parser and to mcpm, a host, a port and a path or a
 * query: shown as the URL mcpm would connect to, a query masked as any.
 */
export function shownUrl(url: string): string {
  const authority = authorityOf(url);
  if (authority !== undefined && authority.at === -1 && url[authority.end] === '#' && url.slice(authority.start, authority.end).replace(REFERENCE, '').includes(':')) {
    // A fragment is never sent to a server, and one whose first `/` comes after an `@` is the rest
    // of a password (`#pass@host/mcp`), not a page's route (`#/@scope/pkg`).
    const at = url.indexOf('@', authority.end);
    const slash = url.indexOf('/', authority.end);
    if (at !== -1 && (slash === -1 || at < slash)) return MASKED;
  }
  const masked = urlParts(url).masked;
  const user = userInfoOf(masked);
  const shown = user === undefined ? masked : `${masked.slice(0, user.start)}${MASKED}${masked.slice(user.end)}`;
  // Read as written, and with each reference as its default or else as a value that is a host, a
  // port and a path alike, a scheme, or a whole base URL: `http://localhost:${PORT}/@org`,
  // `${SCHEME}://user:pw@h` and `${BASE_URL}/@org` are URLs to check, not texts the parser
  // refuses, and `https://${HOST:-user:pw@h}` holds a password.
  const asDefaultOr = (neutral: string) => shown.replace(REFERENCE, (_, body: string) => (body.includes(':-') ? body.slice(body.indexOf(':-') + 2) : neutral));
  let read = false;
  for (const text of [shown, asDefaultOr('1'), asDefaultOr('x'), asDefaultOr('http://h/')]) {
    let parsed: URL;
    try {
      parsed = new URL(text);
    } catch {
      continue;
    }
    read = true;
    if ((parsed.username !== '' && parsed.username !== MASKED) || parsed.password !== '') return MASKED;
  }
  // No URL in any reading (`https://alice:s3cret#pass@host`, whose "port" is not one): an @ in a
  // text with a scheme may end a password cut short. It cannot be connected to; it is not shown
  // either. Without a scheme (git's `git@github.com:org/repo`) an @ ends no password.
  return !read && authority !== undefined && url.includes('@') ? MASKED : shown;
}

/** A `${…}` reference, to its first `}`, as afterReference reads one; its body captured. */
const REFERENCE = /\$\{([^}]+)\}/g;

/** The index after the character at `i`, or after the whole reference (`${…}`, to its first `}`) that starts there. */
function afterReference(text: string, i: number): number {
  if (text[i] === '$' && text[i + 1] === '{') {
    const close = text.indexOf('}', i + 2);
    if (close > i + 2) return close + 1;
  }
  return i + 1;
}

/** The env values of a local server, the header values of a remote one; undefined when there are none. */
function valuesOf(server: ServerConfig): Record<string, string> | undefined {
  const values = server.launch.transport === 'stdio' ? server.env : server.headers;
  return Object.keys(values).length === 0 ? undefined : values;
}

/** The stored values of a launch spec (envValues or headerValues). */
export function storedValuesOf(launch: LaunchSpec): Record<string, string> | undefined {
  return launch.transport === 'stdio' ? launch.envValues : launch.headerValues;
}

/** Whether binding gives `server` stored values: env or header values, or query values of its URL. */
export function hasBoundValues(server: ServerConfig): boolean {
  return valuesOf(server) !== undefined || (server.launch.transport !== 'stdio' && urlParts(server.launch.url).parts.length > 0);
}

/**
 * What has to be hashed to bind one value: reused salt when the lock has one for this name, so a
 * re-lock writes the same bytes. `url`: a query value of the URL (urlParts), stored in urlValues.
 */
export interface ValueJob {
  name: string;
  value: string;
  salt: string;
  /** The lock's digest for this name, whose salt this is: the digest the value has if it is unchanged. */
  locked?: string;
  url?: true;
}

/** The key of a job's digest in boundLaunch's map: a URL part's name may be a header's too. */
export function jobKey(job: Pick<ValueJob, 'name' | 'url'>): string {
  return job.url ? `url\u0000${job.name}` : job.name;
}

/** The values of `server` that need a digest, each with the salt to use (the locked one for the same name, else `freshSalt()`). */
export function valueJobs(server: ServerConfig, locked: LaunchSpec | undefined, freshSalt: () => string): ValueJob[] {
  const jobs: ValueJob[] = [];
  const values = valuesOf(server);
  const lockedValues = locked === undefined ? undefined : storedValuesOf(locked);
  for (const name of Object.keys(values ?? {})) {
    const value = values![name]!;
    if (isReferencesOnly(value)) continue;
    jobs.push({ name, value, ...lockedSalt(lockedValues?.[name], freshSalt) });
  }
  if (server.launch.transport !== 'stdio') {
    const lockedUrl = locked?.transport === 'stdio' ? undefined : locked?.urlValues;
    for (const { name, value } of urlParts(server.launch.url).parts) jobs.push({ name, value, ...lockedSalt(lockedUrl?.[name], freshSalt), url: true });
  }
  return jobs;
}

/** The salt and digest of the lock's stored form, or a fresh salt when it has none. */
function lockedSalt(stored: string | undefined, freshSalt: () => string): Pick<ValueJob, 'salt' | 'locked'> {
  const parts = hashedParts(stored);
  return parts ? { salt: parts.salt, locked: parts.digest } : { salt: freshSalt() };
}

/**
 * The server's launch identity: its launch spec with each value in its stored form, given the
 * digests of its valueJobs (by jobKey). The one function verify, install, diff, approve and the
 * guard compare with, so all of them agree.
 */
export function boundLaunch(server: ServerConfig, digests: ReadonlyMap<string, string>): LaunchSpec {
  const values = valuesOf(server);
  let launch = server.launch;
  if (values !== undefined) {
    const stored = Object.create(null) as Record<string, string>;
    for (const name of Object.keys(values).sort()) {
      const value = values[name]!;
      const hashed = digests.get(name);
      if (!isReferencesOnly(value) && hashed === undefined) throw new Error(`Assertion failed: no digest for value ${jsonQuote(name)}`);
      stored[name] = isReferencesOnly(value) ? value : hashed!;
    }
    launch = launch.transport === 'stdio' ? { ...launch, envValues: stored } : { ...launch, headerValues: stored };
  }
  if (launch.transport !== 'stdio') {
    const parts = urlParts(launch.url).parts;
    if (parts.length > 0) {
      const stored = Object.create(null) as Record<string, string>;
      for (const { name } of [...parts].sort((a, b) => (a.name < b.name ? -1 : 1))) {
        const hashed = digests.get(jobKey({ name, url: true }));
        if (hashed === undefined) throw new Error(`Assertion failed: no digest for the URL's ${jsonQuote(name)}`);
        stored[name] = hashed;
      }
      launch = { ...launch, urlValues: stored };
    }
  }
  return launch;
}
