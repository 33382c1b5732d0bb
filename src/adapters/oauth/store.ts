/**
 * Where `mcpm login` keeps what it obtained for a remote server: the OS keychain when there is one
 * (macOS Keychain, Windows Credential Manager, the Secret Service on Linux), else a file. Either
 * way a small record file (mode 0600, in a 0700 directory under mcpm's config directory) says
 * which server the login is for; with the file store it holds the tokens too.
 *
 * A login is keyed by the server's URL, exactly as the config gives it, and records the resource
 * (RFC 8707) its tokens were issued for. The record holds the URL with its query values masked
 * (an `?api_key=…` is a credential of its own: launch/values.ts urlParts) and a SHA-256 of the
 * whole URL to match it by; the keychain entry's account is the URL's key (keyFor), a hash too,
 * never read from the record. It is handed out only for that URL and only while the resource
 * covers it (same origin, path under the resource's), so a token never goes to another server,
 * even when a record file is edited or copied by hand.
 *
 * Nothing here prints or returns a token in a message. The keychain binding is loaded only when a
 * login is written or read (`mcpm run` of a stdio server never gets here), and every failure of it
 * falls back to the file (`MCPM_TOKEN_STORE=keychain` makes it an error instead; `file` never tries it).
 */
import { createHash } from 'node:crypto';
import { promises as fs, readdirSync } from 'node:fs';
import path from 'node:path';
import type { OAuthDiscoveryState } from '@modelcontextprotocol/sdk/client/auth.js';
import type { OAuthClientInformationMixed, OAuthTokens } from '@modelcontextprotocol/sdk/shared/auth.js';
import { McpmError } from '../../core/errors.js';
import { urlParts } from '../../core/launch/values.js';
import { isJsonObject, jsonQuote, parseStrictJson, type JsonObject, type JsonValue } from '../../core/json-strict.js';
import { findReflection, querySecretsOf, redactSecrets } from '../../core/reflected-secrets.js';
import { FileReadProblem, readRegularFile } from '../files.js';
import { mcpmConfigDir, type HostPlace } from '../hosts/index.js';
import { acquireAdvisoryLock } from '../lock-store.js';
import { replaceFile } from '../replace-file.js';
import { makeDirectories } from '../make-directories.js';

export const LOGIN_RECORD_VERSION = 1;
/** The keychain's service name; the account is the URL's key (keyFor), or the URL itself for records written before. */
const KEYCHAIN_SERVICE = 'mcpm';
/** A keychain that does not answer (a Secret Service that never starts) must not hold mcpm up. */
const KEYCHAIN_TIMEOUT_MS = 5_000;

export type StoreMode = 'auto' | 'file' | 'keychain';
export type SecretsPlace = 'file' | 'keychain';

/** One login: for which server, issued by whom, for which resource, and the client and tokens. */
export interface StoredLogin {
  /** The config's name for the server when it logged in (for listing only; the key is the URL). */
  name: string;
  /** The server URL, as the config resolves it: tokens are sent to this URL only. */
  url: string;
  /** The resource indicator the tokens were issued for (RFC 8707); stored with its query values masked. */
  resource: string;
  /** The authorization server that issued them. */
  issuer: string;
  /** The redirect URI the client was registered with. */
  redirectUrl: string;
  /** Epoch ms when `tokens` were obtained: `expires_in` counts from here. */
  obtainedAt?: number;
  discovery?: OAuthDiscoveryState;
  client?: OAuthClientInformationMixed;
  /** Absent once the server refused them and they could not be refreshed: `mcpm login` again. */
  tokens?: OAuthTokens;
}

export type LoginLookup =
  | { kind: 'none' }
  | { kind: 'found'; login: StoredLogin; place: SecretsPlace }
  /** A record exists but cannot be used; `reason` holds no secret. */
  | { kind: 'unusable'; reason: string };

export interface LoginSummary {
  name: string;
  /** Only the origin: a URL's path or query may hold a key of its own. */
  origin: string;
  place: SecretsPlace;
  /** Epoch ms; absent when the server gave no lifetime. */
  expiresAt?: number;
  /** `signed-out`: the tokens were refused and dropped. */
  state: 'valid' | 'expired' | 'signed-out';
  refreshable: boolean;
}

export interface TokenStoreOptions {
  /** The directory of the record files (created 0700). */
  dir: string;
  mode: StoreMode;
}

/** The token store of this user: `<mcpm config dir>/credentials`, in the mode MCPM_TOKEN_STORE asks for. */
export function userTokenStore(place: HostPlace): TokenStore {
  const requested = place.env['MCPM_TOKEN_STORE'] ?? 'auto';
  if (requested !== 'auto' && requested !== 'file' && requested !== 'keychain') {
    throw new McpmError('USAGE', `MCPM_TOKEN_STORE is ${jsonQuote(requested)}`, 'set it to auto, file or keychain, or unset it');
  }
  return new TokenStore({ dir: path.join(mcpmConfigDir(place), 'credentials'), mode: requested });
}

export class TokenStore {
  readonly dir: string;
  readonly mode: StoreMode;

  constructor(options: TokenStoreOptions) {
    this.dir = options.dir;
    this.mode = options.mode;
  }

  /** The record file of a server URL (its name is a hash: the URL may hold a key of its own). */
  fileFor(url: string): string {
    return path.join(this.dir, `${keyFor(url)}.json`);
  }

  /** The login for exactly this URL, if one is stored and its resource covers the URL. */
  async read(url: string): Promise<LoginLookup> {
    const record = this.readRecord(url);
    if (record.kind !== 'record') return record;
    // A record written before the URL was masked in it holds it in clear.
    const forUrl = record.meta.urlHash === undefined ? record.meta.url === url : record.meta.urlHash === sha256Hex(url);
    if (!forUrl) return { kind: 'unusable', reason: 'the stored login is for another URL' };
    if (!resourceCovers(record.meta.resource, url)) {
      return { kind: 'unusable', reason: 'the stored tokens were issued for another resource' };
    }
    const secrets = await this.readSecrets(accountOf(record.meta, keyFor(url)), record.place, record.secrets);
    if ('reason' in secrets) return { kind: 'unusable', reason: secrets.reason };
    const { expiresAt: _expiresAt, refreshable: _refreshable, signedOut: _signedOut, urlHash: _urlHash, ...base } = record.meta;
    // The URL asked for, which the record matched: it holds it masked.
    return { kind: 'found', login: { ...base, url, ...secrets }, place: record.place };
  }

  /**
   * Stores a login (replacing any for its URL). Returns where the secrets went and, when the
   * keychain was tried and failed, why (no secret in it).
   */
  async write(login: StoredLogin): Promise<{ place: SecretsPlace; keychainProblem?: string }> {
    return this.locked(login.url, () => this.writeUnlocked(login));
  }

  /**
   * Read, change and write one login under the store's lock for that URL: concurrent refreshes by
   * several `mcpm run` sessions must not drop each other's tokens. `change` returns the new login,
   * or null to leave it as it is.
   */
  async update(url: string, change: (current: StoredLogin | undefined) => StoredLogin | null): Promise<void> {
    await this.locked(url, async () => {
      const current = await this.read(url);
      const next = change(current.kind === 'found' ? current.login : undefined);
      if (next !== null) await this.writeUnlocked(next);
    });
  }

  /** Forgets the login of a URL (record and keychain entry). False when there was none. */
  async remove(url: string): Promise<boolean> {
    return this.removeFile(this.fileFor(url));
  }

  /** Forgets the login whose record is `file` (and its keychain entry). False when there was none. */
  private async removeFile(file: string): Promise<boolean> {
    return this.lockedFile(file, async () => {
      const record = this.parseRecordFile(file);
      if (record.kind === 'none') return false;
      if (record.kind === 'record' && record.place === 'keychain') {
        try {
          // By the key the file is named by: the entry of the URL it was written for.
          await (await keychainEntry(accountOf(record.meta, path.basename(file, '.json')))).deleteCredential(AbortSignal.timeout(KEYCHAIN_TIMEOUT_MS));
        } catch (error) {
          throw new McpmError('TOKEN_STORE_FAILED', `cannot delete the keychain entry of this login: ${keychainReason(error)}`, 'delete the "mcpm" entry in the OS keychain by hand');
        }
      }
      await fs.rm(file, { force: true }).catch((error: unknown) => {
        throw storeError(`cannot delete ${file}`, error);
      });
      return true;
    });
  }

  /** Forgets every login made under this server name (its config entry may be gone). Returns how many. */
  async removeByName(name: string): Promise<number> {
    let removed = 0;
    // By their files: a record holds its URL masked, which names no file.
    for (const record of this.records()) {
      if (record.meta.name === name && (await this.removeFile(record.file))) removed += 1;
    }
    return removed;
  }

  /** Every stored login, without reading a secret from the keychain. */
  async list(now: number): Promise<LoginSummary[]> {
    const out: LoginSummary[] = [];
    for (const { meta, place, secrets } of this.records()) {
      const tokens = place === 'file' ? secrets?.tokens : undefined;
      const expiresAt = place === 'file' ? expiryOf({ ...meta, tokens }) : meta.expiresAt;
      const signedOut = place === 'file' ? tokens === undefined : meta.signedOut === true;
      out.push({
        name: meta.name,
        origin: originOf(meta.url),
        place,
        ...(expiresAt === undefined ? {} : { expiresAt }),
        state: signedOut ? 'signed-out' : expiresAt !== undefined && expiresAt <= now ? 'expired' : 'valid',
        refreshable: place === 'file' ? typeof tokens?.refresh_token === 'string' : meta.refreshable === true,
      });
    }
    return out;
  }

  /** The record files that read as records (others are not this mcpm's: left alone). */
  private records(): (Extract<RecordRead, { kind: 'record' }> & { file: string })[] {
    let names: string[];
    try {
      names = readdirSync(this.dir);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw storeError(`cannot read ${this.dir}`, error);
    }
    const out: (Extract<RecordRead, { kind: 'record' }> & { file: string })[] = [];
    for (const name of names.filter((n) => /^[0-9a-f]{32}\.json$/.test(n)).sort()) {
      const file = path.join(this.dir, name);
      const record = this.parseRecordFile(file);
      if (record.kind === 'record') out.push({ ...record, file });
    }
    return out;
  }

  private async locked<T>(url: string, body: () => Promise<T>): Promise<T> {
    return this.lockedFile(this.fileFor(url), body);
  }

  private async lockedFile<T>(file: string, body: () => Promise<T>): Promise<T> {
    await this.ensureDir();
    const release = await acquireAdvisoryLock(file, file, 10_000);
    try {
      return await body();
    } finally {
      await release();
    }
  }

  private async ensureDir(): Promise<void> {
    try {
      // The parent (mcpm's own directory) is private too: it holds the host locks.
      makeDirectories(this.dir, 0o700);
      await fs.chmod(this.dir, 0o700);
    } catch (error) {
      throw storeError(`cannot create ${this.dir}`, error);
    }
  }

  private async writeUnlocked(login: StoredLogin): Promise<{ place: SecretsPlace; keychainProblem?: string }> {
    const { client, tokens, name, url, resource, issuer, redirectUrl, obtainedAt, discovery } = login;
    // The URL masked, and matched by its hash: a query value may be a key (`?api_key=…`). So is
    // the resource, the URL itself when the server published none (resourceCovers reads its origin
    // and path only). What the servers published (the resource, the issuer, the discovery
    // documents) may echo a query value anywhere, as a server knows its key: the record's
    // metadata must not hold it even so. A resource or issuer is kept redacted (a resource that no
    // longer covers the URL leaves the login unusable, never sent elsewhere); a discovery is then
    // not kept at all, and the next renewal discovers again. The client and the tokens are kept as
    // issued: they are the secrets themselves, in the keychain or this private file.
    const keys = querySecretsOf(url);
    const keptDiscovery = discovery !== undefined && findReflection(discovery as unknown as JsonValue, keys) === undefined ? discovery : undefined;
    const meta = {
      name,
      url: urlParts(url).masked,
      urlHash: sha256Hex(url),
      resource: redactSecrets(urlParts(resource).masked, keys),
      issuer: redactSecrets(issuer, keys),
      redirectUrl,
      ...(obtainedAt === undefined ? {} : { obtainedAt }),
      ...(keptDiscovery === undefined ? {} : { discovery: keptDiscovery }),
    };
    const secrets: Secrets = { ...(client === undefined ? {} : { client }), ...(tokens === undefined ? {} : { tokens }) };
    // A record written before held its secrets under the URL as the keychain account: moved.
    const before = this.readRecord(url);
    const legacyAccount = before.kind === 'record' && before.place === 'keychain' && before.meta.urlHash === undefined && before.meta.url === url ? url : undefined;
    let place: SecretsPlace = 'file';
    let keychainProblem: string | undefined;
    if (this.mode !== 'file') {
      try {
        await (await keychainEntry(keyFor(url))).setPassword(JSON.stringify(secrets), AbortSignal.timeout(KEYCHAIN_TIMEOUT_MS));
        place = 'keychain';
      } catch (error) {
        keychainProblem = keychainReason(error);
        if (this.mode === 'keychain') {
          throw new McpmError('TOKEN_STORE_FAILED', `the OS keychain cannot be written: ${keychainProblem}`, 'unset MCPM_TOKEN_STORE to fall back to a private file');
        }
      }
    }
    const expiresAt = expiryOf(login);
    const record: JsonObject = {
      '//': 'Written by "mcpm login": one OAuth login for a remote server. Private (0600). "mcpm logout NAME" removes it.',
      mcpmLogin: LOGIN_RECORD_VERSION,
      ...(meta as unknown as JsonObject),
      place,
      ...(place === 'keychain'
        ? { ...(expiresAt === undefined ? {} : { expiresAt }), refreshable: typeof tokens?.refresh_token === 'string', signedOut: tokens === undefined }
        : { secrets: secrets as unknown as JsonObject }),
    };
    try {
      // Created 0600 before a byte is written (replaceFile opens the temp file with the mode).
      await replaceFile(this.fileFor(login.url), `${JSON.stringify(record, null, 2)}\n`, 0o600);
    } catch (error) {
      throw storeError(`cannot write ${this.fileFor(login.url)}`, error);
    }
    // Best effort: an entry left behind under the URL holds secrets nothing reads any more.
    if (legacyAccount !== undefined) await (await keychainEntry(legacyAccount)).deleteCredential(AbortSignal.timeout(KEYCHAIN_TIMEOUT_MS)).catch(() => undefined);
    return { place, ...(keychainProblem === undefined ? {} : { keychainProblem }) };
  }

  private readRecord(url: string): RecordRead {
    return this.parseRecordFile(this.fileFor(url));
  }

  private parseRecordFile(file: string): RecordRead {
    let text: string;
    try {
      const read = readRegularFile(file, { noFollow: true, maxBytes: 1024 * 1024 });
      if (read === null) return { kind: 'none' };
      text = read.text;
    } catch (error) {
      if (error instanceof FileReadProblem) return { kind: 'unusable', reason: `${file} ${error.message}` };
      throw error;
    }
    let json;
    try {
      json = parseStrictJson(text);
    } catch {
      return { kind: 'unusable', reason: `${file} is not valid JSON` };
    }
    const strings = ['name', 'url', 'resource', 'issuer', 'redirectUrl'] as const;
    if (!isJsonObject(json) || json['mcpmLogin'] !== LOGIN_RECORD_VERSION || !strings.every((k) => typeof json[k] === 'string')) {
      return { kind: 'unusable', reason: `${file} is not a login record of this mcpm` };
    }
    const place = json['place'] === 'keychain' ? 'keychain' : 'file';
    const secrets = isJsonObject(json['secrets']) ? (json['secrets'] as unknown as Secrets) : undefined;
    // Only the known fields: what is read is written back (update), and nothing else may ride along.
    const number = (key: string) => (typeof json[key] === 'number' ? { [key]: json[key] } : {});
    const meta = {
      name: json['name'],
      url: json['url'],
      resource: json['resource'],
      issuer: json['issuer'],
      redirectUrl: json['redirectUrl'],
      ...number('obtainedAt'),
      ...number('expiresAt'),
      ...(isJsonObject(json['discovery']) ? { discovery: json['discovery'] } : {}),
      ...(typeof json['urlHash'] === 'string' ? { urlHash: json['urlHash'] } : {}),
      ...(typeof json['refreshable'] === 'boolean' ? { refreshable: json['refreshable'] } : {}),
      ...(typeof json['signedOut'] === 'boolean' ? { signedOut: json['signedOut'] } : {}),
    } as unknown as RecordMeta;
    return { kind: 'record', meta, place, secrets };
  }

  private async readSecrets(account: string, place: SecretsPlace, inFile: Secrets | undefined): Promise<Secrets | { reason: string }> {
    if (place === 'file') return inFile ?? {};
    let text: string | null;
    try {
      text = await (await keychainEntry(account)).getPassword(AbortSignal.timeout(KEYCHAIN_TIMEOUT_MS));
    } catch (error) {
      return { reason: `the OS keychain cannot be read here (${keychainReason(error)})` };
    }
    if (text === null) return { reason: 'its keychain entry is gone' };
    try {
      const json = parseStrictJson(text);
      return isJsonObject(json) ? (json as unknown as Secrets) : { reason: 'its keychain entry is not a login of this mcpm' };
    } catch {
      return { reason: 'its keychain entry is not a login of this mcpm' };
    }
  }
}

interface Secrets {
  client?: OAuthClientInformationMixed;
  tokens?: OAuthTokens;
}

/**
 * What a record file says besides the secrets; for the keychain, what `list` shows without reading
 * it. `url` is masked (urlParts) and `urlHash` is the SHA-256 of the whole URL, except in records
 * written before, which hold the URL in clear and no hash.
 */
type RecordMeta = Omit<StoredLogin, 'client' | 'tokens'> & { expiresAt?: number; refreshable?: boolean; signedOut?: boolean; urlHash?: string };

/** The key of a URL's login: its record file's name, and its keychain entry's account. */
function keyFor(url: string): string {
  return sha256Hex(url).slice(0, 32);
}

function sha256Hex(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/**
 * The keychain account of the secrets of the record named `key` (keyFor of its URL): that key,
 * which the record does not say, so an edited record cannot lead to another login's entry. A
 * record written before kept them under its URL, taken only when the URL is the one the key is of.
 */
function accountOf(meta: RecordMeta, key: string): string {
  return meta.urlHash === undefined && keyFor(meta.url) === key ? meta.url : key;
}

type RecordRead = { kind: 'none' } | { kind: 'unusable'; reason: string } | { kind: 'record'; meta: RecordMeta; place: SecretsPlace; secrets: Secrets | undefined };

/** When the access token expires, if the server said (epoch ms). */
export function expiryOf(login: Pick<StoredLogin, 'obtainedAt' | 'tokens'>): number | undefined {
  const seconds = login.tokens?.expires_in;
  return typeof seconds === 'number' && login.obtainedAt !== undefined ? login.obtainedAt + seconds * 1000 : undefined;
}

/**
 * Whether tokens issued for `resource` may be sent to `url`: same origin, and the URL's path at or
 * under the resource's (RFC 8707 resources name a server or a part of it). The SDK's
 * checkResourceAllowed, here without loading the SDK.
 */
export function resourceCovers(resource: string, url: string): boolean {
  let r: URL;
  let u: URL;
  try {
    r = new URL(resource);
    u = new URL(url);
  } catch {
    return false;
  }
  if (r.origin !== u.origin) return false;
  const slash = (p: string) => (p.endsWith('/') ? p : `${p}/`);
  return slash(u.pathname).startsWith(slash(r.pathname));
}

export function originOf(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return '(not a URL)';
  }
}

type KeyringEntry = InstanceType<typeof import('@napi-rs/keyring').AsyncEntry>;
let keyring: Promise<typeof import('@napi-rs/keyring')> | undefined;

/** One keychain entry; throws when there is no keychain binding for this platform or no keychain. */
async function keychainEntry(account: string): Promise<KeyringEntry> {
  const { AsyncEntry } = await (keyring ??= import('@napi-rs/keyring'));
  // Linux: the Secret Service only. The binding's fallback, the kernel keyring, forgets
  // everything at logout, which would silently lose the refresh token.
  return new AsyncEntry(KEYCHAIN_SERVICE, account, { linux: { store: 'secret-service' } });
}

function keychainReason(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  // The binding's messages name the platform's problem ("DBus error: …"); one line of it.
  return jsonQuote(message.split('\n')[0]!, 160);
}

function storeError(problem: string, error: unknown): McpmError {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return new McpmError('TOKEN_STORE_FAILED', `${problem}${code ? ` (${code})` : ''}`, 'check mcpm\'s config directory and its permissions', { cause: error });
}
