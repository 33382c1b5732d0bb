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

/** The salt of a hashed form, or undefined. */
export function saltOf(stored: string | undefined): string | undefined {
  return stored === undefined ? undefined : HASHED.exec(stored)?.[1];
}

export function hashedForm(salt: string, digest: string): string {
  return `scrypt:${salt}:${digest}`;
}

/** The env values of a local server, the header values of a remote one; undefined when there are none. */
export function valuesOf(server: ServerConfig): Record<string, string> | undefined {
  const values = server.launch.transport === 'stdio' ? server.env : server.headers;
  return Object.keys(values).length === 0 ? undefined : values;
}

/** The stored values of a launch spec (envValues or headerValues). */
export function storedValuesOf(launch: LaunchSpec): Record<string, string> | undefined {
  return launch.transport === 'stdio' ? launch.envValues : launch.headerValues;
}

/** What has to be hashed to bind one value: reused salt when the lock has one for this name, so a re-lock writes the same bytes. */
export interface ValueJob {
  name: string;
  value: string;
  salt: string;
}

/** The values of `server` that need a digest, each with the salt to use (the locked one for the same name, else `freshSalt()`). */
export function valueJobs(server: ServerConfig, locked: LaunchSpec | undefined, freshSalt: () => string): ValueJob[] {
  const values = valuesOf(server);
  if (values === undefined) return [];
  const lockedValues = locked === undefined ? undefined : storedValuesOf(locked);
  const jobs: ValueJob[] = [];
  for (const name of Object.keys(values)) {
    const value = values[name]!;
    if (isReferencesOnly(value)) continue;
    jobs.push({ name, value, salt: saltOf(lockedValues?.[name]) ?? freshSalt() });
  }
  return jobs;
}

/**
 * The server's launch identity: its launch spec with each value in its stored form, given the
 * digests of its valueJobs (by name). The one function verify, install, diff, approve and the
 * guard compare with, so all of them agree.
 */
export function boundLaunch(server: ServerConfig, digests: ReadonlyMap<string, string>): LaunchSpec {
  const values = valuesOf(server);
  if (values === undefined) return server.launch;
  const stored = Object.create(null) as Record<string, string>;
  for (const name of Object.keys(values).sort()) {
    const value = values[name]!;
    const hashed = digests.get(name);
    if (!isReferencesOnly(value) && hashed === undefined) throw new Error(`Assertion failed: no digest for value ${jsonQuote(name)}`);
    stored[name] = isReferencesOnly(value) ? value : hashed!;
  }
  return server.launch.transport === 'stdio' ? { ...server.launch, envValues: stored } : { ...server.launch, headerValues: stored };
}
