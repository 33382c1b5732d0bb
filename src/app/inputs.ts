/**
 * VS Code's `${input:ID}` variables, given values before servers start: from the environment
 * variable MCPM_INPUT_<ID> (for scripts and CI), else asked for on the terminal, with the input's
 * `description` and without echo for `"password": true`. The values live in memory for the one
 * command: never in the lock, a sidecar, a log or any output. An input with neither stays
 * unresolved, and the server's launch fails naming the variable to set.
 */
import { inputReferences, inputVariable } from '../core/launch/expand.js';
import type { ServerConfig } from '../core/launch/parse.js';
import { sanitize } from '../core/sanitize.js';
import type { Deps } from '../deps.js';

export async function resolveInputs(servers: readonly ServerConfig[], deps: Pick<Deps, 'env' | 'stdinIsTTY' | 'stderr' | 'ask'>): Promise<Map<string, string>> {
  const values = new Map<string, string>();
  // Told only for an input the environment does not give: whether stdin is a terminal costs node:tty.
  let canAsk: boolean | undefined;
  for (const server of servers) {
    for (const id of inputReferences(server)) {
      if (values.has(id)) continue;
      const fromEnv = deps.env[inputVariable(id)];
      if (fromEnv !== undefined) {
        values.set(id, fromEnv);
        continue;
      }
      canAsk ??= deps.ask !== undefined && deps.stdinIsTTY && deps.stderr.isTTY;
      if (!canAsk) continue;
      const spec = server.inputs?.get(id);
      const label = spec?.description ? `${spec.description} (${id})` : id;
      values.set(id, await deps.ask!(`${sanitize(`${server.name}: ${label}`)}: `, { hidden: spec?.password ?? false }));
    }
  }
  return values;
}
