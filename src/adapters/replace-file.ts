/**
 * The one atomic write, for the lock (lock-store.ts) and the configs mcpm edits (files.ts): a temp
 * file in the same directory (so rename(2) stays on one file system and is atomic), written, given
 * its mode, fsynced, then renamed over the target, and the directory fsynced so the rename itself
 * survives a crash. A reader sees the old bytes or the new ones, never part of either; a failure
 * leaves the target untouched and removes the temp file.
 */
import { promises as fs } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

/**
 * Replaces `target` with `text`. The file gets `mode` exactly when given; otherwise 0644 less the
 * umask. A file replaced keeps its owner and group when mcpm may give them (run as root, as by
 * `sudo` with the user's HOME): else the user's own config would become root's, and a 0600 one
 * unreadable to its host. Errors are the file system's, for the caller to put in its own words.
 */
export async function replaceFile(target: string, text: string, mode: number | undefined): Promise<void> {
  const temp = path.join(path.dirname(target), `.${path.basename(target)}.${process.pid}.${randomSuffix()}.tmp`);
  const existing = await fs.lstat(target).catch(() => undefined);
  let handle;
  try {
    handle = await fs.open(temp, 'wx', mode ?? 0o644);
    // Text of one UTF-8 byte per code unit is ASCII (a lock usually is: it escapes what is hidden),
    // and latin1 writes the same bytes by copying them: a 2 MB lock without the encoder's pass.
    await handle.writeFile(text, Buffer.byteLength(text, 'utf8') === text.length ? 'latin1' : 'utf8');
    // open() applied the umask; a kept or asked-for mode is set exactly.
    if (mode !== undefined) await handle.chmod(mode);
    if (existing?.isFile() && (existing.uid !== process.geteuid?.() || existing.gid !== process.getegid?.())) {
      // Only root may give a file away; anyone else's new file stays theirs, as it always was.
      await handle.chown(existing.uid, existing.gid).catch(() => undefined);
    }
    await handle.sync();
    await handle.close();
    handle = undefined;
    await fs.rename(temp, target);
  } catch (error) {
    await handle?.close().catch(() => undefined);
    await fs.rm(temp, { force: true }).catch(() => undefined);
    throw error;
  }
  await fsyncDirectory(path.dirname(target));
}

/** Best effort: some platforms and file systems cannot open or fsync a directory (Windows: EISDIR/EPERM). */
async function fsyncDirectory(dir: string): Promise<void> {
  let handle;
  try {
    handle = await fs.open(dir, 'r');
    await handle.sync();
  } catch {
    // The data is already renamed into place; only its durability across a power cut is weaker.
  } finally {
    await handle?.close().catch(() => undefined);
  }
}

/** node:crypto is loaded only when something is written (see canonical.ts: `mcpm run` writes nothing before it starts a server). */
function randomSuffix(): string {
  const { randomBytes } = createRequire(import.meta.url)('node:crypto') as typeof import('node:crypto');
  return randomBytes(6).toString('hex');
}
