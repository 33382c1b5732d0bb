/**
 * Secrets a server echoes back. A server gets its configured values (an API key in `env`, a token
 * in a header) and can copy them into what it shows: `serverInfo.version`, a description, a
 * schema default. Locked, that text lands in a committed file. So before a snapshot is used, every
 * string in it (keys included) is searched for every configured secret value, as written and in the
 * encodings a copy most likely takes: base64 (standard and URL-safe, at any byte alignment), hex,
 * and percent-encoding.
 */
import { escapePointerToken } from './changes.js';
import { escapeRegExp } from './escape-regexp.js';
import { McpmError } from './errors.js';
import { jsonQuote, type JsonValue } from './json-strict.js';
import { resolveVariables, variableReferences, type VariableContext } from './launch/expand.js';
import type { ServerConfig } from './launch/parse.js';
import { urlParts } from './launch/values.js';

/**
 * Shorter values are not searched for: they are words, numbers and flags ("1", "true", "debug",
 * "8080") that occur in ordinary descriptions, so matching them would refuse honest servers, while
 * credentials are longer (API keys and tokens run from 20 to well over 40 characters).
 */
export const MIN_SECRET_LENGTH = 8;

/** A value to look for and what it is, in words that hold no part of it (`env "API_KEY"`). */
export interface SecretValue {
  label: string;
  value: string;
}

/** References that stand for this machine's paths, not for secrets. */
const PATH_REFERENCES = new Set(['userHome', 'workspaceFolder', 'workspaceFolderBasename', 'pathSeparator', '/']);

/** A query value as a server may read it: percent-decoded, and with `+` as a space too; none for malformed text. */
function queryDecodings(value: string): string[] {
  const decode = (text: string): string | undefined => {
    try {
      return decodeURIComponent(text);
    } catch {
      return undefined;
    }
  };
  return [decode(value), decode(value.replace(/\+/g, ' '))].filter((d): d is string => d !== undefined && d !== value);
}

/**
 * The values of a server's launch that count as secrets: every header value; every value a `${…}`
 * reference resolves to, wherever it is used (env, args, url, headers), paths of the machine
 * excepted; and env values and a URL's query values written literally in the config
 * that look like credentials rather than words or paths (a digit in them), and so taken from the
 * entry's env file (`loaded`); every header
 * its headers helper printed. Only those of MIN_SECRET_LENGTH or more characters.
 */
export function secretValuesOf(
  server: ServerConfig,
  env: Readonly<Record<string, string | undefined>>,
  context: VariableContext = {},
  loaded: LoadedValues = {},
): SecretValue[] {
  const found: SecretValue[] = [];
  // A Set, not a search of `found`: an env file may give hundreds of values.
  const seen = new Set<string>();
  const add = (label: string, value: string) => {
    if (value.length < MIN_SECRET_LENGTH || seen.has(value)) return;
    seen.add(value);
    found.push({ label, value });
  };
  const resolve = (value: string) => resolveVariables(value, env, '', context, []);
  const launch = server.launch;
  const fields: [string, string][] =
    launch.transport === 'stdio'
      ? [['command', launch.command], ...launch.args.map((a, i): [string, string] => [`args[${i}]`, a]), ...(launch.cwd === undefined ? [] : [['cwd', launch.cwd] as [string, string]]), ...(launch.envFile === undefined ? [] : [['envFile', launch.envFile] as [string, string]])]
      : [['url', launch.url]];
  for (const [name, value] of Object.entries(server.headers)) {
    fields.push([`header ${jsonQuote(name)}`, value]);
    for (const part of headerValueParts(resolve(value))) add(`header ${jsonQuote(name)}`, part);
  }
  for (const [name, value] of Object.entries(server.env)) {
    fields.push([`env ${jsonQuote(name)}`, value]);
    if (variableReferences(value).length === 0 && /\d/.test(value)) add(`env ${jsonQuote(name)}`, value);
  }
  // A URL's query values are bound as credentials (launch/values.ts): written
  // literally, those that look like one (a digit in them) are secrets as literal env values are.
  if (launch.transport !== 'stdio') {
    for (const part of urlParts(launch.url).parts) {
      if (variableReferences(part.value).length > 0 || !/\d/.test(part.value)) continue;
      add(`the URL's ${part.name}`, part.value);
      // The server reads it decoded (`%2B` is `+`, and in a query `+` is a space), and may show it so.
      for (const decoded of queryDecodings(part.value)) add(`the URL's ${part.name}`, decoded);
    }
  }
  // Values read at launch from outside the config. An env file's are taken as literal env values
  // are (a value such as "production" is a word a description may well say); a headers helper's
  // are credentials, as header values are.
  for (const [name, value] of Object.entries(loaded.envFile ?? {})) if (/\d/.test(value)) add(`envFile variable ${jsonQuote(name)}`, value);
  for (const [name, value] of Object.entries(loaded.helperHeaders ?? {})) for (const part of headerValueParts(value)) add(`header ${jsonQuote(name)} from "headersHelper"`, part);
  // What a host expanded is what a reference would have given: each is taken, as a reference's value is.
  for (const [name, value] of Object.entries(loaded.hostEnv ?? {})) add(`env ${jsonQuote(name)} as the host gave it`, value);
  for (const token of loaded.loginTokens ?? []) add('a token of "mcpm login"', token);
  for (const [label, value] of fields) {
    for (const body of variableReferences(value)) {
      if (PATH_REFERENCES.has(body)) continue;
      const resolved = resolve(`\${${body}}`);
      if (resolved !== `\${${body}}`) add(`${jsonQuote(`\${${body}}`)} in ${label}`, resolved);
    }
    if (label.startsWith('env ') && variableReferences(value).some((body) => !PATH_REFERENCES.has(body))) add(label, resolve(value));
  }
  return found;
}

/**
 * The query values of a resolved URL as secrets, each also as a server reads it (percent-decoded):
 * for what keeps or shows the URL masked (`mcpm login`'s record and messages), where any of them
 * may be a key. Not a value the masked URL itself holds (`/tenants/acme-corp/mcp?tenant=acme-corp`):
 * that one is shown anyway, and taking it out of a resource or issuer would only break them.
 */
export function querySecretsOf(url: string): SecretValue[] {
  const { masked, parts } = urlParts(url);
  const found: SecretValue[] = [];
  for (const part of parts) {
    for (const value of [part.value, ...queryDecodings(part.value)]) {
      if (value.length >= MIN_SECRET_LENGTH && !masked.includes(value)) found.push({ label: `the URL's ${part.name}`, value });
    }
  }
  return found;
}

/**
 * A header value and the credentials inside it that a server could show without the rest: the
 * token after an authorization scheme (`Bearer sk-…` → `sk-…`), and for `Basic` the decoded
 * `user:password` and the password.
 */
function headerValueParts(value: string): string[] {
  const parts = [value];
  const scheme = /^([A-Za-z][A-Za-z0-9._~+-]*) +(\S.*)$/.exec(value.trim());
  if (scheme) {
    parts.push(scheme[2]!);
    if (scheme[1]!.toLowerCase() === 'basic') {
      const decoded = Buffer.from(scheme[2]!, 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      if (colon > 0 && !decoded.includes('\uFFFD')) parts.push(decoded, decoded.slice(colon + 1));
    }
  }
  return parts;
}

/** What a launch read from outside the config, read once by whoever starts the server. */
export interface LoadedValues {
  /** The variables of the entry's `envFile`. */
  envFile?: Readonly<Record<string, string>>;
  /** The headers its `headersHelper` printed. */
  helperHeaders?: Readonly<Record<string, string>>;
  /** `mcpm run` of a guarded entry: the env values the host expanded and passed, by name. */
  hostEnv?: Readonly<Record<string, string>>;
  /** The tokens of a stored `mcpm login` sent to the server. */
  loginTokens?: readonly string[];
}

/** A configured secret found in a snapshot: where (RFC 6901 pointer), whose value, in which encoding. */
export interface Reflection {
  pointer: string;
  label: string;
  encoding: string;
}

/**
 * How a value may be spelled in a copy, each a substring to look for. `caseless`: found in any
 * case (a copy upper-cased is the same credential; base64 is not, its case is its bytes).
 */
export function spellingsOf(value: string): { encoding: string; text: string; caseless: boolean }[] {
  const bytes = Buffer.from(value, 'utf8');
  const out: { encoding: string; text: string; caseless: boolean }[] = [{ encoding: 'as written', text: value, caseless: true }];
  out.push({ encoding: 'hex', text: bytes.toString('hex'), caseless: true });
  const percent = encodeURIComponent(value);
  if (percent !== value) out.push({ encoding: 'URL-encoded', text: percent, caseless: true });
  // Base64 of a value inside a longer blob depends on where it starts within a 3-byte group: for
  // each alignment, the characters that depend on the value's bytes alone.
  for (let shift = 0; shift < 3; shift++) {
    const encoded = Buffer.concat([Buffer.alloc(shift), bytes]).toString('base64').replace(/=+$/, '');
    const start = shift === 0 ? 0 : 4;
    const whole = Math.floor((shift + bytes.length) / 3) * 4;
    const core = encoded.slice(start, (shift + bytes.length) % 3 === 0 ? encoded.length : whole);
    if (core.length < MIN_SECRET_LENGTH) continue;
    out.push({ encoding: 'base64', text: core, caseless: false });
    const url = core.replaceAll('+', '-').replaceAll('/', '_');
    if (url !== core) out.push({ encoding: 'base64url', text: url, caseless: false });
  }
  return out;
}

interface Needle {
  label: string;
  encoding: string;
  text: string;
  caseless: boolean;
}

function needlesOf(secrets: readonly SecretValue[]): Needle[] {
  return secrets.flatMap((s) => spellingsOf(s.value).map((sp) => ({ ...sp, label: s.label })));
}

/** Code units of needles joined into one expression at most: a few secrets in every spelling take a few KiB. */
const MAX_JOINED_NEEDLES = 64 * 1024;

/**
 * Whether a text may hold any needle, written as `spell` writes it (JSON-escaped, for a JSON text):
 * one search for all. Always true (the caller then looks the slow way) for needles too many or too
 * long to join: one expression of megabytes takes seconds to compile, or more memory than V8 has.
 */
function holdsAnyNeedle(needles: readonly Needle[], spell: (text: string) => string): (text: string) => boolean {
  let length = 0;
  for (const n of needles) length += n.text.length;
  if (length > MAX_JOINED_NEEDLES) return () => true;
  const pattern = (some: readonly Needle[], flags: string) => (some.length === 0 ? undefined : new RegExp(some.map((n) => escapeRegExp(spell(n.text))).join('|'), flags));
  // Two patterns, each with its own case rule: Node 20's engine has no (?i:…) for one alternative.
  const caseless = pattern(needles.filter((n) => n.caseless), 'i');
  const exact = pattern(needles.filter((n) => !n.caseless), '');
  return (text) => caseless?.test(text) === true || exact?.test(text) === true;
}

/** The first place in `value` (a snapshot's JSON) that holds one of `secrets`, or undefined. */
export function findReflection(value: JsonValue, secrets: readonly SecretValue[]): Reflection | undefined {
  if (secrets.length === 0) return undefined;
  const needles = needlesOf(secrets);
  // The common case, no copy anywhere, from one pass over the value's JSON text: every string, key
  // and number is in it, a string escaped as JSON.stringify escapes a needle alone. A hit is then
  // placed by the walk. Needles found in any case are searched case-insensitively: lower-casing a
  // snapshot's text first is a copy of megabytes.
  const json = JSON.stringify(value);
  if (!holdsAnyNeedle(needles, (text) => JSON.stringify(text).slice(1, -1))(json)) return undefined;
  const holds = (text: string): { label: string; encoding: string } | undefined => {
    const lower = text.toLowerCase();
    return needles.find((n) => (n.caseless ? lower.includes(n.text.toLowerCase()) : text.includes(n.text)));
  };
  const walk = (node: JsonValue, pointer: string): Reflection | undefined => {
    if (typeof node === 'string' || typeof node === 'number') {
      // A secret of digits echoed as a number (a schema default) is a copy too.
      const hit = holds(typeof node === 'string' ? node : JSON.stringify(node));
      return hit && { pointer, ...hit };
    }
    if (node === null || typeof node !== 'object') return undefined;
    if (Array.isArray(node)) {
      for (let i = 0; i < node.length; i++) {
        const found = walk(node[i]!, `${pointer}/${i}`);
        if (found) return found;
      }
      return undefined;
    }
    for (const key of Object.keys(node)) {
      const at = `${pointer}/${escapePointerToken(key)}`;
      const inKey = holds(key);
      if (inKey) return { pointer: at, ...inKey };
      const found = walk(node[key]!, at);
      if (found) return found;
    }
    return undefined;
  };
  return walk(value, '');
}

/**
 * `text` (a message a server's answer or output went into: an error, its stderr) with every
 * spelling of every one of `secrets` replaced by `[redacted]`: such text reaches terminals, CI
 * logs, SARIF files and telemetry.
 */
export function redactSecrets(text: string, secrets: readonly SecretValue[]): string {
  const redaction = redactionFor(secrets);
  // Most texts hold no secret: one search says so, where each spelling's replace is a search of its own.
  if (!redaction.holdsAny(text)) return text;
  let out = text;
  for (const step of redaction.steps) out = out.replace(step, REDACTED);
  return out;
}

/** What redactSecrets searches for, made once for a list of secrets. */
interface Redaction {
  /** The values it was made from, in order: a list changed since is made again. */
  values: readonly (string | undefined)[];
  holdsAny: (text: string) => boolean;
  /** One expression per spelling, longest first: a shorter spelling inside a longer one would leave the rest of it behind. */
  steps: readonly RegExp[];
}

/**
 * Kept per list: `mcpm run` redacts every string and key of every audited call's arguments with its
 * server's secrets, and making the spellings and compiling an expression for each, per string, took
 * a quarter of a millisecond a call with two secrets, five times the whole relay's round trip.
 */
const redactions = new WeakMap<readonly SecretValue[], Redaction>();

function redactionFor(secrets: readonly SecretValue[]): Redaction {
  const known = redactions.get(secrets);
  if (known !== undefined && sameValues(known.values, secrets)) return known;
  const needles = needlesOf(secrets).sort((a, b) => b.text.length - a.text.length);
  const redaction: Redaction = {
    values: valuesOf(secrets),
    holdsAny: holdsAnyNeedle(needles, (text) => text),
    steps: needles.map((n) => new RegExp(escapeRegExp(n.text), n.caseless ? 'gi' : 'g')),
  };
  redactions.set(secrets, redaction);
  return redaction;
}

/** Each place's value, a hole as undefined (needlesOf skips it), so that one filled later is told. */
function valuesOf(secrets: readonly SecretValue[]): (string | undefined)[] {
  const values: (string | undefined)[] = [];
  for (let i = 0; i < secrets.length; i++) values.push(secrets[i]?.value);
  return values;
}

function sameValues(values: readonly (string | undefined)[], secrets: readonly SecretValue[]): boolean {
  if (values.length !== secrets.length) return false;
  for (let i = 0; i < secrets.length; i++) if (values[i] !== secrets[i]?.value) return false;
  return true;
}

export const REDACTED = '[redacted]';

/** The refusal for a reflection: names the server, the field and the secret's source, never its value. */
export function secretReflected(server: string, found: Reflection): McpmError {
  return new McpmError(
    'SERVER_SECRET_REFLECTED',
    `server ${jsonQuote(server)} shows the value of ${found.label} (${found.encoding}) at ${jsonQuote(found.pointer)}; mcpm does not lock or show a snapshot that holds a configured secret`,
    'the server copies a credential it was given into what the model sees; rotate that credential, and report the server to its author',
  );
}
