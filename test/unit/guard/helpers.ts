// Shared by the guard unit tests: a locked entry built the way `mcpm install` builds one, and
// messages parsed the way the relay parses inspected lines (strictly, null-prototype objects).
import { parseStrictJson, type JsonObject, type JsonValue } from '../../../src/core/json-strict.js';
import type { LockEntry } from '../../../src/core/lockfile.js';
import { buildSnapshot, snapshotIntegrity, type ItemKind, type RawListing } from '../../../src/core/snapshot.js';

export const ADD = { name: 'add', description: 'Adds two numbers.', inputSchema: { type: 'object', properties: { a: { type: 'number' } } } };
export const ECHO = { name: 'echo', description: 'Echoes.', inputSchema: { type: 'object' } };
export const GREET = { name: 'greet', description: 'Says hello.' };
export const NOTE = { uri: 'note://1', name: 'first note' };
export const NOTE_TEMPLATE = { uriTemplate: 'note://{id}', name: 'a note' };
export const SERVER_INFO = { name: 'notes', version: '1.0.0' };
export const CAPABILITIES = { tools: { listChanged: true }, prompts: {}, resources: {} };
export const INSTRUCTIONS = 'Use add to add numbers.';

/** A value as the strict parser returns it (null-prototype objects). */
export function strict<T extends JsonValue = JsonObject>(value: unknown): T {
  return parseStrictJson(JSON.stringify(value)) as T;
}

export function lockedEntry(
  lists: Partial<Record<ItemKind, unknown[] | null>> = {},
  top: { serverInfo?: unknown; capabilities?: unknown; instructions?: string | null } = {},
): LockEntry {
  const raw: RawListing = {
    era: 'handshake',
    protocolVersion: '2025-11-25',
    serverInfo: strict(top.serverInfo ?? SERVER_INFO),
    capabilities: strict(top.capabilities ?? CAPABILITIES),
    lists: {
      tools: strict([ADD, ECHO]),
      prompts: strict([GREET]),
      resources: strict([NOTE]),
      resourceTemplates: strict([NOTE_TEMPLATE]),
      ...(Object.fromEntries(Object.entries(lists).map(([k, v]) => [k, v === null ? null : strict(v)])) as Partial<Record<ItemKind, JsonValue[] | null>>),
    },
  };
  if (top.instructions !== null) raw.instructions = top.instructions ?? INSTRUCTIONS;
  const snapshot = buildSnapshot('notes', raw);
  return {
    integrity: snapshotIntegrity(snapshot),
    launch: { transport: 'stdio', command: 'node', args: ['server.js'], envNames: [] },
    protocol: { era: 'handshake', version: '2025-11-25' },
    server: { name: 'notes', version: '1.0.0' },
    snapshot,
  };
}

export function response(id: number | string, result: unknown): JsonObject {
  return strict({ jsonrpc: '2.0', id, result });
}
