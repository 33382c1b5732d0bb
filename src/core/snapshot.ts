// STUB: types are final; implementation pending (helper "core-lock").
import type { Integrity } from './canonical.js';
import type { JsonObject, JsonValue } from './json-strict.js';

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

/** Everything the model or host can see of one server. Item maps are keyed by ITEM_KEY. */
export interface Snapshot {
  serverInfo: JsonObject;
  capabilities: JsonObject;
  instructions?: string;
  tools: Map<string, SnapshotItem>;
  prompts: Map<string, SnapshotItem>;
  resources: Map<string, SnapshotItem>;
  resourceTemplates: Map<string, SnapshotItem>;
}

/**
 * Builds a Snapshot from raw listings. Throws McpmError SERVER_PROTOCOL (naming the server, the
 * kind and the item) when an item lacks its key, when a key is not a string, when one key is served
 * twice (a host would pick one of them in its own way, so no single definition can be locked), or
 * when serverInfo/capabilities are not objects or instructions is not a string.
 */
export function buildSnapshot(_server: string, _raw: RawListing): Snapshot {
  throw new Error('not implemented');
}

/** The JSON form stored in the lock under `snapshot` (empty kinds omitted). */
export function snapshotToJson(_snapshot: Snapshot): JsonObject {
  throw new Error('not implemented');
}

/** Inverse of snapshotToJson; recomputes item integrities (the caller compares them with the stored ones). */
export function snapshotFromJson(_json: JsonValue, _where: string): Snapshot {
  throw new Error('not implemented');
}

/** integrityOf(snapshotToJson(snapshot)): the per-server integrity. */
export function snapshotIntegrity(_snapshot: Snapshot): Integrity {
  throw new Error('not implemented');
}
