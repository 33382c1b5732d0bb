/**
 * VS Code: `.vscode/mcp.json` in a workspace, or `mcp.json` in the user profile (`<Code user
 * dir>/User/mcp.json`). JSONC, with **`servers`** (not `mcpServers`) and `inputs`; `type` is
 * `stdio`, `http` or `sse`. `${input:…}` is kept verbatim and refused at launch with
 * CONFIG_VARIABLE_UNRESOLVED naming it: mcpm cannot prompt as VS Code does.
 */
import { jsonHost } from './json-text.js';

export const vscode = jsonHost({
  name: 'vscode',
  syntax: 'jsonc',
  forwardVariable: (name) => `\${env:${name}}`,
  shape: 'vscode',
  roots: () => [['servers']],
});
