#!/usr/bin/env node
// The practical floor for `mcpm verify`: a plain SDK script that connects to the same servers in
// parallel and lists everything (all pages of the four lists), then closes them.
// Usage: node bench/sdk-baseline.mjs <project dir with .mcp.json>
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { ResultSchema } from '@modelcontextprotocol/sdk/types.js';

const dir = resolve(process.argv[2] ?? '.');
const { mcpServers } = JSON.parse(readFileSync(join(dir, '.mcp.json'), 'utf8'));
const methods = ['tools/list', 'prompts/list', 'resources/list', 'resources/templates/list'];

await Promise.all(
  Object.values(mcpServers).map(async (entry) => {
    const env = {};
    for (const [k, v] of Object.entries(entry.env ?? {})) env[k] = v.replace(/\$\{(\w+)(?::-([^}]*))?\}/g, (_, n, d) => process.env[n] ?? d ?? '');
    const transport = new StdioClientTransport({ command: entry.command, args: entry.args, cwd: dir, env, stderr: 'pipe' });
    const client = new Client({ name: 'baseline', version: '1.0.0' }, { capabilities: {} });
    await client.connect(transport);
    for (const method of methods) {
      let cursor;
      do {
        try {
          const result = await client.request({ method, params: cursor ? { cursor } : {} }, ResultSchema);
          cursor = result.nextCursor;
        } catch {
          cursor = undefined;
        }
      } while (cursor);
    }
    await client.close();
  }),
);
