/**
 * Launch identity: the part of a server's launch that is compared and locked (command, args, cwd,
 * transport, url, and the *names* of env variables and headers), and how two of them are compared.
 * Values are not part of it: the same secret is spelt differently for different hosts.
 */

/**
 * What a host config says about how to start a server, as the lock records it. Values of `env` and
 * `headers` are kept only in memory for launching (ServerConfig); the lock records their *names*.
 */
export type LaunchSpec =
  | {
      transport: 'stdio';
      command: string;
      args: string[];
      cwd?: string;
      /** Names of the variables the config sets for this server, sorted. Never values. */
      envNames: string[];
    }
  | {
      /** `http` is Streamable HTTP with SSE fallback; `sse` is the legacy HTTP+SSE transport only. */
      transport: 'http' | 'sse';
      url: string;
      /** Names of the headers the config sets, sorted. Never values. */
      headerNames: string[];
    };

export function launchEquals(a: LaunchSpec, b: LaunchSpec): boolean {
  return launchDifference(a, b) === undefined;
}

/** The first field in which two launch specs differ, as a phrase for messages ("args"), or undefined. */
export function launchDifference(a: LaunchSpec, b: LaunchSpec): string | undefined {
  if (a.transport === 'stdio' && b.transport === 'stdio') {
    if (a.command !== b.command) return 'the commands';
    if (!arraysEqual(a.args, b.args)) return 'the args';
    if (a.cwd !== b.cwd) return 'the working directories';
    if (!arraysEqual(a.envNames, b.envNames)) return 'the env variable names';
    return undefined;
  }
  if (a.transport !== 'stdio' && b.transport !== 'stdio') {
    if (a.transport !== b.transport) return 'the transports';
    if (a.url !== b.url) return 'the URLs';
    if (!arraysEqual(a.headerNames, b.headerNames)) return 'the header names';
    return undefined;
  }
  return 'the transports';
}

function arraysEqual(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((item, i) => item === b[i]);
}
