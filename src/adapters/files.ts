/**
 * Reading and writing the config files mcpm reads and edits (project and host configs, guard's
 * sidecars; lock-store.ts reads the lock with readRegularFile too). Writes are atomic (temp file in
 * the same directory, fsync, rename, directory fsync: replace-file.ts), keep the mode of
 * the file they replace, and go to the target of a symbolic link rather than replacing the link:
 * dotfile managers keep `~/.claude.json` or `~/.codex/config.toml` as links into a repository.
 */
import { closeSync, constants, fstatSync, lstatSync, openSync, promises as fs, readFileSync, type Stats } from 'node:fs';
import { McpmError } from '../core/errors.js';
import { replaceFile } from './replace-file.js';

/**
 * Configs are a few KiB (`~/.claude.json` a few MiB at most); anything larger is not one, and is not
 * read into memory. The lock has its own limit, MAX_LOCK_BYTES, which its writer keeps to as well.
 */
export const MAX_FILE_BYTES = 16 * 1024 * 1024;

/**
 * Why readRegularFile could not read a file, for the caller to put in its own McpmError. `message`
 * is the problem as it follows the file's name ("is not a regular file"); `code` is the errno code
 * of an open that failed.
 */
export class FileReadProblem extends Error {
  constructor(
    readonly kind: 'unreadable' | 'symlink' | 'not-regular' | 'too-large' | 'not-utf8',
    message: string,
    readonly code?: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/**
 * The file's text (UTF-8, decoded fatally; a BOM stays in the text) and mode, or null when it does
 * not exist (ENOENT). Only regular files are read, and synchronously: a few small files, read before
 * anything else can happen, and the thread pool round trips of fs.promises cost `mcpm run` (started
 * by hosts at every session) milliseconds. O_NONBLOCK keeps the open of a FIFO from waiting for a
 * writer. `noFollow`: a symbolic link is refused (`symlink`) rather than followed; lstat for
 * platforms without O_NOFOLLOW (Windows), O_NOFOLLOW for a link swapped in after it. `maxBytes`:
 * a larger file is refused (`too-large`) before it is read. Throws FileReadProblem.
 */
export function readRegularFile(file: string, options: { noFollow?: boolean; maxBytes?: number } = {}): { text: string; mode: number } | null {
  return withRegularFile(file, options, (fd, stats) => ({ text: decodeUtf8(readFileSync(fd)), mode: stats.mode & 0o7777 }));
}

/** As readRegularFile, but `use` reads the open file (closed after it returns) as it needs. */
export function withRegularFile<T>(file: string, options: { noFollow?: boolean; maxBytes?: number }, use: (fd: number, stats: Stats) => T): T | null {
  if (options.noFollow && isSymlink(file)) throw new FileReadProblem('symlink', 'is a symbolic link');
  let fd;
  try {
    fd = openSync(file, constants.O_RDONLY | (options.noFollow ? (constants.O_NOFOLLOW ?? 0) : 0) | (constants.O_NONBLOCK ?? 0));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return null;
    if (options.noFollow && code === 'ELOOP') throw new FileReadProblem('symlink', 'is a symbolic link', code, { cause: error });
    throw new FileReadProblem('unreadable', `cannot be read (${code ?? String(error)})`, code, { cause: error });
  }
  try {
    const stats = fstatSync(fd);
    if (!stats.isFile()) throw new FileReadProblem('not-regular', 'is not a regular file');
    if (options.maxBytes !== undefined && stats.size > options.maxBytes) {
      throw new FileReadProblem('too-large', `is larger than ${options.maxBytes / 1024 / 1024} MiB`);
    }
    return use(fd, stats);
  } finally {
    closeSync(fd);
  }
}

/** UTF-8 decoded fatally (a BOM stays in the text); FileReadProblem `not-utf8` otherwise. */
export function decodeUtf8(bytes: Uint8Array): string {
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch (error) {
    throw new FileReadProblem('not-utf8', 'is not valid UTF-8', undefined, { cause: error });
  }
}

function isSymlink(file: string): boolean {
  try {
    return lstatSync(file).isSymbolicLink();
  } catch {
    return false;
  }
}

/**
 * The file's text, or null when it does not exist. Only regular files are read (a link to one is
 * fine): a cloned repository could make `.mcp.json` a FIFO, which would block the open, or a link
 * to /dev/zero, which would never end.
 */
export async function readTextFile(absolute: string, shown: string): Promise<string | null> {
  try {
    return readRegularFile(absolute, { maxBytes: MAX_FILE_BYTES })?.text ?? null;
  } catch (error) {
    if (!(error instanceof FileReadProblem)) throw error;
    // A path through a file is as absent as a missing one.
    if (error.code === 'ENOTDIR') return null;
    throw new McpmError('CONFIG_INVALID', `${shown}: ${error.message}`, 'fix or remove the file', { cause: error.cause });
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
