/**
 * `mcpm ls [NAME...]`: what is configured, what is locked, and how the two compare. Offline: starts
 * nothing, so a server whose launch matches its lock entry is shown as `locked` (JSON: `ok`).
 */
import type { ExitStatus } from '../core/errors.js';
import { contextWords } from '../core/hint-context.js';
import { describeLaunch } from '../core/launch-text.js';
import type { LaunchSpec } from '../core/launch/identity.js';
import { lockedItemCounts } from '../core/lockfile.js';
import { shownUrl } from '../core/launch/values.js';
import { sanitizeLine, trusted } from '../core/sanitize.js';
import type { Deps } from '../deps.js';
import { writeJson } from '../render/json.js';
import { credentialsInUrlHint, renderStatusLines } from '../render/status-text.js';
import { paletteFor } from '../render/style.js';
import type { GlobalOptions } from '../app/options.js';
import { loadCheckedLock, loadProject, offlineStatuses } from '../app/project.js';
import { countItems } from '../render/report.js';

export async function ls(names: readonly string[], options: GlobalOptions, deps: Deps): Promise<ExitStatus> {
  const project = await loadProject(options, deps);
  const { lock } = await loadCheckedLock(project);
  const { statuses } = offlineStatuses(project, lock, names);

  if (options.format === 'json') {
    const servers = statuses.map((s) => ({
      name: s.name,
      status: s.status,
      source: s.config?.source ?? null,
      launch: withoutValues(s.config?.launch ?? s.locked?.launch) ?? null,
      locked: s.locked
        ? {
            integrity: s.locked.integrity,
            server: s.locked.server,
            protocol: s.locked.protocol,
            package: s.locked.package ?? null,
            counts: Object.fromEntries(
              (['tools', 'prompts', 'resources', 'resourceTemplates'] as const).map((k) => [k, s.locked!.snapshot[k].size]),
            ),
          }
        : null,
    }));
    writeJson(deps.stdout, { configFiles: project.configFiles, lockfile: project.lockLabel, servers, exitStatus: 0 });
    return 0;
  }

  const palette = paletteFor(deps.stdout.isTTY, deps.env, options.color);
  // Both from where ls was pointed (-C, or the working directory): from a subdirectory, `../.mcp.json`.
  // --quiet: the servers that are not locked as configured, and nothing else (as install and verify).
  if (!options.quiet) deps.stdout.write(`config: ${project.configLabels.map((f) => sanitizeLine(f)).join(', ')}\nlock:   ${sanitizeLine(project.lockLabel)}\n\n`);
  const shown = options.quiet ? statuses.filter((s) => s.status !== 'ok') : statuses;
  const lines = shown.map((s) => {
    const launch = withoutValues(s.config?.launch ?? s.locked?.launch);
    const version = s.locked ? `${s.locked.server.name}@${s.locked.server.version}` : 'not locked';
    const counts = s.locked ? `, ${countItems(lockedItemCounts(s.locked))}` : '';
    const hint = credentialsInUrlHint(s.name, s.status, s.config?.launch);
    return {
      name: s.name,
      status: s.status,
      ...(hint === undefined ? {} : { hint }),
      summary: `${version}${counts}`,
      // describeLaunch escaped the config's text; only the prompt sign is added.
      notes: launch ? [trusted(`$ ${describeLaunch(launch)}`)] : [],
    };
  });
  deps.stdout.write(renderStatusLines(lines, 'ls', palette, contextWords(options)));
  return 0;
}

/**
 * A launch as `ls` shows it: the stored forms of env, header and URL values are left out, since for
 * a server not yet locked they hold a salt drawn for this run only (the lock shows them), and the
 * URL is masked as the lock writes it, its user information too (shownUrl).
 */
function withoutValues(launch: LaunchSpec | undefined): LaunchSpec | undefined {
  if (launch === undefined) return undefined;
  if (launch.transport === 'stdio') {
    const { envValues: _, ...rest } = launch;
    return rest;
  }
  const { headerValues: _, urlValues: __, ...rest } = launch;
  return { ...rest, url: shownUrl(rest.url) };
}
