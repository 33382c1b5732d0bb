/**
 * `mkdir -p`. Node's own (mkdir with `recursive: true`) never returns for a path under /proc on
 * Node 20: mkdir there fails with ENOENT although the parent exists, and it tries the parent again,
 * forever. A HOME or XDG_CACHE_HOME pointing there would hang every command that writes a cache.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';

/** Makes `dir` and any missing parent, each with `mode` (less the umask); throws the error of a directory that cannot be made. */
export function makeDirectories(dir: string, mode = 0o777): void {
  try {
    mkdirSync(dir, { mode });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return;
    const parent = dirname(dir);
    if (code !== 'ENOENT' || parent === dir) throw error;
    makeDirectories(parent, mode);
    // Once: a second ENOENT (a parent that takes no directories) is the answer.
    try {
      mkdirSync(dir, { mode });
    } catch (again) {
      if ((again as NodeJS.ErrnoException).code !== 'EEXIST') throw again;
    }
  }
}
