/**
 * Config edits and the lock entries they go with, written as one step (`mcpm pin`, and what
 * `mcpm approve` and `mcpm update` approved). The config files are written while the lock's
 * advisory lock is held, and put back if the lock cannot be written: the configs must not name
 * versions the lock does not launch.
 *
 * The command planned each entry from the lock as it read it. An entry that changed on disk since
 * then (another mcpm approved or updated it) is left alone and reported as a conflict, config and
 * lock alike, rather than overwritten with a plan made from stale data.
 */
import { updateLock } from '../adapters/lock-store.js';
import { editConfigFiles, restoreFiles, type ArgEdit, type Written } from '../adapters/pins/config-edit.js';
import { launchEquals } from '../core/launch/identity.js';
import { samePin, type Lock, type LockEntry } from '../core/lockfile.js';
import { assertUntampered, type Project } from './project.js';

export interface EntryRewrite {
  name: string;
  /** The entry as the command read it (none: the server was not locked). */
  read: LockEntry | undefined;
  /** The entry to write in its place. */
  next: LockEntry;
  /** The config edits that go with it (none when the config already says it). */
  edits: ArgEdit[];
}

export interface RewriteResult {
  /** Servers whose entry changed on disk meanwhile: neither their config nor their entry was written. */
  conflicts: Set<string>;
  /** The config files written, as shown in messages. */
  configs: string[];
  lockWritten: boolean;
}

export async function writeConfigAndLock(
  project: Pick<Project, 'dir' | 'configFiles' | 'lockFile' | 'lockLabel'>,
  rewrites: readonly EntryRewrite[],
): Promise<RewriteResult> {
  const conflicts = new Set<string>();
  let written: Written[] = [];
  try {
    const result = await updateLock(
      project.lockFile,
      async (current) => {
        assertUntampered(current.lock, project.lockLabel);
        const ready = rewrites.filter((r) => {
          const unchanged = isUnchanged(current.lock.servers.get(r.name), r.read);
          if (!unchanged) conflicts.add(r.name);
          return unchanged;
        });
        if (ready.length === 0) return null;
        const edits = ready.flatMap((r) => r.edits);
        if (edits.length > 0) written = await editConfigFiles(project.dir, project.configFiles, edits);
        const servers = new Map(current.lock.servers);
        for (const r of ready) servers.set(r.name, r.next);
        const next: Lock = { ...current.lock, servers };
        return next;
      },
      { displayName: project.lockLabel },
    );
    return { conflicts, configs: written.map((w) => w.shown), lockWritten: result.written };
  } catch (error) {
    await restoreFiles(written);
    throw error;
  }
}

function isUnchanged(now: LockEntry | undefined, read: LockEntry | undefined): boolean {
  if (now === undefined || read === undefined) return now === read;
  return now.integrity === read.integrity && launchEquals(now.launch, read.launch) && samePin(now.package, read.package);
}
