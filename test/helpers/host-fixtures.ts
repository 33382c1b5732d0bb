// The host config fixtures in test/fixtures/hosts, shared by the host adapter unit tests and the
// `mcpm guard --host` e2e tests so that both exercise the same files.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { HostName } from '../../src/adapters/hosts/index.js';

/** One fixture per host, in the host's real format, with comments where the host allows them. */
export const HOST_FIXTURES: Record<HostName, string> = {
  'claude-code': 'claude.json',
  'claude-desktop': 'claude_desktop_config.json',
  cursor: 'cursor.mcp.json',
  vscode: 'vscode.mcp.json',
  windsurf: 'windsurf.mcp_config.json',
  gemini: 'gemini.settings.json',
  codex: 'codex.config.toml',
  zed: 'zed.settings.json',
};

export function hostFixturePath(host: HostName): string {
  return fileURLToPath(new URL(`../fixtures/hosts/${HOST_FIXTURES[host]}`, import.meta.url));
}

export function hostFixture(host: HostName): string {
  return readFileSync(hostFixturePath(host), 'utf8');
}
