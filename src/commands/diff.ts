/**
 * `mcpm diff`: the semantic diff of the lock against each live server, findings first. Like
 * verify, it never starts a server that is not locked or whose launch definition changed; for
 * those it shows the launch change from the config itself.
 */
import type { ExitStatus } from '../core/errors.js';
import { contextWords } from '../core/hint-context.js';
import { describeLaunch } from '../core/launch-text.js';
import { launchDifferencesText, type LaunchSpec } from '../core/launch/identity.js';
import { shownUrl } from '../core/launch/values.js';
import { launchToJson } from '../core/lockfile.js';
import { sanitize, trusted } from '../core/sanitize.js';
import { exitStatusFor } from '../core/status.js';
import type { Deps } from '../deps.js';
import { writeJson } from '../render/json.js';
import { renderChangesJson } from '../render/diff-json.js';
import { renderChangesText } from '../render/diff-text.js';
import { renderStatusLines } from '../render/status-text.js';
import { paletteFor } from '../render/style.js';
import { reachingCommand, showsProgress, type GlobalOptions } from '../app/options.js';
import { applyAllowlist, loadAllowlist } from '../app/allowlist.js';
import { loadCheckedLock, loadProject, offlineStatuses } from '../app/project.js';
import { applyBase, baseRefOf } from '../app/base.js';
import { describeStatuses } from '../app/report.js';
import { importSnapshotAll } from '../app/live.js';

export async function diff(names: string[], options: GlobalOptions & { base?: string }, deps: Deps): Promise<ExitStatus> {
  const project = await loadProject(options, deps);
  const { lock } = await loadCheckedLock(project);
  // A launch the organisation's list refuses is not started to be compared: it is `denied`, as verify says.
  const offline = applyAllowlist(await applyBase(project, lock, offlineStatuses(project, lock, names).statuses, baseRefOf(options, deps.env)), await loadAllowlist(options, deps));
  const statuses = await (await importSnapshotAll()).compareLive(
    offline,
    lock,
    { timeoutMs: options.timeout, concurrency: options.concurrency, projectDir: project.dir, command: reachingCommand(options), progress: showsProgress(options) },
    deps,
  );

  // Changes exist for drifted servers and for ok ones whose changes need no review (accepted,
  // quarantined, optional and absent: each marked so); findings only for drifted ones.
  const lines = await describeStatuses(statuses);
  const reports = statuses.map((s, i) => ({ status: s, changes: lines[i]!.changes ?? [], findings: lines[i]!.findings ?? [], hint: lines[i]!.hint }));

  let exit = exitStatusFor(statuses);
  if (options.strict && exit === 0 && reports.some((r) => r.findings.length > 0)) exit = 1;

  if (options.format === 'json') {
    const servers = reports.map(({ status: s, changes, findings }) => ({
      ...renderChangesJson(s.name, s.status, changes, findings, s.judgement?.changes),
      ...(s.status === 'config-changed' ? { launch: { locked: shownLaunch(s.locked!.launch), configured: shownLaunch(s.config!.launch) } } : {}),
      ...(s.error ? { error: s.error } : {}),
    }));
    writeJson(deps.stdout, { servers, exitStatus: exit });
    return exit;
  }
  if (options.format === 'sarif') {
    const { renderSarif } = await import('../render/sarif.js');
    writeJson(deps.stdout, renderSarif(statuses, lines, project.lockLabel));
    return exit;
  }

  const out = deps.stdout;
  const palette = paletteFor(out.isTTY, deps.env, options.color);
  const width = Number(deps.env.COLUMNS) || 80;
  for (const { status: s, changes, findings, hint } of reports) {
    if (s.status === 'drifted' || (s.status === 'ok' && changes.length > 0)) {
      out.write(renderChangesText(s.name, changes, findings, { color: palette.color, width }, s.judgement?.changes));
      out.write('\n');
    } else if (s.status === 'config-changed') {
      out.write(
        renderStatusLines(
          [
            {
              name: s.name,
              status: s.status,
              ...(hint === undefined ? {} : { hint }),
              notes: [
                trusted(`locked:     $ ${describeLaunch(s.locked!.launch)}`),
                trusted(`configured: $ ${describeLaunch(s.config!.launch)}`),
                // A changed env or header value reads the same in both lines above: say what differs.
                sanitize(`differ:     ${launchDifferencesText(s.locked!.launch, s.config!.launch)}`),
              ],
            },
          ],
          'diff',
          palette,
          contextWords(options),
        ),
      );
    } else if (s.status !== 'ok' || !options.quiet) {
      out.write(renderStatusLines([{ name: s.name, status: s.status, ...(s.error ? { error: s.error } : {}), ...(hint === undefined ? {} : { hint }) }], 'diff', palette, contextWords(options)));
    }
  }
  if (statuses.length === 0) out.write('no servers configured or locked\n');
  return exit;
}

/**
 * A launch as `diff --json` shows it: in the lock's form (values in their stored forms), a URL's
 * query values masked, also those of an entry locked before they were bound, which holds them in
 * clear, and its user information (shownUrl): the output reaches CI logs.
 */
function shownLaunch(launch: LaunchSpec): ReturnType<typeof launchToJson> {
  const json = launchToJson(launch);
  if (launch.transport !== 'stdio') json.url = shownUrl(launch.url);
  return json;
}
