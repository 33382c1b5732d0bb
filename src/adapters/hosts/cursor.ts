/**
 * Cursor: `~/.cursor/mcp.json` and a project's `.cursor/mcp.json`, JSON with `mcpServers`:
 * `command`/`args`/`env`/`envFile`, or `url`/`headers` (`type` optional). `${env:NAME}`,
 * `${userHome}` and `${workspaceFolder}` are resolved at launch (core/launch/expand.ts).
 */
import { jsonHost } from './json-text.js';

export const cursor = jsonHost({
  name: 'cursor',
  syntax: 'json',
  forwardVariable: (name) => `\${env:${name}}`,
  roots: () => [['mcpServers']],
});
