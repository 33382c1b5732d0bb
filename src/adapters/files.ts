/**
 * Reading and writing the config files mcpm reads and edits (project and host configs, guard's
 * sidecars). Writes are atomic (temp file in the same directory, fsync, rename), keep the mode of
 * the file they replace, and go to the target of a symbolic link rather than replacing the link:
 * dotfile managers keep `~/.claude.json` or `~/.codex/config.toml` as links into a repository.
 */
import { closeSync, constants, fstatSync, openSync, promises as fs, readFileSync } from 'node:fs';
import { McpmError } from '../core/errors.js';
import { replaceFile } from './replace-file.js';

/**
 * Configs are a few KiB (`~/.claude.json` a few MiB at most); anything larger is not one, and is
 * not read into memory.
 */
const MAX_FILE_BYTES = 16 * 1024 * 1024;

/**
 * The file's text, or null when it does not exist. Only regular files are read (a link to one is
 * fine): a cloned repository could make `.mcp.json` a FIFO, which would block the open, or a link
 * to /dev/zero, which would never end. O_NONBLOCK keeps the open of a FIFO from waiting for a writer.
 */
export async function readTextFile(absolute: string, shown: string): Promise<string | null> {
  const invalid = (problem: string, cause?: unknown): McpmError =>
    new McpmError('CONFIG_INVALID', `${shown}: ${problem}`, 'fix or remove the file', { cause });
  // Synchronous: a few small files, read before anything else can happen, and the thread pool
  // round trips of fs.promises cost `mcpm run` (started by hosts at every session) milliseconds.
  let fd;
  try {
    fd = openSync(absolute, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return null;
    throw invalid(`cannot be read (${code ?? String(error)})`, error);
  }
  try {
    const stats = fstatSync(fd);
    if (!stats.isFile()) throw invalid('is not a regular file');
    if (stats.size > MAX_FILE_BYTES) throw invalid(`is larger than ${MAX_FILE_BYTES / 1024 / 1024} MiB`);
    const bytes = readFileSync(fd);
    try {
      return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
    } catch (error) {
      throw invalid('is not valid UTF-8', error);
    }
  } finally {
    closeSync(fd);
  }
}

/**
 * Replaces the file (the target, if it is a link) atomically. The file gets `mode` when given
 * (guard's sidecars: 0600, whatever they were), else keeps its mode; a new one is 0644 less the umask.
 */
export async function writeTextFile(file: string, shown: string, text: string, options: { mode?: number } = {}): Promise<void> {
  let target = file;
  let existingMode: number | undefined;
  try {
    target = await fs.realpath(file);
    existingMode = (await fs.stat(target)).mode & 0o7777;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw cannotWrite(shown, error);
  }
  try {
    await replaceFile(target, text, options.mode ?? existingMode);
  } catch (error) {
    throw cannotWrite(shown, error);
  }
}

export async function removeFile(file: string, shown: string): Promise<void> {
  try {
    await fs.rm(file, { force: true });
  } catch (error) {
    throw cannotWrite(shown, error);
  }
}

function cannotWrite(shown: string, error: unknown): McpmError {
  const code = (error as NodeJS.ErrnoException).code;
  return new McpmError('CONFIG_INVALID', `${shown}: cannot be written (${code ?? String(error)}); it was left unchanged`, 'check the file, its directory and their permissions', {
    cause: error,
  });
}
