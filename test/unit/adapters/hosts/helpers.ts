import { readFileSync } from 'node:fs';
import type { HostName } from '../../../../src/adapters/hosts/index.js';

/** One fixture per host, in the host's real format, with comments where the host allows them. */
export const FIXTURES: Record<HostName, string> = {
  'claude-code': 'claude.json',
  'claude-desktop': 'claude_desktop_config.json',
  cursor: 'cursor.mcp.json',
  vscode: 'vscode.mcp.json',
  windsurf: 'windsurf.mcp_config.json',
  gemini: 'gemini.settings.json',
  codex: 'codex.config.toml',
  zed: 'zed.settings.json',
};

export function fixture(host: HostName): string {
  return readFileSync(new URL(`../../../fixtures/hosts/${FIXTURES[host]}`, import.meta.url), 'utf8');
}

/** The project whose local scope claude.json has. */
export const CLAUDE_PROJECT = '/home/user/src/app';
