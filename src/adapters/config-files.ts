// STUB: signatures are final; implementation pending (helper "config-store").
import type { ServerConfig } from '../core/launch.js';

/**
 * Project discovery (cli-contract.md): `.mcp.json`, `.cursor/mcp.json`, `.vscode/mcp.json` under
 * `projectDir`; or exactly the `--config` files given (format picked by shape: `servers` → VS Code,
 * else `mcpServers`). Returns the merged servers and the files read. CONFIG_NOT_FOUND when discovery
 * finds nothing and no file was named.
 */
export async function loadConfig(
  _projectDir: string,
  _configFiles: readonly string[],
): Promise<{ servers: Map<string, ServerConfig>; files: string[] }> {
  throw new Error('not implemented');
}
