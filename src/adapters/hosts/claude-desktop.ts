/**
 * Claude Desktop: `claude_desktop_config.json`, strict JSON. Servers under `mcpServers` (`command`,
 * `args`, `env`); the file also holds the app's own preferences, which guard leaves alone. Remote
 * servers are added in the app (Connectors), not here.
 */
import { jsonHost } from './json-text.js';

export const claudeDesktop = jsonHost({
  name: 'claude-desktop',
  syntax: 'json',
  roots: () => [['mcpServers']],
});
