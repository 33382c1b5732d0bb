// Shared by the core unit tests.
import { McpmError } from '../../../src/core/errors.js';
import { parseStrictJson, type JsonValue } from '../../../src/core/json-strict.js';
import { buildSnapshot, type Snapshot } from '../../../src/core/snapshot.js';

/** The McpmError a call throws (fails the test if it throws something else or nothing). */
export function caught(fn: () => unknown): McpmError {
  try {
    fn();
  } catch (error) {
    if (error instanceof McpmError) return error;
    throw error;
  }
  throw new Error('expected an McpmError, nothing was thrown');
}

/** The snapshot of a one-tool "notes" server (version 1.4.2) whose `add` tool says `description`. */
export function notesSnapshot(description = 'Adds a note.'): Snapshot {
  const tool = parseStrictJson(JSON.stringify({ name: 'add', description, inputSchema: { type: 'object' } }));
  return buildSnapshot('notes', {
    era: 'handshake',
    protocolVersion: '2025-11-25',
    serverInfo: parseStrictJson('{"name":"notes","version":"1.4.2"}'),
    capabilities: parseStrictJson('{"tools":{}}'),
    lists: { tools: [tool as JsonValue], prompts: null, resources: null, resourceTemplates: null },
  });
}
