/**
 * mcpm's private state directory: what it keeps for this user that is not a cache, and that may
 * hold what a config holds (guard's sidecars keep a host config's original entries, values
 * included). Its own module, with nothing else in it: `mcpm run` finds it before it starts a server.
 */
import path from 'node:path';

/**
 * `$XDG_STATE_HOME/mcpm` (default `~/.local/state/mcpm`; on Windows `%LOCALAPPDATA%\mcpm`), or
 * undefined when neither that directory nor a home is set.
 */
export function mcpmStateDir(env: Readonly<Record<string, string | undefined>>, platform: NodeJS.Platform = process.platform): string | undefined {
  if (platform === 'win32') {
    const local = env['LOCALAPPDATA'] || (env['USERPROFILE'] ? path.win32.join(env['USERPROFILE'], 'AppData', 'Local') : undefined);
    return local ? path.win32.join(local, 'mcpm') : undefined;
  }
  const xdg = env['XDG_STATE_HOME'];
  if (xdg && path.posix.isAbsolute(xdg)) return path.posix.join(xdg, 'mcpm');
  return env['HOME'] ? path.posix.join(env['HOME'], '.local', 'state', 'mcpm') : undefined;
}
