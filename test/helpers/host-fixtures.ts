// The host config fixtures in test/fixtures/hosts, shared by the host adapter unit tests and the
// `mcpm guard --host` e2e tests so that both exercise the same files.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { HostName } from '../../src/adapters/hosts/index.js';

/** The hosts whose files mcpm guard rewrites (not Continue's YAML, not Claude Code's plugins). */
export type GuardableHost = Exclude<HostName, 'continue' | 'claude-code-plugins'>;

/** One fixture per host that guard rewrites, in the host's real format, with comments where the host allows them. */
export const HOST_FIXTURES: Record<GuardableHost, string> = {
  'claude-code': 'claude.json',
  'claude-desktop': 'claude_desktop_config.json',
  cursor: 'cursor.mcp.json',
  vscode: 'vscode.mcp.json',
  windsurf: 'windsurf.mcp_config.json',
  gemini: 'gemini.settings.json',
  codex: 'codex.config.toml',
  zed: 'zed.settings.json',
  cline: 'cline_mcp_settings.json',
};

/** A file of test/fixtures/hosts by its name. */
export function fixtureFilePath(name: string): string {
  return fileURLToPath(new URL(`../fixtures/hosts/${name}`, import.meta.url));
}

export function hostFixturePath(host: HostName): string {
  const name = (HOST_FIXTURES as Partial<Record<HostName, string>>)[host];
  if (name === undefined) throw new Error(`no fixture for ${host}: it is not a host guard rewrites`);
  return fixtureFilePath(name);
}

export function hostFixture(host: HostName): string {
  return readFileSync(hostFixturePath(host), 'utf8');
}
