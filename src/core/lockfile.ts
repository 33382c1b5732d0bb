/**
 * mcp.lock text ⇄ Lock. The format is ours, so parsing is strict: every key is known, every value
 * has its type, and anything else is LOCKFILE_CORRUPT naming the field. Writing walks sorted keys
 * with one printer (canonical.ts writeSortedJson), so the same Lock always gives the same bytes.
 */
import { CANONICALIZATION, HASH_ALGORITHM, inCodeUnitOrder, integrityOf, isIntegrity, MAX_PRINT_DEPTH, writeSortedJson, type Integrity } from './canonical.js';
import { lineEndingOf } from './eol.js';
import { conflictMarkerLine } from './conflict-markers.js';
import { McpmError } from './errors.js';
import { shellWord } from './shell-word.js';
import {
  isJsonObject,
  isWrittenJson,
  jsonQuote,
  parseStrictJson,
  readNativeJson,
  StrictJsonError,
  type JsonObject,
  type JsonValue,
} from './json-strict.js';
import type { LaunchSpec } from './launch/identity.js';
import { refusalOf, type AcceptRules } from './accept-rules.js';
import { isReferencesOnly, isStoredValue, urlParts } from './launch/values.js';
import {
  ITEM_KINDS,
  itemsFromJson,
  itemsToJson,
  type ItemKind,
  type ItemsRead,
  type SnapshotItem,
  snapshotFromJson,
  snapshotIntegrity,
  snapshotItemCounts,
  snapshotToJson,
  storedIntegrityOf,
  type Era,
  type Snapshot,
} from './snapshot.js';

export const LOCKFILE_VERSION = 1;
export const LOCK_HEADER =
  'mcp.lock, written by mcpm. Review changes in pull requests; change it with mcpm install or mcpm approve.';

export interface PackagePin {
  manager: 'npm' | 'pypi' | 'docker';
  name: string;
  version?: string;
  integrity?: string;
}

/** Same manager, name, version and integrity; either may be absent (no pin). */
export function samePin(a: PackagePin | undefined, b: PackagePin | undefined): boolean {
  return a?.manager === b?.manager && a?.name === b?.name && a?.version === b?.version && a?.integrity === b?.integrity;
}

/** Item keys by kind, sorted; kinds without keys are left out. */
export type ItemKeys = Partial<Record<ItemKind, string[]>>;

/** The last approved definition of each item whose removal was approved, by kind. */
export type Tombstones = Partial<Record<ItemKind, Map<string, SnapshotItem>>>;

export interface LockEntry {
  /** entryIntegrity(entry) when written. */
  integrity: Integrity;
  launch: LaunchSpec;
  package?: PackagePin;
  protocol: { era: Era; version: string };
  /** serverInfo.name and .version, copied for readers of the file. */
  server: { name: string; version: string };
  snapshot: Snapshot;
  /** Which changes need no review (absent: the defaults, DEFAULT_ACCEPT_RULES). */
  accept?: AcceptRules;
  /** Locked items whose absence is not drift (they must match when present). */
  optional?: ItemKeys;
  /** Items removed with approval, kept so that one coming back is diffed, never "first seen". */
  tombstones?: Tombstones;
}

export interface Lock {
  servers: Map<string, LockEntry>;
  /** Line ending of the file it was read from, kept on write. */
  eol: '\n' | '\r\n';
}

/** The `server` copy of a snapshot's serverInfo name and version ('' when not a string). */
export function serverCopyOf(serverInfo: JsonObject): { name: string; version: string } {
  const { name, version } = serverInfo;
  return { name: typeof name === 'string' ? name : '', version: typeof version === 'string' ? version : '' };
}

export function emptyLock(): Lock {
  return { servers: new Map(), eol: '\n' };
}

/**
 * A definition sits 6 levels down in the lock (root, servers, entry, snapshot, kind, item), and the
 * adapter allows DEFAULT_MAX_DEPTH inside a whole message; a lock mcpm wrote (with writeSortedJson,
 * whose depth cap is MAX_PRINT_DEPTH) must read back.
 */
const LOCK_MAX_DEPTH = MAX_PRINT_DEPTH;


/**
 * Parses lock text. Throws McpmError LOCKFILE_CONFLICT_MARKERS (git merge markers), LOCKFILE_CORRUPT
 * (with line:column of the first problem, or the field that is wrong), LOCKFILE_VERSION (a version
 * this mcpm does not know).
 */
export function parseLock(text: string, file: string): Lock {
  return lockFromHead(parseLockHead(text, file));
}

/**
 * A lock read as far as deciding whether a server may be started: strictly parsed, the version and
 * hashing scheme checked, every entry's launch read. The definitions (the part the integrities cover,
 * and the costly part to check) are read by lockFromHead. `mcpm run` starts the server between the
 * two, so a host does not wait for both; nothing the server sends is relayed before the second.
 */
export interface LockHead {
  readonly file: string;
  /** Launch of each entry, by name. */
  readonly launches: ReadonlyMap<string, LaunchSpec>;
  readonly eol: '\n' | '\r\n';
  /** The parsed entries, for lockFromHead. */
  readonly entries: ReadonlyMap<string, JsonObject>;
  /** The text is exactly as mcpm prints a lock, so each entry is found by its lines (see lock-index.ts). */
  readonly printed?: boolean;
  /** Every object in the entries lists its keys in code-unit order (readNativeJson): their canonical text is printed natively. */
  readonly sortedKeys?: boolean;
}

/**
 * Throws as parseLock does, for everything outside the entries' definitions. `findPrinted`: also
 * tell whether the text is exactly as mcpm prints a lock (`printed`; a whole extra printing of it).
 */
export function parseLockHead(text: string, file: string, options: { findPrinted?: boolean } = {}): LockHead {
  let root: JsonValue;
  let sortedKeys = false;
  try {
    // The native parser when it provably reads the same; anything it cannot vouch for (a duplicate
    // key, a lone surrogate, corrupt text) the strict parser, which also says where the problem is.
    const native = readNativeJson(text, { maxDepth: LOCK_MAX_DEPTH });
    sortedKeys = native?.sortedKeys ?? false;
    root = native?.value ?? parseStrictJson(text, { maxDepth: LOCK_MAX_DEPTH });
  } catch (error) {
    if (!(error instanceof StrictJsonError)) throw error;
    // Looked for only in text that is not JSON: no line of JSON can start with a conflict marker,
    // and a search of every line of a 10 MB lock is milliseconds that every read would pay.
    const line = conflictMarkerLine(text);
    if (line !== undefined) {
      throw new McpmError(
        'LOCKFILE_CONFLICT_MARKERS',
        `${file} has merge conflict markers (line ${line}); mcpm never merges reviewed definitions by itself`,
        `take one side (git checkout --ours/--theirs ${shellWord(file)}), then run "mcpm approve"`,
      );
    }
    throw new McpmError('LOCKFILE_CORRUPT', `${file}:${error.line}:${error.column}: ${error.reason}`, untouchedHint(file), {
      cause: error,
    });
  }

  const v = new Validator(file);
  const top = v.object(root, '');
  checkScheme(top, v);
  v.onlyKeys(top, '', ['//', 'canonicalization', 'hashAlgorithm', 'lockfileVersion', 'servers']);
  if (top['//'] !== undefined) v.string(top, '', '//');
  const serversJson = v.object(top.servers, 'servers');
  // In file order: Object.keys would put integer-like names ("2" before "10") first.
  const names = Object.keys(serversJson).sort();
  const head = { ...lockHeadOfEntries(file, lineEndingOf(text), names.map((name) => [name, serversJson[name]!])), sortedKeys };
  return options.findPrinted ? { ...head, printed: isPrintedLock(text, root) } : head;
}

/**
 * Whether `text` is exactly how serializeLock prints `root`, with LF line ends. Most locks print as
 * JSON.stringify does; one with an integer-like key anywhere ("10", which V8 lists first) or an
 * invisible character (escaped by the printer) only as the printer itself does.
 */
function isPrintedLock(text: string, root: JsonValue): boolean {
  if (isWrittenJson(text, root)) return true;
  // A CRLF lock (no printed string holds a raw CR) is not printed again to find that out at every read.
  if (text.includes('\r')) return false;
  try {
    return text === writeSortedJson(root, { indent: '  ', eol: '\n', finalEol: true });
  } catch {
    // Nested past what the printer prints: not a lock mcpm wrote.
    return false;
  }
}

/**
 * A LockHead of the given entries of a lock whose top level was already checked: parseLockHead's
 * entries, or the one entry `mcpm run` read through the lock index. Throws as parseLock does.
 */
export function lockHeadOfEntries(file: string, eol: '\n' | '\r\n', found: Iterable<[string, JsonValue]>): LockHead {
  const v = new Validator(file);
  const entries = new Map<string, JsonObject>();
  const launches = new Map<string, LaunchSpec>();
  for (const [name, value] of found) {
    const path = `servers[${jsonQuote(name)}]`;
    const json = v.object(value, path);
    v.onlyKeys(json, path, ['accept', 'integrity', 'launch', 'optional', 'package', 'protocol', 'server', 'snapshot', 'tombstones']);
    entries.set(name, json);
    launches.set(name, readLaunch(json.launch, `${path}.launch`, v));
  }
  return { file, launches, eol, entries };
}

/**
 * The lock with its entries' definitions read and their integrities computed: every entry, or only
 * the one named (`mcpm run` holds one server to the lock). Throws as parseLock does.
 * `checkedBefore`: the one named passed checkLock before with exactly its entryCheckText, so its
 * stated integrities are taken as they are (ItemsRead).
 */
export function lockFromHead(head: LockHead, only?: string, options: { checkedBefore?: boolean } = {}): Lock {
  const v = new Validator(head.file);
  const servers = new Map<string, LockEntry>();
  const read: ItemsRead = { sortedKeys: head.sortedKeys === true, checkedBefore: only !== undefined && options.checkedBefore === true };
  for (const [name, json] of head.entries) {
    if (only !== undefined && name !== only) continue;
    servers.set(name, readEntry(json, head.launches.get(name)!, `servers[${jsonQuote(name)}]`, v, read));
  }
  return { servers, eol: head.eol };
}

/**
 * All that reading the entry `name` of `head` and checking it (lockFromHead, checkLock) depend on, as
 * text: its name, how its keys are known to be ordered, and its parsed value, which JSON.stringify
 * writes without loss (a lock's numbers are finite; strings are written well-formed), keys in the
 * order read. Two heads with the same text for an entry read and check it alike, whatever else
 * their locks hold, and however the entry was written. Undefined when the head has no such entry.
 */
export function entryCheckText(head: LockHead, name: string): string | undefined {
  const json = head.entries.get(name);
  return json === undefined ? undefined : JSON.stringify([name, head.sortedKeys === true, json]);
}

/**
 * A checked lock without its definitions, which are most of its bytes and of the time its check
 * takes: each entry as the lock has it but for `snapshot` and `tombstones`, and how many items of
 * each kind it locks. Kept beside a lock whose check passed (adapters/lock-outline.ts), so that
 * `verify --offline` of the same text reads the outline instead, and the definitions only if
 * something asks for them.
 */
export interface LockOutline {
  eol: '\n' | '\r\n';
  entries: Array<{ name: string; entry: JsonObject; items: Record<ItemKind, number>; tombstones: boolean }>;
}

/** The outline of `lock`, read as `head`. */
export function lockOutline(head: LockHead, lock: Lock): LockOutline {
  const entries: LockOutline['entries'] = [];
  for (const [name, json] of head.entries) {
    const entry = Object.create(null) as JsonObject;
    for (const key of Object.keys(json)) if (key !== 'snapshot' && key !== 'tombstones') entry[key] = json[key]!;
    entries.push({ name, entry, items: lockedItemCounts(lock.servers.get(name)!), tombstones: json.tombstones !== undefined });
  }
  return { eol: head.eol, entries };
}

/**
 * The lock an outline was made from (`value`, lockOutline's result as JSON). Everything but the
 * definitions is read and checked again as a lock's entries are; `snapshot` and `tombstones` are
 * read from `full()`, the whole lock, the first time anything reads one of them. Only for an outline
 * kept under the exact text `full` reads, by the same build: nothing here checks that the outline
 * is that text's, nor the integrities. Throws LOCKFILE_CORRUPT for a value that is not an outline.
 */
export function lockFromOutline(file: string, value: JsonValue, full: () => Lock): Lock {
  const v = new Validator(file);
  const json = v.object(value, '');
  v.onlyKeys(json, '', ['entries', 'eol']);
  const eol = json.eol;
  if (eol !== '\n' && eol !== '\r\n') return v.fail('', 'eol must be a line ending');
  const list = json.entries;
  if (!Array.isArray(list)) return v.fail('', 'entries must be an array');
  const outlined = list.map((item) => {
    const o = v.object(item, 'entries[]');
    v.onlyKeys(o, 'entries[]', ['entry', 'items', 'name', 'tombstones']);
    const items = v.object(o.items, 'entries[].items');
    v.onlyKeys(items, 'entries[].items', ITEM_KINDS);
    const counts = Object.fromEntries(ITEM_KINDS.map((kind) => [kind, items[kind]])) as Record<ItemKind, number>;
    if (!ITEM_KINDS.every((kind) => Number.isSafeInteger(counts[kind]) && counts[kind] >= 0)) v.fail('entries[]', 'items must count each kind');
    if (typeof o.tombstones !== 'boolean') v.fail('entries[]', 'tombstones must be a boolean');
    return { name: v.string(o, 'entries[]', 'name'), entry: v.object(o.entry, 'entries[].entry'), items: counts, tombstones: o.tombstones as boolean };
  });
  if (!inCodeUnitOrder(outlined.map((o) => o.name))) v.fail('', 'entries must be in name order, each once');
  const head = lockHeadOfEntries(file, eol, outlined.map((o) => [o.name, o.entry]));
  let whole: Lock | undefined;
  const servers = new Map<string, LockEntry>();
  for (const { name, entry: json, items, tombstones } of outlined) {
    const path = `servers[${jsonQuote(name)}]`;
    if (json.snapshot !== undefined || json.tombstones !== undefined) v.fail(path, 'an outline holds no definitions');
    const entry = readEntryFields(json, head.launches.get(name)!, path, v) as LockEntry;
    const fromWhole = <K extends 'snapshot' | 'tombstones'>(field: K) => () => (whole ??= full()).servers.get(name)![field];
    defineOnFirstRead(entry, 'snapshot', fromWhole('snapshot'));
    readReviewedRules(entry, json, path, v, undefined);
    if (tombstones) defineOnFirstRead(entry, 'tombstones', fromWhole('tombstones'));
    outlinedCounts.set(entry, items);
    servers.set(name, entry);
  }
  return { servers, eol };
}

/** Items of each kind of entries read from an outline, whose snapshots are not read yet. */
const outlinedCounts = new WeakMap<LockEntry, Record<ItemKind, number>>();

/** How many items of each kind the entry locks (of an outlined entry, without reading its definitions). */
export function lockedItemCounts(entry: LockEntry): Record<ItemKind, number> {
  return outlinedCounts.get(entry) ?? snapshotItemCounts(entry.snapshot);
}

/** `entry[field]` is `read()`, called when it is first read; from then on (or once set) a plain property. */
function defineOnFirstRead<K extends keyof LockEntry>(entry: LockEntry, field: K, read: () => LockEntry[K]): void {
  const settle = (value: LockEntry[K]) => Object.defineProperty(entry, field, { value, enumerable: true, configurable: true, writable: true });
  Object.defineProperty(entry, field, {
    enumerable: true,
    configurable: true,
    get: () => {
      const value = read();
      settle(value);
      return value;
    },
    set: settle,
  });
}

/** The version and the hashing scheme come first: a newer file is LOCKFILE_VERSION, not "corrupt". */
function checkScheme(top: JsonObject, v: Validator): void {
  const version = top.lockfileVersion;
  if (version === undefined) v.fail('', 'lockfileVersion is missing');
  if (typeof version !== 'number') v.fail('', 'lockfileVersion must be a number');
  if (version !== LOCKFILE_VERSION) {
    throw new McpmError(
      'LOCKFILE_VERSION',
      `${v.file}: lockfileVersion ${JSON.stringify(version)} is not supported (this mcpm reads version ${LOCKFILE_VERSION})`,
      `upgrade mcpm to a version that reads it; ${v.file} was left untouched`,
    );
  }
  const scheme: Array<[field: string, expected: string]> = [
    ['canonicalization', CANONICALIZATION],
    ['hashAlgorithm', HASH_ALGORITHM],
  ];
  for (const [field, expected] of scheme) {
    const found = v.string(top, '', field);
    if (found !== expected) {
      throw new McpmError(
        'LOCKFILE_VERSION',
        `${v.file}: ${field} ${jsonQuote(found)} is not supported (this mcpm uses ${JSON.stringify(expected)})`,
        `upgrade mcpm to a version that reads it; ${v.file} was left untouched`,
      );
    }
  }
}

function readEntry(json: JsonObject, launch: LaunchSpec, path: string, v: Validator, read: ItemsRead): LockEntry {
  const fields = readEntryFields(json, launch, path, v);
  const snapshot = snapshotFromJson(json.snapshot ?? null, `${v.file}: ${path}.snapshot`, read);
  const entry: LockEntry = { ...fields, snapshot };
  readReviewedRules(entry, json, path, v, snapshot);
  if (json.tombstones !== undefined) entry.tombstones = readTombstones(json.tombstones, `${path}.tombstones`, snapshot, v, read);
  return entry;
}

/** An entry's fields outside its definitions and reviewed rules. */
function readEntryFields(json: JsonObject, launch: LaunchSpec, path: string, v: Validator): Omit<LockEntry, 'snapshot'> {
  const integrity = json.integrity;
  if (!isIntegrity(integrity)) v.fail(path, 'integrity must be a "sha256-<base64>" string');

  const protocolPath = `${path}.protocol`;
  const protocolJson = v.object(json.protocol, protocolPath);
  v.onlyKeys(protocolJson, protocolPath, ['era', 'version']);
  const era = v.string(protocolJson, protocolPath, 'era');
  if (era !== 'handshake' && era !== 'stateless') v.fail(protocolPath, 'era must be "handshake" or "stateless"');

  const serverPath = `${path}.server`;
  const serverJson = v.object(json.server, serverPath);
  v.onlyKeys(serverJson, serverPath, ['name', 'version']);
  return {
    integrity: integrity as Integrity,
    launch,
    protocol: { era, version: v.string(protocolJson, protocolPath, 'version') },
    server: { name: v.string(serverJson, serverPath, 'name'), version: v.string(serverJson, serverPath, 'version') },
  };
}

/** The package pin, accept rules and optional marks; each optional mark is checked against `snapshot` when it is given. */
function readReviewedRules(entry: LockEntry, json: JsonObject, path: string, v: Validator, snapshot: Snapshot | undefined): void {
  if (json.package !== undefined) entry.package = readPackage(json.package, `${path}.package`, v);
  if (json.accept !== undefined) entry.accept = readAccept(json.accept, `${path}.accept`, v);
  if (json.optional !== undefined) entry.optional = readOptional(json.optional, `${path}.optional`, snapshot, v);
}

function readAccept(value: JsonValue, path: string, v: Validator): AcceptRules {
  const json = v.object(value, path);
  v.onlyKeys(json, path, ['additive', 'fields', 'serverVersion']);
  v.asWritten(json, path);
  const fields = json.fields === undefined ? [] : v.list(json, path, 'fields');
  for (const pattern of fields) {
    const why = refusalOf(pattern);
    // Refused, not ignored: a rule someone committed that accepts descriptions must stop the run,
    // so that it is noticed and removed in review rather than silently weakened.
    if (why !== undefined) {
      throw new McpmError(
        'ACCEPT_RULE_REFUSED',
        `${v.file}: ${path}: accept rule ${jsonQuote(pattern)} is refused: ${why}`,
        // mcpm never writes such a rule, so the file was edited: the reviewed version is the way back.
        `mcpm never writes such a rule; restore ${v.file} from version control (git checkout -- ${shellWord(v.file)}); see "Accept rules" in docs/lockfile.md`,
      );
    }
  }
  const additive = json.additive === undefined ? 'drift' : v.string(json, path, 'additive');
  if (additive !== 'drift' && additive !== 'quarantine') v.fail(path, 'additive must be "drift" or "quarantine"');
  const serverVersion = json.serverVersion === undefined ? 'accept' : v.string(json, path, 'serverVersion');
  if (serverVersion !== 'accept' && serverVersion !== 'review') v.fail(path, 'serverVersion must be "accept" or "review"');
  // The defaults are left out, as mcpm writes them: the entry's integrity covers the rules as read.
  if (json.additive !== undefined && additive === 'drift') v.fail(path, 'additive "drift" is the default, which mcpm leaves out');
  if (json.serverVersion !== undefined && serverVersion === 'accept') v.fail(path, 'serverVersion "accept" is the default, which mcpm leaves out');
  return { fields, additive, serverVersion };
}

function readOptional(value: JsonValue, path: string, snapshot: Snapshot | undefined, v: Validator): ItemKeys {
  const json = v.object(value, path);
  v.onlyKeys(json, path, ITEM_KINDS);
  v.asWritten(json, path);
  const keys: ItemKeys = {};
  for (const kind of ITEM_KINDS) {
    if (json[kind] === undefined) continue;
    const list = v.list(json, path, kind);
    // An optional item is held to its locked definition when present, so it must have one.
    if (snapshot !== undefined) for (const key of list) if (!snapshot[kind].has(key)) v.fail(path, `${kind} ${jsonQuote(key)} is marked optional but is not in the snapshot`);
    keys[kind] = list;
  }
  return keys;
}

function readTombstones(value: JsonValue, path: string, snapshot: Snapshot, v: Validator, read: ItemsRead): Tombstones {
  const json = v.object(value, path);
  v.onlyKeys(json, path, ITEM_KINDS);
  v.asWritten(json, path);
  const tombstones: Tombstones = {};
  for (const kind of ITEM_KINDS) {
    if (json[kind] === undefined) continue;
    const items = itemsFromJson(kind, json[kind], `${v.file}: ${path}.${kind}`, read);
    if (items.size === 0) v.fail(path, `${kind} must not be empty (mcpm leaves it out then)`);
    for (const key of items.keys()) if (snapshot[kind].has(key)) v.fail(path, `${kind} ${jsonQuote(key)} is both locked and a tombstone`);
    tombstones[kind] = items;
  }
  return tombstones;
}

function readLaunch(value: JsonValue | undefined, path: string, v: Validator): LaunchSpec {
  const json = v.object(value, path);
  const transport = v.string(json, path, 'transport');
  // Unknown keys are refused, not dropped: an `env` or `headers` with values must never sit in a
  // committed lock unnoticed, and dropping it would hide that someone put it there.
  if (transport === 'stdio') {
    v.onlyKeys(json, path, ['args', 'command', 'cwd', 'envFile', 'envNames', 'envValues', 'hostSettings', 'transport']);
    const launch: LaunchSpec = {
      transport,
      command: v.string(json, path, 'command'),
      args: v.strings(json, path, 'args'),
      envNames: v.strings(json, path, 'envNames'),
    };
    if (json.cwd !== undefined) launch.cwd = v.string(json, path, 'cwd');
    if (json.envFile !== undefined) launch.envFile = v.string(json, path, 'envFile');
    if (json.hostSettings !== undefined) launch.hostSettings = v.string(json, path, 'hostSettings');
    if (json.envValues !== undefined) launch.envValues = readValues(json, path, 'envValues', launch.envNames, v);
    return launch;
  }
  if (transport === 'http' || transport === 'sse') {
    v.onlyKeys(json, path, ['headerNames', 'headerValues', 'headersHelper', 'hostSettings', 'signIn', 'transport', 'url', 'urlValues']);
    const launch: LaunchSpec = { transport, url: v.string(json, path, 'url'), headerNames: v.strings(json, path, 'headerNames') };
    if (json.headersHelper !== undefined) launch.headersHelper = v.string(json, path, 'headersHelper');
    if (json.signIn !== undefined) launch.signIn = v.string(json, path, 'signIn');
    if (json.hostSettings !== undefined) launch.hostSettings = v.string(json, path, 'hostSettings');
    if (json.headerValues !== undefined) launch.headerValues = readValues(json, path, 'headerValues', launch.headerNames, v);
    // One hashed value for each query value the URL masks. A URL with query values in clear and
    // no urlValues is an entry locked before they were bound: read as it is, and config-changed
    // until it is re-approved.
    if (json.urlValues !== undefined) {
      const parts = urlParts(launch.url);
      if (parts.parts.length === 0) v.fail(path, 'urlValues must not be there for a URL without query values (mcpm leaves it out then)');
      if (parts.masked !== launch.url) v.fail(path, 'url must have its query values masked as *** when urlValues is present');
      launch.urlValues = readValues(json, path, 'urlValues', parts.parts.map((p) => p.name).sort(), v);
      for (const [name, stored] of Object.entries(launch.urlValues)) if (isReferencesOnly(stored)) v.fail(`${path}.urlValues`, `${jsonQuote(name)} must be a "scrypt:" hash: a reference stays in the URL`);
      // An mcpm that binds URL values binds header values too: an entry without them beside these
      // had them taken out, to pass for one locked before values were bound.
      if (launch.headerNames.length > 0 && launch.headerValues === undefined) v.fail(path, 'headerValues must be there beside urlValues (mcpm writes both)');
    }
    return launch;
  }
  return v.fail(path, 'transport must be "stdio", "http" or "sse"');
}

/**
 * Stored values, one per name of `names`. Anything but a `${VAR}` reference or a hashed form is
 * refused: a value in clear must never sit in a committed lock, even one put there by hand.
 */
function readValues(json: JsonObject, path: string, field: string, names: readonly string[], v: Validator): Record<string, string> {
  const values = v.object(json[field], `${path}.${field}`);
  const keys = Object.keys(values).sort();
  if (keys.length !== names.length || keys.some((key, i) => key !== names[i])) v.fail(path, `${field} must have one value for each name`);
  const out = Object.create(null) as Record<string, string>;
  for (const key of keys) {
    const stored = v.string(values, `${path}.${field}`, key);
    if (!isStoredValue(stored)) v.fail(`${path}.${field}`, `${jsonQuote(key)} must be a \${VAR} reference or a "scrypt:" hash, never a value`);
    out[key] = stored;
  }
  return out;
}

function readPackage(value: JsonValue, path: string, v: Validator): PackagePin {
  const json = v.object(value, path);
  v.onlyKeys(json, path, ['integrity', 'manager', 'name', 'version']);
  const manager = v.string(json, path, 'manager');
  if (manager !== 'npm' && manager !== 'pypi' && manager !== 'docker') {
    v.fail(path, 'manager must be "npm", "pypi" or "docker"');
  }
  const pin: PackagePin = { manager, name: v.string(json, path, 'name') };
  if (json.version !== undefined) pin.version = v.string(json, path, 'version');
  if (json.integrity !== undefined) pin.integrity = v.string(json, path, 'integrity');
  return pin;
}

/** Type checks that fail with the file and the JSON path of the field, e.g. `mcp.lock: servers["a"].launch: args must be an array of strings`. */
class Validator {
  constructor(readonly file: string) {}

  fail(path: string, message: string): never {
    throw new McpmError('LOCKFILE_CORRUPT', `${this.file}: ${path ? `${path}: ` : ''}${message}`, untouchedHint(this.file));
  }

  object(value: JsonValue | undefined, path: string): JsonObject {
    if (isJsonObject(value)) return value;
    if (path === '') return this.fail('', 'the top level must be an object');
    const dot = path.lastIndexOf('.');
    // `servers["a"].launch` is reported as field "launch" of `servers["a"]`.
    const [parent, field] = dot > path.lastIndexOf(']') ? [path.slice(0, dot), path.slice(dot + 1)] : ['', path];
    return this.fail(parent, `${field} must be an object${value === undefined ? ' (missing)' : ''}`);
  }

  onlyKeys(json: JsonObject, path: string, allowed: readonly string[]): void {
    for (const key of Object.keys(json)) {
      if (!allowed.includes(key)) this.fail(path, `unexpected key ${jsonQuote(key)} (allowed: ${allowed.join(', ')})`);
    }
  }

  string(json: JsonObject, path: string, field: string): string {
    const value = json[field];
    if (typeof value !== 'string') this.fail(path, `${field} must be a string${value === undefined ? ' (missing)' : ''}`);
    return value as string;
  }

  /**
   * Refuses an empty object where mcpm writes one only with members (accept rules, optional marks,
   * tombstones): the integrity covers these parts as read, so each has one written form, the one
   * mcpm writes, and a form it never writes is an edit, not the same rules spelled otherwise.
   */
  asWritten(json: JsonObject, path: string): void {
    if (Object.keys(json).length === 0) this.fail(path, 'must not be empty (mcpm leaves it out then)');
  }

  /** A list of strings as mcpm writes a set of them: not empty, in code-unit order, each once. */
  list(json: JsonObject, path: string, field: string): string[] {
    const list = this.strings(json, path, field);
    if (list.length === 0) this.fail(path, `${field} must not be empty (mcpm leaves it out then)`);
    if (!inCodeUnitOrder(list)) this.fail(path, `${field} must list each string once, in code-unit order, as mcpm writes it`);
    return list;
  }

  strings(json: JsonObject, path: string, field: string): string[] {
    const value = json[field];
    if (!Array.isArray(value) || !value.every((s) => typeof s === 'string')) {
      this.fail(path, `${field} must be an array of strings${value === undefined ? ' (missing)' : ''}`);
    }
    return [...(value as string[])];
  }
}

function untouchedHint(file: string): string {
  return `${file} was left untouched; fix it, or restore it from version control (git checkout -- ${shellWord(file)}) and run "mcpm install"`;
}

/**
 * The largest lock file, in UTF-8 bytes, for writing and reading alike: the writer refuses a lock
 * over it (checkLockSize) and the reader refuses a larger file before reading it into memory, so
 * every lock mcpm writes is one it reads. A definition is rarely over a few KiB: 16 MiB holds
 * several thousand tools across all servers of a project.
 */
export const MAX_LOCK_BYTES = 16 * 1024 * 1024;

/**
 * Throws LOCKFILE_TOO_LARGE when `text`, serializeLock(lock), is over `limit` bytes: the lock is
 * then not written at all, rather than written as a file no command could read. The message names
 * the largest servers, as many as must go for the rest to fit.
 */
export function checkLockSize(lock: Lock, text: string, file: string, limit = MAX_LOCK_BYTES): void {
  // UTF-8 takes one to three bytes per UTF-16 code unit: most locks need no encoding to tell.
  if (text.length * 3 <= limit) return;
  const bytes = utf8Length(text);
  if (bytes <= limit) return;
  const layout = { indent: '  ', eol: lock.eol };
  const entries = [...lock.servers].map(([name, entry]) => {
    const entryText = writeSortedJson(entryToJson(entry), layout);
    // In the lock, an entry's lines after the first are indented two levels deeper, and it takes
    // an end of line, four spaces, `"name": ` before it and a comma after it.
    let breaks = 0;
    for (let at = entryText.indexOf(layout.eol); at !== -1; at = entryText.indexOf(layout.eol, at + 1)) breaks++;
    return { name, bytes: utf8Length(entryText) + 4 * breaks + layout.eol.length + 4 + utf8Length(JSON.stringify(name)) + 2 + 1 };
  });
  entries.sort((a, b) => b.bytes - a.bytes);
  const named: typeof entries = [];
  let rest = bytes;
  for (const entry of entries) {
    if (rest <= limit) break;
    named.push(entry);
    rest -= entry.bytes;
  }
  const quoted = (list: typeof entries): string => list.map((e) => jsonQuote(e.name)).join(', ');
  // The header and the `servers` braces: what a lock of a single server needs besides its entry.
  const frame = bytes - entries.reduce((sum, e) => sum + e.bytes, 0);
  const alone = named.filter((e) => e.bytes + frame > limit);
  const movable = named.filter((e) => !alone.includes(e));
  const hints = [];
  if (alone.length > 0) hints.push(`remove ${quoted(alone)} from the config: ${alone.length === 1 ? 'it is' : 'each is'} over the limit even alone`);
  if (movable.length > 0) hints.push(`remove ${quoted(movable)} from the config, or lock ${movable.length === 1 ? 'it in a lock file of its' : 'them in a lock file of their'} own (--config, --lockfile)`);
  // No "left unchanged": there may be no lock yet (a first install), and the message says it was not written.
  const hint = hints.join('; ');
  throw new McpmError(
    'LOCKFILE_TOO_LARGE',
    `${file} was not written: it would be ${sizeText(bytes)}, over the ${sizeText(limit)} limit on a lock file (mcpm reads none larger); ` +
      `the largest ${named.length === 1 ? 'server' : 'servers'}: ${named.map((e) => `${jsonQuote(e.name)} (${sizeText(e.bytes)})`).join(', ')}`,
    hint,
  );
}

/**
 * Bytes of `text` in UTF-8, counted natively without encoding it (the text can be megabytes): what
 * writing it takes, a lone surrogate (which a lock's JSON escapes anyway) as U+FFFD's three bytes.
 */
function utf8Length(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}

/**
 * `16 MiB`, `17.2 MiB`, `80.3 KiB`: one decimal, rounded up, so that a lock one byte over the limit
 * does not read as the limit itself.
 */
function sizeText(bytes: number): string {
  const [amount, unit] = bytes >= 1024 * 1024 ? [bytes / (1024 * 1024), 'MiB'] : bytes >= 1024 ? [bytes / 1024, 'KiB'] : [bytes, 'bytes'];
  return `${(Math.ceil(amount * 10) / 10).toFixed(1).replace(/\.0$/, '')} ${unit}`;
}

/** Deterministic bytes: keys sorted by UTF-16 code units at every level, 2-space indent, trailing newline, lock.eol. */
export function serializeLock(lock: Lock): string {
  const servers = Object.create(null) as JsonObject;
  for (const [name, entry] of lock.servers) servers[name] = entryToJson(entry);
  const root = object({
    '//': LOCK_HEADER,
    canonicalization: CANONICALIZATION,
    hashAlgorithm: HASH_ALGORITHM,
    lockfileVersion: LOCKFILE_VERSION,
    servers,
  });
  return writeSortedJson(root, { indent: '  ', eol: lock.eol, finalEol: true });
}

function entryToJson(entry: LockEntry): JsonObject {
  return object({
    integrity: entry.integrity,
    launch: launchToJson(entry.launch),
    protocol: object({ era: entry.protocol.era, version: entry.protocol.version }),
    server: object({ name: entry.server.name, version: entry.server.version }),
    snapshot: snapshotToJson(entry.snapshot),
    ...reviewedExtrasToJson(entry),
    ...(entry.package ? { package: packageToJson(entry.package) } : {}),
  });
}

function packageToJson({ manager, name, version, integrity }: NonNullable<LockEntry['package']>): JsonObject {
  return object({ manager, name, ...(version === undefined ? {} : { version }), ...(integrity === undefined ? {} : { integrity }) });
}

/**
 * The entry's accept rules, optional marks and tombstones in their lock form, each left out when
 * it says nothing (default rules, no marks, no tombstones), so that older locks read and hash as before.
 */
function reviewedExtrasToJson(entry: Pick<LockEntry, 'accept' | 'optional' | 'tombstones'>): JsonObject {
  const json = object({});
  const { accept, optional, tombstones } = entry;
  if (accept && (accept.fields.length > 0 || accept.additive !== 'drift' || accept.serverVersion !== 'accept')) {
    json.accept = object({
      ...(accept.fields.length > 0 ? { fields: [...new Set(accept.fields)].sort() } : {}),
      ...(accept.additive !== 'drift' ? { additive: accept.additive } : {}),
      ...(accept.serverVersion !== 'accept' ? { serverVersion: accept.serverVersion } : {}),
    });
  }
  const marks = object({});
  const dead = object({});
  for (const kind of ITEM_KINDS) {
    const keys = optional?.[kind];
    if (keys && keys.length > 0) marks[kind] = [...new Set(keys)].sort();
    const items = tombstones?.[kind];
    if (items && items.size > 0) dead[kind] = itemsToJson(items);
  }
  if (Object.keys(marks).length > 0) json.optional = marks;
  if (Object.keys(dead).length > 0) json.tombstones = dead;
  return json;
}

/**
 * The integrity an entry's `integrity` holds: over everything a reviewer approved in it. An entry
 * without accept rules, optional marks or tombstones has snapshotIntegrity(snapshot), exactly as
 * before they existed; otherwise it is the `sha256-` of the RFC 8785 bytes of the object
 * {snapshot: snapshotToJson(snapshot), accept?, optional?, tombstones?} (the members present, in
 * their lock form). The one place that decides what the entry integrity covers.
 */
export function entryIntegrity(entry: Pick<LockEntry, 'snapshot' | 'accept' | 'optional' | 'tombstones'>): Integrity {
  const extras = reviewedExtrasToJson(entry);
  if (Object.keys(extras).length === 0) return snapshotIntegrity(entry.snapshot);
  // The printer sorts these few keys itself and writes the snapshot below them natively.
  return integrityOf(Object.assign(extras, { snapshot: snapshotToJson(entry.snapshot) }));
}

/**
 * The lock's form of a launch spec: the listed fields only, never whatever else the object holds
 * (a config module may keep env values nearby). Two specs are the same launch iff their
 * `canonicalize(launchToJson(…))` are equal.
 */
export function launchToJson(launch: LaunchSpec): JsonObject {
  if (launch.transport === 'stdio') {
    return object({
      transport: launch.transport,
      command: launch.command,
      args: [...launch.args],
      envNames: [...launch.envNames],
      ...(launch.cwd === undefined ? {} : { cwd: launch.cwd }),
      ...(launch.envFile === undefined ? {} : { envFile: launch.envFile }),
      ...(launch.hostSettings === undefined ? {} : { hostSettings: launch.hostSettings }),
      ...(launch.envValues === undefined ? {} : { envValues: valuesToJson(launch.envValues) }),
    });
  }
  return object({
    transport: launch.transport,
    // Its query values are in urlValues, in their stored form. An entry locked before they were
    // bound keeps its URL as it was written and approved: rewritten, it would lose them.
    url: launch.urlValues === undefined ? launch.url : urlParts(launch.url).masked,
    headerNames: [...launch.headerNames],
    ...(launch.headersHelper === undefined ? {} : { headersHelper: launch.headersHelper }),
    ...(launch.signIn === undefined ? {} : { signIn: launch.signIn }),
    ...(launch.hostSettings === undefined ? {} : { hostSettings: launch.hostSettings }),
    ...(launch.headerValues === undefined ? {} : { headerValues: valuesToJson(launch.headerValues) }),
    ...(launch.urlValues === undefined ? {} : { urlValues: valuesToJson(launch.urlValues) }),
  });
}

function valuesToJson(values: Record<string, string>): JsonObject {
  const json = Object.create(null) as JsonObject;
  // In code-unit order, as objects built by object() are (a lock prints natively when all are).
  for (const name of Object.keys(values).sort()) json[name] = values[name]!;
  return json;
}

/**
 * Only for mcpm's own fixed field names; names chosen by servers or users are assigned one by one.
 * The keys are added in code-unit order, the order the lock and RFC 8785 print them: a lock whose
 * every object is built so is printed by one native JSON.stringify (writeSortedJson).
 */
function object(fields: Record<string, JsonValue>): JsonObject {
  const json = Object.create(null) as JsonObject;
  for (const key of Object.keys(fields).sort()) json[key] = fields[key]!;
  return json;
}

/**
 * The reviewed fields of an entry and how each is hashed: everything a reviewer approved, so an
 * entry is the reviewed one only if all of them are. `integrity` is not here (it is derived) nor
 * `server` (a copy of the snapshot's serverInfo, checked by checkLock). Covering one more field is
 * one more line.
 */
const REVIEWED_FIELDS: ReadonlyArray<[field: string, of: (entry: LockEntry) => JsonValue | undefined]> = [
  ['launch', (entry) => launchToJson(entry.launch)],
  ['package', (entry) => (entry.package === undefined ? undefined : packageToJson(entry.package))],
  ['protocol', (entry) => object({ era: entry.protocol.era, version: entry.protocol.version })],
  // Recomputed from the definitions (and the accept rules, optional marks and tombstones): a
  // stored integrity can be edited to anything.
  ['snapshot', (entry) => entryIntegrity(entry)],
];

/**
 * reviewedIntegrity returns integrityOf (canonical.ts) over an object with one member per reviewed
 * field the entry has (REVIEWED_FIELDS): `launch` as the lock writes it (launchToJson, env and
 * header values in their stored form), `package` as written, `protocol` {era, version}, and
 * `snapshot` as the entry integrity recomputed from its definitions and reviewed extras. Two entries
 * with the same reviewedIntegrity were reviewed as one: comparing a lock with a trusted base uses it.
 */
export function reviewedIntegrity(entry: LockEntry): Integrity {
  const covered = Object.create(null) as JsonObject;
  for (const [field, of] of REVIEWED_FIELDS) {
    const value = of(entry);
    if (value !== undefined) covered[field] = value;
  }
  return integrityOf(covered);
}

export interface TamperedEntry {
  name: string;
  /** e.g. 'integrity' or 'snapshot.tools["add"].integrity' */
  field: string;
  expected: string;
  found: string;
}

/**
 * Self-check: every stored integrity equals the one recomputed from the stored definitions.
 * Reports, per entry, each item whose stored integrity differs from its definition's, the entry
 * integrity when it differs from entryIntegrity, each tombstone like an item, and `server.name`/`server.version` when they
 * differ from the snapshot's serverInfo (they are copies, outside the integrity).
 */
export function checkLock(lock: Lock): TamperedEntry[] {
  const tampered: TamperedEntry[] = [];
  for (const [name, entry] of lock.servers) {
    for (const kind of ITEM_KINDS) {
      for (const [key, item] of entry.snapshot[kind]) {
        const expected = integrityOf(item.definition);
        // Items read from a file carry recomputed integrities; the file's claim is kept aside.
        const found = storedIntegrityOf(item) ?? item.integrity;
        if (found !== expected) {
          tampered.push({ name, field: `snapshot.${kind}[${JSON.stringify(key)}].integrity`, expected, found });
        }
      }
    }
    for (const kind of ITEM_KINDS) {
      for (const [key, item] of entry.tombstones?.[kind] ?? []) {
        const found = storedIntegrityOf(item) ?? item.integrity;
        if (found !== item.integrity) tampered.push({ name, field: `tombstones.${kind}[${JSON.stringify(key)}].integrity`, expected: item.integrity, found });
      }
    }
    const expected = entryIntegrity(entry);
    if (entry.integrity !== expected) tampered.push({ name, field: 'integrity', expected, found: entry.integrity });
    const copies = serverCopyOf(entry.snapshot.serverInfo);
    for (const field of ['name', 'version'] as const) {
      const copy = copies[field];
      if (entry.server[field] !== copy) tampered.push({ name, field: `server.${field}`, expected: copy, found: entry.server[field] });
    }
  }
  return tampered;
}
