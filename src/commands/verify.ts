/**
 * `mcpm verify`: the lock is the truth and verify never writes (npm ci's "save: false").
 * Online, it reconnects to every locked server whose launch definition still matches and compares
 * integrities; it never starts a server that is not locked, or whose config changed since it was
 * locked (running a changed command before review is the MCPoison attack). `--offline` starts
 * nothing and must not import the SDK, execa or ink.
 */
import { McpmError, type ExitStatus } from '../core/errors.js';
import { contextWords, withContext } from '../core/hint-context.js';
import { describePin, pinWarnings } from '../core/package-spec.js';
import { sanitize, sanitizeLine } from '../core/sanitize.js';
import { exitStatusFor, type ServerStatus } from '../core/status.js';
import type { Deps } from '../deps.js';
import { writeJson } from '../render/json.js';
import { renderStatusLines } from '../render/status-text.js';
import { nameWord, shellWord } from '../core/shell-word.js';
import { paletteFor } from '../render/style.js';
import { reachingCommand, showsProgress, type GlobalOptions } from '../app/options.js';
import { loadCheckedLock, loadProject, offlineStatuses, buildCache } from '../app/project.js';
import { lockFileMissing } from '../adapters/lock-store.js';
import { applyBase, baseRefOf } from '../app/base.js';
import { describeStatuses } from '../app/report.js';
import { statusesToJson } from '../render/report.js';
import { applyAllowlist, loadAllowlist, type LoadedAllowlist } from '../app/allowlist.js';
import { allowedSignersPath, requireSignature } from '../app/lock-signature.js';
import { closeTelemetry, openTelemetry, verifyRecord } from '../app/telemetry.js';
import { importSnapshotAll } from '../app/live.js';

export interface VerifyOptions extends GlobalOptions {
  offline?: boolean;
  /** The organisation's allow-list (else env MCPM_ALLOWLIST). */
  allowlist?: string;
  /** Fail unless `<lock>.sig` is a signature over the lock by a key of the allowed signers. */
  requireSignature?: boolean;
  allowedSigners?: string;
  /** OTLP/HTTP collector for the results (else the OTEL_EXPORTER_OTLP_* variables). */
  otlp?: string;
  /** The trusted base (app/base.ts): entries added or changed against it are unreviewed. */
  base?: string;
}

export async function verify(names: string[], options: VerifyOptions, deps: Deps): Promise<ExitStatus> {
  const project = await loadProject(options, deps, { otherHosts: true });
  // Offline, a lock this mcpm checked before is read from its outline (adapters/lock-outline.ts),
  // and its text only if asked for.
  const loaded = await loadCheckedLock(project, options.offline ? { outline: buildCache(deps) } : {});
  const lock = loaded.lock;
  const allowlist = await loadAllowlist(options, deps);
  const signedBy = options.requireSignature ? await requireSignature(project, loaded.text, signersFile(options, allowlist, deps), deps) : undefined;
  const base = baseRefOf(options, deps.env);
  // The organisation's word comes last, so it wins: a denied server is denied whatever the base says.
  const offline = applyAllowlist(await applyBase(project, lock, offlineStatuses(project, lock, names).statuses, base), allowlist);
  let statuses: ServerStatus[] = offline;
  // A launch that floats (`npx -y pkg`, `pkg@^1`, `image:tag`) runs other code whenever the
  // registry moves: a warning in both modes, a failure with --strict.
  const warnings = pinWarnings(offline.flatMap((s) => s.config ?? []));
  const packageChecks = new Map<string, import('../adapters/pins/index.js').PinCheck>();

  if (!options.offline) {
    // Only servers whose offline state is ok are contacted: new, stale and changed ones already fail.
    const okOffline = offline.filter((s) => s.status === 'ok');
    // Identical definitions do not prove identical code (a new release can serve the same ones):
    // the npm pins of those servers are resolved again, next to the snapshots.
    const pinned = okOffline.filter((s) => s.locked?.package?.manager === 'npm');
    const checking = pinned.length === 0
      ? undefined
      : import('../adapters/pins/index.js').then(({ checkLockedPins }) =>
          checkLockedPins(pinned, { cwd: project.dir, env: deps.env, timeoutMs: options.timeout, concurrency: options.concurrency, signal: deps.signal }),
        );
    // Awaited below; the handler only keeps a failure meanwhile from counting as unhandled.
    checking?.catch(() => undefined);
    const { compareLive } = await importSnapshotAll();
    statuses = await compareLive(
      offline,
      lock,
      { timeoutMs: options.timeout, concurrency: options.concurrency, projectDir: project.dir, command: reachingCommand(options), progress: showsProgress(options) },
      deps,
    );
    for (const [name, check] of (await checking) ?? []) packageChecks.set(name, check);
    // Another version or other bytes behind the same launch line is drift, even when the server
    // serves the same definitions (and even when it could not be started this time).
    statuses = statuses.map((s) => (packageChecks.get(s.name)?.changed ? { ...s, status: 'drifted' } : s));
    for (const [name, check] of packageChecks) {
      if (check.error !== undefined) warnings.push({ name, message: `package not checked: ${check.error}` });
    }
  }

  let exit = exitStatusFor(statuses);
  // Undefined unless --otlp or an OTEL endpoint is set (the SDK is loaded only then).
  const open = await openTelemetry(options.otlp, deps);
  if (open !== undefined) {
    for (const s of statuses) open.telemetry.emit(verifyRecord(s, Boolean(options.offline)));
    await closeTelemetry(open, deps);
  }
  if (options.strict && warnings.length > 0) exit = 1;
  const lines = await describeStatuses(statuses);
  const context = contextWords(options);
  lines.forEach((line) => {
    const check = packageChecks.get(line.name);
    const notes = line.notes ?? [];
    if (check?.changed && check.resolved) {
      const name = nameWord(line.name);
      notes.unshift(
        sanitize(`package changed: locked ${describePin(check.locked)}, the registry now gives ${describePin({ ...check.resolved, name: check.locked.name })}`),
        sanitize(withContext(
          check.resolved.version === check.locked.version
            ? `the same version now comes with other bytes (a re-publish, or a registry or mirror serving something else); "mcpm update --to ${shellWord(check.locked.version ?? 'VERSION')} ${name}" takes them after a review`
            : `"mcpm pin ${name}" writes the locked version into the config; "mcpm update ${name}" reviews the new one`,
          context,
        )),
      );
    }
    for (const w of warnings) if (w.name === line.name) notes.push(sanitize(`warning: ${w.message}`));
    if (notes.length > 0) line.notes = notes;
  });
  if (options.format === 'json') {
    const json = statusesToJson(statuses, lines);
    json.servers.forEach((server) => {
      const check = packageChecks.get(server.name);
      if (check?.resolved) Object.assign(server, { package: { locked: check.locked, resolved: { ...check.resolved }, changed: check.changed } });
    });
    writeJson(deps.stdout, {
      ...json,
      warnings,
      offline: Boolean(options.offline),
      ...(base === undefined ? {} : { base }),
      ...(allowlist ? { allowlist: allowlist.label } : {}),
      ...(signedBy === undefined ? {} : { signedBy }),
      exitStatus: exit,
    });
  } else if (options.format === 'sarif') {
    const { renderSarif } = await import('../render/sarif.js');
    writeJson(deps.stdout, renderSarif(statuses, lines, project.lockLabel, { checks: packageChecks, warnings }));
  }
  const human = options.format === 'json' || options.format === 'sarif' ? deps.stderr : deps.stdout;
  if (!options.quiet || exit !== 0) {
    const palette = paletteFor(human.isTTY, deps.env, options.color);
    human.write(renderStatusLines(options.quiet ? lines.filter((l) => l.status !== 'ok') : lines, 'verify', palette, context));
    if (statuses.length === 0) human.write('no servers configured or locked\n');
    // Every server is "new" then: the one thing to do is said once.
    else if (lockFileMissing(loaded)) human.write(`${sanitizeLine(withContext(`${project.lockLabel} does not exist yet: "mcpm install" creates it`, context))}\n`);
    if (signedBy !== undefined && !options.quiet) human.write(`${sanitizeLine(`${project.lockLabel}.sig: good signature by ${signedBy}`)}\n`);
    if (options.strict && warnings.length > 0) {
      const names = [...new Set(warnings.map((w) => JSON.stringify(w.name)))].join(', ');
      human.write(sanitize(`--strict: ${warnings.length} warning(s) fail the run (${names}); "mcpm pin" pins npm versions from the lock\n`));
    }
  }
  return exit;
}

/** `--allowed-signers`, else the file the allow-list names. */
function signersFile(options: VerifyOptions, allowlist: LoadedAllowlist | undefined, deps: Deps): { file: string; label: string } {
  if (options.allowedSigners !== undefined) return allowedSignersPath(options.allowedSigners, deps);
  if (allowlist?.allowedSignersFile !== undefined) return { file: allowlist.allowedSignersFile, label: `${allowlist.label}: ${allowlist.allowedSigners}` };
  throw new McpmError('USAGE', '--require-signature needs --allowed-signers FILE, or an allow-list that names its "allowedSigners"', 'see docs/org.md for the allowed_signers format');
}
