/**
 * Whether a command line starts mcpm's own `run`, as the entries `mcpm guard` writes do: `mcpm run
 * …`, `mcp-lockfile run …`, `node …/bin/mcpm.cjs run …` (`.js`: the bin's name before it became
 * `.cjs`, still in entries other tools wrote). Its own module: `mcpm run` asks it on its start path,
 * where a module that also reads host formats would cost start-up.
 */
import path from 'node:path';

export function launchesMcpmRun(launch: { command: string; args: readonly string[] }): boolean {
  const isMcpm = (file: string) => ['mcpm', 'mcp-lockfile'].includes(path.basename(file).replace(/\.(cmd|exe|js|cjs)$/i, ''));
  if (isMcpm(launch.command) && launch.args.includes('run')) return true;
  return launch.args.some((arg, i) => isMcpm(arg) && launch.args[i + 1] === 'run');
}
