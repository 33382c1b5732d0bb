/**
 * Raw listings → Snapshot, and the Snapshot's JSON form inside the lock.
 *
 * Invariant: in every Snapshot, each `item.integrity` is `integrityOf(item.definition)`, whether the
 * snapshot came from a live server (buildSnapshot) or from a lock file (snapshotFromJson
 * recomputes). Comparisons against a lock (drift, the guard's wire check) therefore always compare
 * with the definitions a reviewer saw, never with a hash string someone may have edited. What the
 * file *claimed* is kept apart (storedIntegrityOf) for checkLock to report.
 */
import { integrityOf, IntegrityWriter, isIntegrity, printWithIntegrity, type Integrity } from './canonical.js';
import { McpmError } from './errors.js';
import { foldedItemMember, foldedMember, SERVER_INFO_MEMBERS } from './folded-keys.js';
import { jsonEqual } from './json-equal.js';
import { isJsonObject, jsonQuote, type JsonObject, type JsonValue } from './json-strict.js';

export type Era = 'handshake' | 'stateless';

export const ITEM_KINDS = ['tools', 'prompts', 'resources', 'resourceTemplates'] as const;
export type ItemKind = (typeof ITEM_KINDS)[number];

/** The field that identifies an item of each kind; lists are keyed by it so order and paging vanish. */
export const ITEM_KEY: Record<ItemKind, 'name' | 'uri' | 'uriTemplate'> = {
  tools: 'name',
  prompts: 'name',
  resources: 'uri',
  resourceTemplates: 'uriTemplate',
};

/** The MCP method that lists each kind, for messages. */
export const LIST_METHOD: Record<ItemKind, string> = {
  tools: 'tools/list',
  prompts: 'prompts/list',
  resources: 'resources/list',
  resourceTemplates: 'resources/templates/list',
};

/** One item of each kind, in words, for messages. */
export const ITEM_NOUN: Record<ItemKind, string> = {
  tools: 'tool',
  prompts: 'prompt',
  resources: 'resource',
  resourceTemplates: 'resource template',
};

/**
 * What the MCP client adapter hands the core: every field exactly as served, after strict parsing.
 * `lists[kind]` is null when the server does not implement that list (-32601), else every item of
 * every page in served order.
 */
export interface RawListing {
  era: Era;
  protocolVersion: string;
  /** InitializeResult.serverInfo, or DiscoverResult._meta["io.modelcontextprotocol/serverInfo"]. */
  serverInfo: JsonValue;
  capabilities: JsonValue;
  /** Absent when the server sent none. */
  instructions?: JsonValue;
  lists: Record<ItemKind, JsonValue[] | null>;
}

export interface SnapshotItem {
  /** The item as served, every key kept. */
  definition: JsonObject;
  /** integrityOf(definition). */
  integrity: Integrity;
}

/**
 * Everything the model or host can see of one server. Item maps are keyed by ITEM_KEY. Immutable once
 * built: its integrity is computed once and kept (snapshotIntegrity), so a change means a new Snapshot.
 */
export interface Snapshot {
  serverInfo: JsonObject;
  capabilities: JsonObject;
  instructions?: string;
  tools: Map<string, SnapshotItem>;
  prompts: Map<string, SnapshotItem>;
  resources: Map<string, SnapshotItem>;
  resourceTemplates: Map<string, SnapshotItem>;
}

/** A Snapshot with these server-level fields and no items yet; `instructions` only when given. */
export function newSnapshot(serverInfo: JsonObject, capabilities: JsonObject, instructions?: string): Snapshot {
  const snapshot: Snapshot = {
    serverInfo,
    capabilities,
    tools: new Map(),
    prompts: new Map(),
    resources: new Map(),
    resourceTemplates: new Map(),
  };
  if (instructions !== undefined) snapshot.instructions = instructions;
  return snapshot;
}

/**
 * Builds a Snapshot from raw listings. Throws McpmError SERVER_PROTOCOL (naming the server, the
 * kind and the item) when an item lacks its key, when a key is not a string, when one key is served
 * twice (a host would pick one of them in its own way, so no single definition can be locked), or
 * when serverInfo/capabilities are not objects or instructions is not a string.
 *
 * `reference` (the locked snapshot of the same server) only saves work: an item whose definition
 * equals the reference's (jsonEqual) takes the reference's integrity, which is integrityOf of an
 * equal value (the invariant above) and so the same string, without printing and hashing it again;
 * a snapshot equal to the reference in every part takes its server integrity the same way. The
 * result is the one buildSnapshot(server, raw) returns.
 *
 * `keyOrder`: each kind's items are kept in code-unit order of their keys, the order the lock
 * stores them in, and the server integrity is computed at once from the texts printed for the item
 * integrities (IntegrityWriter, as a lock's reader does), instead of printing the whole snapshot
 * again. For a first lock (no `reference`), whose definitions are put in key order (inKeyOrder) and never shown.
 */
export function buildSnapshot(server: string, raw: RawListing, reference?: Snapshot, options: { keyOrder?: boolean } = {}): Snapshot {
  if (options.keyOrder && reference !== undefined) throw new Error('Assertion failed: keyOrder builds a first lock, which has no reference');
  const who = `server ${jsonQuote(server)}`;
  const fail = (message: string): never => {
    throw new McpmError(
      'SERVER_PROTOCOL',
      `${who} ${message}`,
      'the server does not follow the MCP specification; nothing was locked for it',
    );
  };

  const serverInfo = raw.serverInfo as JsonValue | undefined;
  if (serverInfo === undefined) fail('sent no serverInfo');
  if (!isJsonObject(serverInfo)) return fail('sent a serverInfo that is not an object');
  // capabilities may be left out by a server that offers none; `{}` says the same.
  const sent = raw.capabilities as JsonValue | undefined;
  const capabilities = sent === undefined ? (Object.create(null) as JsonObject) : sent;
  if (!isJsonObject(capabilities)) return fail('sent capabilities that are not an object');
  const instructions = raw.instructions;
  if (instructions !== undefined && typeof instructions !== 'string') return fail('sent instructions that are not a string');
  const foldedInfo = foldedMember(serverInfo, SERVER_INFO_MEMBERS);
  if (foldedInfo !== undefined) fail(`sent a serverInfo with the member ${jsonQuote(foldedInfo.key)}, which some hosts read as ${jsonQuote(foldedInfo.readAs)}`);

  const snapshot = newSnapshot(serverInfo, capabilities, instructions);
  let sameAsReference =
    reference !== undefined &&
    reference.instructions === instructions &&
    jsonEqual(reference.serverInfo, serverInfo) &&
    jsonEqual(reference.capabilities, capabilities);

  for (const kind of ITEM_KINDS) {
    const list = raw.lists[kind] as JsonValue[] | null | undefined;
    if (list === null || list === undefined) continue;
    const where = LIST_METHOD[kind];
    const noun = ITEM_NOUN[kind];
    const keyField = ITEM_KEY[kind];
    if (!Array.isArray(list)) fail(`sent a ${where} result whose ${kind} is not an array`);
    const items = snapshot[kind];
    list.forEach((definition, index) => {
      if (!isJsonObject(definition)) return fail(`listed a ${noun} that is not an object (${where}, item ${index + 1})`);
      const key = definition[keyField];
      if (typeof key !== 'string') {
        return fail(`listed a ${noun} without a string "${keyField}" (${where}, item ${index + 1})`);
      }
      // Even an identical repeat is refused: it shows the listing is not what the host will see twice.
      if (items.has(key)) return fail(`listed ${noun} ${jsonQuote(key)} twice (${where})`);
      // Like a key given twice: a Go host would read another name, description or hint than the one locked.
      const folded = foldedItemMember(definition);
      if (folded !== undefined) {
        return fail(`listed ${noun} ${jsonQuote(key)} with the member ${jsonQuote(folded.key)}${folded.pointer === '' ? '' : ` in ${jsonQuote(folded.pointer)}`}, which some hosts read as ${jsonQuote(folded.readAs)} (${where})`);
      }
      const known = reference?.[kind].get(key);
      if (known !== undefined && jsonEqual(known.definition, definition)) {
        items.set(key, { definition, integrity: known.integrity });
      } else if (options.keyOrder) {
        // Hashed below, in key order, with the server integrity.
        sameAsReference = false;
        items.set(key, { definition, integrity: UNHASHED });
      } else {
        sameAsReference = false;
        items.set(key, { definition, integrity: integrityOf(definition) });
      }
    });
  }
  if (options.keyOrder) return inKeyOrderWithIntegrity(snapshot);
  if (reference !== undefined && sameAsReference && ITEM_KINDS.every((kind) => snapshot[kind].size === reference[kind].size)) {
    // Every part equal, the same keys in every kind: snapshotToJson of both are equal values.
    snapshotIntegrities.set(snapshot, snapshotIntegrity(reference));
  }
  return snapshot;
}

/**
 * The RFC 8785 texts of a first lock's items (inKeyOrderWithIntegrity), joined by commas: its
 * findings look at all of a server's text at once, and printing every definition again for that
 * was a fifth of a first lock's findings (4 servers × 800 tools). One string per server, kept
 * from its snapshot to its findings.
 */
const itemTexts = new WeakMap<Snapshot, string>();

/**
 * The JSON texts of every item's definition in `snapshot`, in key order, joined by commas, when
 * buildSnapshot printed them (a first lock's snapshot); else undefined. Each is the text
 * JSON.stringify writes for the definition up to the order of keys (canonicalize).
 */
export function itemsJsonText(snapshot: Snapshot): string | undefined {
  return itemTexts.get(snapshot);
}

/** The integrity of an item buildSnapshot has yet to hash (keyOrder): never in a Snapshot it returns. */
const UNHASHED = '' as Integrity;

/**
 * `snapshot` with each kind's items in code-unit order of their keys and hashed: each item's
 * canonical text is printed once, hashed for the item's integrity and written into the server
 * integrity (IntegrityWriter, as a lock's reader does), in snapshotToJson's order. That is
 * integrityOf(snapshotToJson(…)), without printing the snapshot again. The texts are not kept
 * one by one (kept in a map, the garbage collector copied them, which cost as much as printing
 * them again), only joined into one string for the server's findings (itemsJsonText).
 */
function inKeyOrderWithIntegrity(snapshot: Snapshot): Snapshot {
  const ordered = newSnapshot(snapshot.serverInfo, snapshot.capabilities, snapshot.instructions);
  const texts: string[] = [];
  const integrity = writtenIntegrity(ordered, (kind, writer) => {
    const items = snapshot[kind];
    if (items.size === 0) return;
    writer.open(kind);
    // Array.prototype.sort without a comparator orders strings by UTF-16 code units.
    const keys = [...items.keys()].sort();
    // Indexed, not for-of: no iterator result per item (run once per item of a first lock, cold).
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i]!;
      // Made by buildSnapshot just now, unhashed (a first lock has no reference), and not yet shared: hashed in place.
      const item = items.get(key)!;
      const printed = printWithIntegrity(item.definition);
      item.integrity = printed.integrity;
      ordered[kind].set(key, item);
      writer.item(key, printed.text, printed.integrity);
      texts.push(printed.text);
    }
    writer.close();
  });
  snapshotIntegrities.set(ordered, integrity);
  if (texts.length > 0) itemTexts.set(ordered, texts.join(','));
  return ordered;
}

/**
 * integrityOf(snapshotToJson(snapshot)) written member by member in that text's order: the
 * server-level fields from `snapshot`, each kind by `writeKind` (its items, under the kind, when it
 * has any), which may fill the kind as it writes it. The first lock and a lock's reader hash so.
 */
function writtenIntegrity(snapshot: Snapshot, writeKind: (kind: ItemKind, writer: IntegrityWriter) => void): Integrity {
  const writer = new IntegrityWriter();
  for (const member of SNAPSHOT_MEMBERS) {
    if (member === 'instructions') {
      if (snapshot.instructions !== undefined) writer.member('instructions', snapshot.instructions);
    } else if (member === 'capabilities' || member === 'serverInfo') {
      writer.member(member, snapshot[member]);
    } else {
      writeKind(member, writer);
    }
  }
  return writer.digest();
}

/**
 * The reference's definition of the item `definition` names when the two are equal (jsonEqual),
 * else `definition` itself. A listing that keeps the locked object for every unchanged item holds
 * one copy of each definition instead of two, and buildSnapshot then knows the item by identity.
 * The two are the same JSON value (only their key order may differ), so every integrity, change
 * and finding is the same as for the served object.
 */
export function lockedIfEqual(reference: Snapshot | undefined, kind: ItemKind, definition: JsonValue): JsonValue {
  if (reference === undefined || !isJsonObject(definition)) return definition;
  const key = definition[ITEM_KEY[kind]];
  const known = typeof key === 'string' ? reference[kind].get(key) : undefined;
  return known !== undefined && jsonEqual(known.definition, definition) ? known.definition : definition;
}

/**
 * The JSON form stored in the lock under `snapshot` (empty kinds omitted). The same object each
 * time for the same snapshot (snapshots never change), and never to be changed: one run may print
 * it more than once (a search for secrets, an entry's integrity with accept rules, the lock).
 */
export function snapshotToJson(snapshot: Snapshot): JsonObject {
  let json = snapshotJsons.get(snapshot);
  if (json === undefined) snapshotJsons.set(snapshot, (json = buildSnapshotJson(snapshot)));
  return json;
}

const snapshotJsons = new WeakMap<Snapshot, JsonObject>();

function buildSnapshotJson(snapshot: Snapshot): JsonObject {
  const json = Object.create(null) as JsonObject;
  // Keys added in code-unit order, as RFC 8785 prints them: canonical.ts then prints the whole
  // snapshot natively, whatever kinds of items it has.
  for (const member of SNAPSHOT_MEMBERS) {
    if (member === 'instructions') {
      if (snapshot.instructions !== undefined) json.instructions = snapshot.instructions;
    } else if (member === 'capabilities' || member === 'serverInfo') {
      json[member] = snapshot[member];
    } else if (snapshot[member].size > 0) {
      json[member] = itemsToJson(snapshot[member]);
    }
  }
  return json;
}

/** The members of a snapshot's lock form in code-unit order, the order its RFC 8785 text has them. */
const SNAPSHOT_MEMBERS: readonly ('capabilities' | 'instructions' | 'serverInfo' | ItemKind)[] = (['capabilities', 'instructions', 'serverInfo', ...ITEM_KINDS] as const).slice().sort();

/**
 * The integrity a lock file stated for an item, as written, for items snapshotFromJson returned,
 * when it is not the one recomputed (when it is, the item's own `integrity` is what was stated, and
 * a lock of thousands of items records nothing). Keyed by the item object itself, so the claim
 * stays with exactly the item that was read: an item replaced later (a new approval) has no stored
 * claim and is checked by its own `integrity`.
 */
const storedIntegrities = new WeakMap<SnapshotItem, Integrity>();

/** What the lock stated for `item`, when that differs from `item.integrity`. */
export function storedIntegrityOf(item: SnapshotItem): Integrity | undefined {
  return storedIntegrities.get(item);
}

/** How many items of each kind the snapshot holds. */
export function snapshotItemCounts(snapshot: Snapshot): Record<ItemKind, number> {
  return { tools: snapshot.tools.size, prompts: snapshot.prompts.size, resources: snapshot.resources.size, resourceTemplates: snapshot.resourceTemplates.size };
}

/**
 * Inverse of snapshotToJson; recomputes item integrities (the caller compares them with the stored ones).
 * The stored ones are available through storedIntegrityOf(item); see the invariant at the top of
 * this file for why the Snapshot never carries them.
 *
 * Throws McpmError LOCKFILE_CORRUPT prefixed with `where`, e.g.
 * `mcp.lock: servers["notes"].snapshot.tools["add"]: definition must be an object`.
 * `read`: as for itemsFromJson; with `checkedBefore`, the server integrity is computed only if asked for.
 */
export function snapshotFromJson(json: JsonValue, where: string, read: ItemsRead = {}): Snapshot {
  const fail = lockCorrupt;
  if (!isJsonObject(json)) return fail(where, 'must be an object');
  for (const key of Object.keys(json)) {
    if (!SNAPSHOT_KEYS.has(key)) fail(where, `unexpected key ${jsonQuote(key)}`);
  }
  const { serverInfo, capabilities, instructions } = json;
  if (!isJsonObject(serverInfo)) return fail(where, 'serverInfo must be an object');
  if (!isJsonObject(capabilities)) return fail(where, 'capabilities must be an object');
  if (instructions !== undefined && typeof instructions !== 'string') return fail(where, 'instructions must be a string');

  const snapshot = newSnapshot(serverInfo, capabilities, instructions);
  const readKind = (kind: ItemKind, writer?: IntegrityWriter): void => {
    const byKey = json[kind];
    if (byKey === undefined) return;
    if (!isJsonObject(byKey)) fail(where, `${kind} must be an object`);
    snapshot[kind] = itemsFromJson(kind, byKey, `${where}.${kind}`, { ...read, writer });
    // snapshotToJson leaves an empty kind out, and the server integrity covers the snapshot as read.
    if (snapshot[kind].size === 0) fail(where, `${kind} must not be empty (mcpm leaves it out then)`);
  };
  if (read.checkedBefore === true) {
    for (const kind of ITEM_KINDS) readKind(kind);
    return snapshot;
  }
  // Every reader of a lock checks the server integrity, integrityOf(snapshotToJson(snapshot)): its
  // text is hashed as the items are read, each definition's text as printed for its own integrity,
  // members in the order snapshotToJson's text has them (the writer checks it).
  snapshotIntegrities.set(snapshot, writtenIntegrity(snapshot, readKind));
  return snapshot;
}

/**
 * One kind's items as stored in the lock (`{"<key>": {"definition", "integrity"}}`), in file order,
 * integrities recomputed and the stored ones kept for storedIntegrityOf. Throws LOCKFILE_CORRUPT
 * prefixed with `where`. Tombstones are stored in the same form. `read.sortedKeys`: the lock's
 * objects are known to list their keys in code-unit order (printWithIntegrity); `read.writer`:
 * the kind's items are written there as snapshotToJson has them, under the kind, if there are any.
 */
export function itemsFromJson(kind: ItemKind, byKey: JsonValue, where: string, read: ItemsRead & { writer?: IntegrityWriter } = {}): Map<string, SnapshotItem> {
  const fail = lockCorrupt;
  if (!isJsonObject(byKey)) return fail(where, 'must be an object');
  const keyField = ITEM_KEY[kind];
  const items = new Map<string, SnapshotItem>();
  // In file order: Object.keys would put integer-like keys ("2" before "10") first.
  for (const key of Object.keys(byKey).sort()) {
    // Only when failing: a lock holds thousands of items.
    const at = (): string => `${where}[${jsonQuote(key)}]`;
    const entry = byKey[key];
    if (!isJsonObject(entry)) return fail(at(), 'must be an object');
    for (const field in entry) {
      if (field !== 'definition' && field !== 'integrity') fail(at(), `unexpected key ${jsonQuote(field)}`);
    }
    const { definition, integrity } = entry;
    if (!isJsonObject(definition)) return fail(at(), 'definition must be an object');
    // Checked before: the stated integrity is the one printing would compute.
    const printed = read.checkedBefore === true ? undefined : printWithIntegrity(definition, read.sortedKeys);
    // A stated integrity equal to the recomputed one is well formed: only another one is checked.
    if (integrity !== printed?.integrity && !isIntegrity(integrity)) return fail(at(), 'integrity must be a "sha256-<base64>" string');
    // The key is what hosts and the guard look items up by; it must be the definition's own name.
    if (definition[keyField] !== key) fail(at(), `definition.${keyField} must be ${jsonQuote(key)}, the key it is stored under`);
    const recomputed = printed?.integrity ?? (integrity as Integrity);
    const item: SnapshotItem = { definition, integrity: recomputed };
    if (integrity !== recomputed) storedIntegrities.set(item, integrity as Integrity);
    items.set(key, item);
    const writer = read.writer;
    if (writer !== undefined && printed !== undefined) {
      if (items.size === 1) writer.open(kind);
      writer.item(key, printed.text, recomputed);
    }
  }
  if (read.writer !== undefined && items.size > 0) read.writer.close();
  return items;
}

/**
 * How a lock's items are read. `sortedKeys`: see itemsFromJson. `checkedBefore`: the lock's text of
 * them passed checkLock before, in this build (adapters/entry-checks.ts), so the integrities it
 * states are those a reading would compute: taken as stated, without printing or hashing anything.
 */
export interface ItemsRead {
  sortedKeys?: boolean;
  checkedBefore?: boolean;
}

/** The stored form of one kind's items: `{"<key>": {"definition", "integrity"}}`. */
export function itemsToJson(items: ReadonlyMap<string, SnapshotItem>): JsonObject {
  const byKey = Object.create(null) as JsonObject;
  // Map.forEach, not for-of: no iterator result and entry per item (once per item of a lock written).
  items.forEach((item, key) => {
    // A literal given a null prototype, not Object.create(null): V8 keeps it in its fast layout (one
    // shape shared by every entry), as it keeps JSON.parse's objects (json-strict.ts), not a dictionary.
    const entry = Object.setPrototypeOf({ definition: item.definition, integrity: item.integrity }, null) as JsonObject;
    // byKey has no prototype, so a key such as "__proto__" is stored as an own property.
    byKey[key] = entry;
  });
  return byKey;
}

function lockCorrupt(at: string, message: string): never {
  throw new McpmError(
    'LOCKFILE_CORRUPT',
    `${at}: ${message}`,
    'the lock was left untouched; restore it from version control, or delete the entry and run "mcpm install" to re-lock it',
  );
}

const SNAPSHOT_KEYS = new Set<string>(['capabilities', 'instructions', 'serverInfo', ...ITEM_KINDS]);

/** integrityOf(snapshotToJson(snapshot)): the per-server integrity. */
export function snapshotIntegrity(snapshot: Snapshot): Integrity {
  let integrity = snapshotIntegrities.get(snapshot);
  if (integrity === undefined) {
    integrity = integrityOf(snapshotToJson(snapshot));
    snapshotIntegrities.set(snapshot, integrity);
  }
  return integrity;
}

/** Snapshots are never changed once built (approval builds a new one), so their integrity is kept. */
const snapshotIntegrities = new WeakMap<Snapshot, Integrity>();
