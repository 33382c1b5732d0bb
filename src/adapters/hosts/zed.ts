/**
 * Zed: `settings.json` (`~/.config/zed/settings.json`, a project's `.zed/settings.json`), JSONC,
 * servers under **`context_servers`**. The current form is `{command, args, env}` or `{url,
 * headers}`; older settings wrote `"source": "custom"` beside it, and before that
 * `"command": {"path", "args", "env"}`, which is read as the flat form. Servers provided by a Zed
 * extension (`"source": "extension"`, or only `settings`) are started by the extension: mcpm leaves
 * them out.
 */
import { isJsonObject } from '../../core/json-strict.js';
import { copyEntry, jsonHost, own, SkipEntry } from './json-text.js';

export const zed = jsonHost({
  name: 'zed',
  syntax: 'jsonc',
  roots: () => [['context_servers']],
  launchKeys: ['source'],
  normalize: (entry) => {
    const command = own(entry, 'command');
    if (own(entry, 'source') === 'extension' || (command === undefined && own(entry, 'url') === undefined)) {
      return new SkipEntry('a server provided by a Zed extension; the extension starts it');
    }
    const out = copyEntry(entry);
    delete out['source'];
    if (isJsonObject(command)) {
      out['command'] = own(command, 'path') ?? null;
      const args = own(command, 'args');
      const env = own(command, 'env');
      if (args !== undefined) out['args'] = args;
      if (env !== undefined) out['env'] = env;
    }
    return out;
  },
  envPath: (entry) => (isJsonObject(own(entry, 'command')) ? ['command', 'env'] : ['env']),
});
