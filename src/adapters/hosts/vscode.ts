/**
 * VS Code: `.vscode/mcp.json` in a workspace, or `mcp.json` in the user profile (`<Code user
 * dir>/User/mcp.json`). JSONC, with **`servers`** (not `mcpServers`) and `inputs`; `type` is
 * `stdio`, `http` or `sse`. `${input:…}` is kept verbatim; at launch it takes MCPM_INPUT_<ID>
 * or is asked for on the terminal (app/inputs.ts), and is refused naming it without either.
 * VS Code before 1.102 read the same under the `mcp` key of `settings.json` (`"mcp": {"servers":
 * …, "inputs": …}`), which older installs still have: read there too.
 */
import { at, jsonHost } from './json-text.js';

export const vscode = jsonHost({
  name: 'vscode',
  syntax: 'jsonc',
  forwardVariable: (name) => `\${env:${name}}`,
  shape: 'vscode',
  roots: () => [['servers'], ['mcp', 'servers']],
  inputs: (json) => at(json, ['inputs']) ?? at(json, ['mcp', 'inputs']),
});
