/**
 * `mcpm export HOST`: the lock as the host's own managed allow-list (core/host-allowlist.ts), printed
 * or merged into a settings file (`--out`), so the host refuses what the lock does not pin even
 * when it starts servers without `mcpm run`. Starts nothing; the lock is checked against its own
 * integrities first, so a hand-edited lock is not exported.
 */
import { basename, resolve } from 'node:path';
import { readTextFile, writeTextFile } from '../adapters/files.js';
import { McpmError, type ExitStatus } from '../core/errors.js';
import { EXPORT_HOSTS, isPatternUrl, managedSettingsFor, projectSettingsFor, type ExportHost } from '../core/host-allowlist.js';
import { isJsonObject, jsonQuote, parseStrictJson, StrictJsonError } from '../core/json-strict.js';
import { urlParts } from '../core/launch/values.js';
import { sanitizeLine } from '../core/sanitize.js';
import { stringifyAsciiJson, writeJson } from '../render/json.js';
import type { Deps } from '../deps.js';
import type { GlobalOptions } from '../app/options.js';
import { loadCheckedLock, loadProject } from '../app/project.js';

export interface ExportOptions extends GlobalOptions {
  /** Claude Code only: the project settings (`enabledMcpjsonServers`) instead of the managed ones. */
  project?: boolean;
  /** Merge into this JSON settings file (its other keys kept) instead of printing. */
  out?: string;
}

export async function exportHost(host: string, options: ExportOptions, deps: Deps): Promise<ExitStatus> {
  if (!(EXPORT_HOSTS as readonly string[]).includes(host)) {
    throw new McpmError('USAGE', `${jsonQuote(host)} is not one of ${EXPORT_HOSTS.join(', ')}`, 'run "mcpm export --help" for the hosts and their files');
  }
  if (options.project && host !== 'claude-code') throw new McpmError('USAGE', '--project is for claude-code (its enabledMcpjsonServers)', 'drop --project');
  const project = await loadProject(options, deps);
  const { lock, text } = await loadCheckedLock(project);
  if (text === null) throw new McpmError('LOCKFILE_MISSING', `${project.lockLabel} does not exist: there is nothing to export`, 'run "mcpm install" to create the lock');
  for (const [name, entry] of lock.servers) {
    // Query values in the URL are in the lock only hashed: the host's allow-list
    // needs them in clear to pin the URL, and writing them would put the credential in its file.
    if (entry.launch.transport !== 'stdio' && urlParts(entry.launch.url).parts.length > 0) {
      throw new McpmError(
        'CONFIG_INVALID',
        `${project.lockLabel}: server ${jsonQuote(name)}: its URL holds query values, which the lock keeps only hashed, so a host allow-list cannot pin it without writing them`,
        'send the credential as a header ("headers" in the config) instead of in the URL, then re-lock',
      );
    }
    // The hosts read `*` in serverUrl as a wildcard: such a URL would allow more than the lock pins.
    if (entry.launch.transport !== 'stdio' && isPatternUrl(entry.launch.url)) {
      throw new McpmError('CONFIG_INVALID', `${project.lockLabel}: server ${jsonQuote(name)}: its URL contains "*", which the host would read as a wildcard`, 'percent-encode the "*" as %2A in the config, then re-lock');
    }
  }
  const mcpJson = new Set([...project.servers.values()].filter((s) => basename(s.source) === '.mcp.json').map((s) => s.name));
  const settings = options.project ? projectSettingsFor(lock, mcpJson) : managedSettingsFor(host as ExportHost, lock);

  if (options.out === undefined) {
    // Names, commands and URLs come from the lock (someone's pull request): escaped as every JSON output is.
    writeJson(deps.stdout, settings);
    return 0;
  }
  const file = resolve(deps.cwd, options.out);
  const existing = await readTextFile(file, options.out);
  const merged = { ...(existing === null ? {} : settingsObject(existing, options.out)), ...settings };
  await writeTextFile(file, options.out, `${stringifyAsciiJson(merged)}\n`);
  if (!options.quiet) deps.stderr.write(`${sanitizeLine(`wrote ${Object.keys(settings).join(', ')} to ${options.out} (${lock.servers.size} locked server(s))`)}\n`);
  return 0;
}

/** The settings file's object; its other keys are kept. A file that is not one is left alone. */
function settingsObject(text: string, shown: string): Record<string, unknown> {
  let value;
  try {
    value = parseStrictJson(text);
  } catch (error) {
    if (!(error instanceof StrictJsonError)) throw error;
    throw new McpmError('CONFIG_INVALID', `${shown}: not valid JSON (${error.message}); it was left unchanged`, 'fix the file, or export to a new one');
  }
  if (!isJsonObject(value)) throw new McpmError('CONFIG_INVALID', `${shown}: not a JSON object; it was left unchanged`, 'fix the file, or export to a new one');
  return { ...value };
}
