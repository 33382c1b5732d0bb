/**
 * VS Code: `.vscode/mcp.json` in a workspace, or `mcp.json` in the user profile (`<Code user
 * dir>/User/mcp.json`). JSONC, with **`servers`** (not `mcpServers`) and `inputs`; `type` is
 * `stdio`, `http` or `sse`. `${input:…}` is kept verbatim; at launch it takes MCPM_INPUT_<ID>
 * or is asked for on the terminal (app/inputs.ts), and is refused naming it without either.
 */
import { jsonHost } from './json-text.js';

export const vscode = jsonHost({
  name: 'vscode',
  syntax: 'jsonc',
  forwardVariable: (name) => `\${env:${name}}`,
  shape: 'vscode',
  roots: () => [['servers']],
});
