/**
 * Gemini CLI: `~/.gemini/settings.json` and a project's `.gemini/settings.json`, JSONC (the CLI
 * strips comments), servers under `mcpServers`. Each entry has one transport key: `command` (stdio),
 * **`url` = SSE**, **`httpUrl` = Streamable HTTP**; a newer `type` may say `http` for a `url`.
 * `env` values may reference `$VAR` as well as `${VAR}`; the bare form is read as `${VAR}`, which
 * is what the CLI does with it. `timeout`, `trust`, `includeTools`, … are the CLI's own and kept.
 */
import { McpmError } from '../../core/errors.js';
import { isJsonObject, jsonQuote } from '../../core/json-strict.js';
import { copyEntry, jsonHost, own } from './json-text.js';

export const gemini = jsonHost({
  name: 'gemini',
  syntax: 'jsonc',
  forwardVariable: (name) => `\${${name}}`,
  roots: () => [['mcpServers']],
  launchKeys: ['httpUrl'],
  normalize: (entry, name, file) => {
    const out = copyEntry(entry);
    const url = own(entry, 'url');
    const httpUrl = own(entry, 'httpUrl');
    if (url !== undefined && httpUrl !== undefined) {
      throw new McpmError('CONFIG_INVALID', `${file}: server ${jsonQuote(name)}: has both "url" (SSE) and "httpUrl" (Streamable HTTP)`, 'keep one of the two');
    }
    if (httpUrl !== undefined) {
      delete out['httpUrl'];
      out['url'] = httpUrl;
      out['type'] ??= 'http';
    } else if (url !== undefined) {
      out['type'] ??= 'sse';
    }
    const env = own(entry, 'env');
    if (isJsonObject(env)) {
      const expanded = copyEntry(env);
      for (const key of Object.keys(expanded)) {
        const value = expanded[key];
        if (typeof value === 'string') expanded[key] = value.replace(/\$([A-Za-z_][A-Za-z0-9_]*)/g, '${$1}');
      }
      out['env'] = expanded;
    }
    return out;
  },
});
