// Projects and locks built without running servers: `verify --offline` benchmarks (N servers × M
// tools, launched with npx, never started) and filler entries that make a lock big.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseLock, serializeLock } from '../dist/core/lockfile.js';
import { buildSnapshot, snapshotIntegrity } from '../dist/core/snapshot.js';

function entry(name, i, tools) {
  const launch = { transport: 'stdio', command: 'npx', args: ['-y', `@acme/${name}@1.0.${i}`], envNames: ['API_TOKEN'], envValues: { API_TOKEN: '${API_TOKEN}' } };
  const snapshot = buildSnapshot(name, {
    era: 'handshake',
    protocolVersion: '2025-11-25',
    serverInfo: { name, version: `1.0.${i}` },
    capabilities: { tools: {} },
    lists: {
      tools: Array.from({ length: tools }, (_, t) => ({
        name: `tool_${t}`,
        description: `Does thing ${t} of server ${i}. `.repeat(8),
        inputSchema: { type: 'object', properties: { q: { type: 'string', description: 'query' }, n: { type: 'integer' } }, required: ['q'] },
      })),
      prompts: null,
      resources: null,
      resourceTemplates: null,
    },
  });
  return { integrity: snapshotIntegrity(snapshot), launch, protocol: { era: 'handshake', version: '2025-11-25' }, server: { name, version: `1.0.${i}` }, snapshot };
}

/** A project of `count` servers × `tools` tools with a matching lock. */
export async function buildOfflineProject(dir, count = 50, tools = 20) {
  mkdirSync(dir, { recursive: true });
  const mcpServers = {};
  const servers = new Map();
  for (let i = 0; i < count; i++) {
    const name = `server-${i}`;
    const e = entry(name, i, tools);
    mcpServers[name] = { command: e.launch.command, args: e.launch.args, env: { API_TOKEN: '${API_TOKEN}' } };
    servers.set(name, e);
  }
  writeFileSync(join(dir, '.mcp.json'), JSON.stringify({ mcpServers }, null, 2));
  writeFileSync(join(dir, 'mcp.lock'), serializeLock({ servers, eol: '\n' }));
}

/** Adds entries of unconfigured servers (after the configured ones) until the lock is about `bytes` long. */
export function fillLock(file, bytes) {
  const lock = parseLock(readFileSync(file, 'utf8'), file);
  const perTool = 1130;
  const needed = Math.max(1, Math.round((bytes - Buffer.byteLength(serializeLock(lock))) / perTool));
  const servers = Math.max(1, Math.ceil(needed / 1000));
  for (let i = 0; i < servers; i++) lock.servers.set(`zz-filler-${i}`, entry(`zz-filler-${i}`, i, Math.ceil(needed / servers)));
  writeFileSync(file, serializeLock(lock));
}
