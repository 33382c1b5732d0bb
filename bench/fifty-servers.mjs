// A 50-server project with a matching lock (20 tools each), for the offline verify benchmark.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { serializeLock } from '../dist/core/lockfile.js';
import { buildSnapshot, snapshotIntegrity } from '../dist/core/snapshot.js';

export async function buildFiftyServerProject(dir) {
  mkdirSync(dir, { recursive: true });
  const mcpServers = {};
  const servers = new Map();
  for (let i = 0; i < 50; i++) {
    const name = `server-${i}`;
    const launch = { transport: 'stdio', command: 'npx', args: ['-y', `@acme/server-${i}@1.0.${i}`], envNames: ['API_TOKEN'] };
    mcpServers[name] = { command: launch.command, args: launch.args, env: { API_TOKEN: '${API_TOKEN}' } };
    const tools = Array.from({ length: 20 }, (_, t) => ({
      name: `tool_${t}`,
      description: `Does thing ${t} of server ${i}. `.repeat(8),
      inputSchema: { type: 'object', properties: { q: { type: 'string', description: 'query' }, n: { type: 'integer' } }, required: ['q'] },
    }));
    const snapshot = buildSnapshot(name, {
      era: 'handshake',
      protocolVersion: '2025-11-25',
      serverInfo: { name, version: `1.0.${i}` },
      capabilities: { tools: {} },
      lists: { tools, prompts: null, resources: null, resourceTemplates: null },
    });
    servers.set(name, {
      integrity: snapshotIntegrity(snapshot),
      launch,
      protocol: { era: 'handshake', version: '2025-11-25' },
      server: { name, version: `1.0.${i}` },
      snapshot,
    });
  }
  writeFileSync(join(dir, '.mcp.json'), JSON.stringify({ mcpServers }, null, 2));
  writeFileSync(join(dir, 'mcp.lock'), serializeLock({ servers, eol: '\n' }));
}
