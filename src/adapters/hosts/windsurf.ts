/**
 * Windsurf: `~/.codeium/windsurf/mcp_config.json`, JSON with `mcpServers`. stdio entries as Claude's;
 * a remote entry names its endpoint with **`serverUrl`** (or `url`), read as Streamable HTTP (with
 * the SSE fallback core/launch/parse.ts gives `http`). `${env:VAR}` is resolved at launch; `${file:…}` is
 * refused there as a reference mcpm does not resolve.
 */
import { McpmError } from '../../core/errors.js';
import { jsonQuote } from '../../core/json-strict.js';
import { copyEntry, jsonHost, own } from './json-text.js';

export const windsurf = jsonHost({
  name: 'windsurf',
  syntax: 'json',
  forwardVariable: (name) => `\${env:${name}}`,
  roots: () => [['mcpServers']],
  launchKeys: ['serverUrl'],
  normalize: (entry, name, file) => {
    const serverUrl = own(entry, 'serverUrl');
    if (serverUrl === undefined) return entry;
    if (own(entry, 'url') !== undefined) {
      throw new McpmError('CONFIG_INVALID', `${file}: server ${jsonQuote(name)}: has both "serverUrl" and "url"`, 'keep one of the two');
    }
    const out = copyEntry(entry);
    delete out['serverUrl'];
    out['url'] = serverUrl;
    return out;
  },
});
