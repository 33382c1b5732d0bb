/**
 * Cline: `cline_mcp_settings.json`, in VS Code's storage for the extension
 * (`<Code user dir>/User/globalStorage/saoudrizwan.claude-dev/settings/`) and, for the Cline CLI,
 * `~/.cline/data/settings/`. Servers under `mcpServers`, in Claude's shape; `type` may be
 * `streamableHttp`. `disabled`, `autoApprove` and `timeout` are Cline's own settings and kept as
 * written by guard. Cline expands no variables in the file, so guard forwards none.
 */
import { jsonHost } from './json-text.js';

export const cline = jsonHost({
  name: 'cline',
  syntax: 'json',
  roots: () => [['mcpServers']],
});
