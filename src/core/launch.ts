// STUB: types are final; implementation pending (helper "config-store").
/**
 * What a host config says about how to start a server. Values of `env` and `headers` are kept only
 * in memory for launching; the lock records their *names* (see LaunchSpec).
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

export interface ServerConfig {
  name: string;
  /** The config file it came from, as given (relative to the project when discovered). */
  source: string;
  launch: LaunchSpec;
  /** Values as written in the config (may contain `${VAR}` references); resolved only at launch. */
  env: Record<string, string>;
  headers: Record<string, string>;
}

export type ConfigFormat = 'mcpServers' | 'vscode';

/** Parses one config file's text into its servers. Throws McpmError CONFIG_INVALID naming file, server and field. */
export function parseConfig(_text: string, _file: string, _format: ConfigFormat): ServerConfig[] {
  throw new Error('not implemented');
}

/** Merges servers from several files; one name with two different launch specs is CONFIG_CONFLICT naming both files. */
export function mergeConfigs(_lists: ServerConfig[][]): Map<string, ServerConfig> {
  throw new Error('not implemented');
}

export function launchEquals(_a: LaunchSpec, _b: LaunchSpec): boolean {
  throw new Error('not implemented');
}

/**
 * Resolves `${VAR}`, `${VAR:-default}` and `${env:VAR}` against `env`. An unset variable with no
 * default is CONFIG_VARIABLE_UNRESOLVED naming the server and the variable.
 */
export function resolveVariables(_value: string, _env: Readonly<Record<string, string | undefined>>, _where: string): string {
  throw new Error('not implemented');
}
