/**
 * Claude Code. A project's `.mcp.json` is the project scope (read by project discovery); the user's
 * `~/.claude.json` holds the user scope (top-level `mcpServers`) and each project's local scope
 * (`projects["/abs/path"].mcpServers`), next to much state of the app's own. Claude Code prefers a
 * local definition over a user one of the same name, and so does read. Entries are Claude Code's
 * `mcpServers` shape: `type` stdio/http/sse, `command`/`args`/`env` or `url`/`headers`, with
 * `${VAR}` and `${VAR:-default}` expanded.
 */
import { jsonHost } from './json-text.js';

export const claudeCode = jsonHost({
  name: 'claude-code',
  syntax: 'json',
  // Claude Code expands ${VAR} in env values.
  forwardVariable: (name) => `\${${name}}`,
  roots: (_json, context) => [['mcpServers'], ...(context.projectDir === undefined ? [] : [['projects', context.projectDir, 'mcpServers']])],
  inScope: (path, context) => path[0] !== 'projects' || path[1] === context.projectDir,
});
