/**
 * A lock turned into a host's own managed allow-list, so the host itself refuses any server the
 * lock does not pin, also where `mcpm run` is not in the path. Only documented formats are written:
 *
 * - Claude Code's managed settings (`managed-settings.json`): `allowedMcpServers` entries with
 *   exactly one of `serverName`, `serverCommand` (the exact command and arguments of a stdio server)
 *   or `serverUrl` (a remote server's URL, `*` a wildcard); `allowManagedMcpServersOnly: true` makes
 *   it the only allow-list that applies. Its project settings (`.claude/settings.json`) approve
 *   `.mcp.json` servers by name in `enabledMcpjsonServers`.
 * - GitHub Copilot's enterprise `managed-settings.json`: `allowedMcpServers` with the same entries,
 *   enforced by Copilot clients, VS Code among them (VS Code's own `chat.mcp.access` setting is
 *   all / registry / none, with no per-server list).
 *
 * A server is allowed by its launch, never by its name alone: a name is whatever a project's config
 * calls it. Pure: the lock comes in, a JSON object goes out.
 */
import { compareCodeUnits } from './changes.js';
import type { LaunchSpec } from './launch/identity.js';
import type { Lock } from './lockfile.js';

export const EXPORT_HOSTS = ['claude-code', 'vscode', 'copilot'] as const;
export type ExportHost = (typeof EXPORT_HOSTS)[number];

export type ServerMatcher = { serverCommand: string[] } | { serverUrl: string };

/** One matcher per distinct launch of the lock, in server-name order. */
export function lockMatchers(lock: Lock): ServerMatcher[] {
  const seen = new Set<string>();
  const matchers: ServerMatcher[] = [];
  for (const name of [...lock.servers.keys()].sort(compareCodeUnits)) {
    const matcher = matcherOf(lock.servers.get(name)!.launch);
    const key = JSON.stringify(matcher);
    if (seen.has(key)) continue;
    seen.add(key);
    matchers.push(matcher);
  }
  return matchers;
}

function matcherOf(launch: LaunchSpec): ServerMatcher {
  if (launch.transport === 'stdio') return { serverCommand: [launch.command, ...launch.args] };
  // The caller refuses a URL holding a literal `*` (isPatternUrl): the hosts read it as a wildcard.
  return { serverUrl: launch.url };
}

/** Whether a URL would be read as a pattern by the host (a literal `*` in it). */
export function isPatternUrl(url: string): boolean {
  return url.includes('*');
}

/** The managed settings that allow exactly the lock's launches. */
export function managedSettingsFor(host: ExportHost, lock: Lock): Record<string, unknown> {
  const allowedMcpServers = lockMatchers(lock);
  if (host === 'claude-code') return { allowManagedMcpServersOnly: true, allowedMcpServers };
  return { allowedMcpServers };
}

/** Claude Code's project settings: the locked servers of `.mcp.json`, approved by name. */
export function projectSettingsFor(lock: Lock, mcpJsonServers: ReadonlySet<string>): Record<string, unknown> {
  return { enabledMcpjsonServers: [...lock.servers.keys()].filter((n) => mcpJsonServers.has(n)).sort(compareCodeUnits) };
}

