/**
 * Compiled code for the bundles `mcpm run` and `verify --offline` load (rolldown.config.mjs),
 * kept in mcpm's cache directory: V8 compiles what a process loads again in every process, and
 * compiling run's start chunk (220 KB) is milliseconds that a host waits for at every session start,
 * before the server is even spawned. bin/mcpm.cjs calls useCodeCache before it requires a bundle.
 *
 * - Node 22.1 and later: Node's own compile cache (module.enableCompileCache), in `code/` there.
 * - Older Node (20 to 22.0), which has none: the same, for the bundle's files alone (useCodeCache says
 *   when a cache is written). Each is compiled with a V8 code cache of it when there is one. V8
 *   checks that a cache is for its own version and flags and for a source of the same length; the
 *   cache file is named after the bundle file's build and identity (device, inode, size,
 *   modification and change times, as the lock index keys a lock), so a bundle rebuilt or
 *   reinstalled, even to the same length, never meets the code of the one before; and it starts
 *   with its name, so that a file renamed is not taken for another (headerOf).
 * Measured on a 2-CPU VM: `mcpm run` spawns its server 4 to 9 ms sooner; `verify --offline` of 64
 * servers, whose time goes to reading the lock, gains less than its noise.
 *
 * What it trusts: compiled code is code. It is read only from a file this user owns and only this
 * user can write (readCacheFile), in this user's own cache directory, and only under the name it
 * was written with: anyone who can write there otherwise can also write this user's shell profile,
 * host configs or, most often, mcpm's own files (a user-level npm prefix). Node's compile cache
 * makes the same choice.
 */
import { statSync } from 'node:fs';
import { createRequire, Module } from 'node:module';
import { basename, dirname, join } from 'node:path';
import { Script } from 'node:vm';
import { fileIdentity, FNV_OFFSET, fnv1a, mcpmCacheDir, readCacheFile, removeUnused, writeCacheFile } from './adapters/cache-dir.js';
import { BEFORE_V8_FLAGS_CHANGE } from './adapters/v8-flags.js';
import { FUNCTION_HEAD, functionText } from './bundle-wrapper.js';

/** The first line of every bundle file (rolldown.config.mjs): the build it comes from. */
const BUILD_BANNER = /^\/\*mcpm-build ([0-9a-f-]{36})\*\//;

/**
 * Node's and V8's flags as given (NODE_OPTIONS, the command line): V8 refuses a cache made under
 * other flags, and hosts that start mcpm with different ones would otherwise replace each other's
 * cache at every start. A short FNV-1a hash: two flag sets that collide only cost a recompile.
 */
function flagsKey(): string {
  return shortHash(`${process.execArgv.join('\0')}\0${process.env['NODE_OPTIONS'] ?? ''}`);
}

/** 8 hex digits: for names where a collision costs a recompile, never a wrong result. */
function shortHash(text: string): string {
  return fnv1a(text, FNV_OFFSET);
}

/**
 * What a cache file starts with: its own name, padded to 8 bytes (V8 copies code that is not
 * aligned). The name is what the file is taken for, so a file renamed to another's name, as
 * anyone who can write a shared cache directory can do with this user's own files, is not
 * believed: V8 itself checks only the source's length, and another bundle, build or install of
 * the same length would run code compiled from other text.
 */
function headerOf(name: string, partial = false): Buffer {
  const text = `mcpm-code-cache ${name}${partial ? ' partial' : ''}\n`;
  return Buffer.from(text.padEnd(Math.ceil(text.length / 8) * 8, ' '));
}

/** A bundle's code cache is a few hundred KB; anything larger is not one of ours. */
const MAX_CACHE_BYTES = 16 * 1024 * 1024;

type Compile = (this: Module, content: string, filename: string) => unknown;

/** A script compiled without a cache V8 took, or with a partial one, and where its cache goes. */
interface Pending {
  script: Script;
  file: string;
  /** The file's name, for headerOf. */
  name: string;
  /** The start of the names of this bundle file's caches in this install (any build): those not kept are removed. */
  prefix: string;
  /** It was compiled with a partial cache (see useCodeCache): kept again only whole. */
  refresh: boolean;
}

/**
 * Keeps compiled code of the CommonJS files in `bundleDir` (the top of dist/) in the cache directory
 * of `env`; does nothing without one.
 *
 * When: a cache holds the functions compiled by the time it is made, and V8 takes it only in a
 * process whose flags are as they were when the file was compiled. So a file compiled before mcpm
 * first changes V8's flags (src/adapters/v8-flags.ts: `run` after it has spawned the server, a
 * command reading a large lock before it parses it) is kept then, or at exit if they never change;
 * a file compiled after a change is kept as soon as its top level has run.
 *
 * A cache kept before the process ended is partial: it lacks what ran later (`verify --offline`
 * reading a lock it checked before takes a way the first, full read never took; the guard's relay
 * checks its first answers after its file was kept). A later run that takes a partial cache keeps
 * its own, whole, at exit, if the flags have not changed since the file was compiled (a cache made
 * under other flags would be refused): once, since a whole cache is never written again.
 */
export function useCodeCache(bundleDir: string, env: Readonly<Record<string, string | undefined>>): void {
  const root = mcpmCacheDir({ env, platform: process.platform });
  if (root === undefined) return;
  const dir = join(root, 'code');
  const enableCompileCache = (Module as unknown as { enableCompileCache?: (dir: string) => unknown }).enableCompileCache;
  if (typeof enableCompileCache === 'function') {
    enableCompileCache(dir);
    return;
  }
  /** How many times the flags have changed. */
  let changes = 0;
  /** Compiled since the last change, without a cache V8 took: kept at the next change, or at exit. */
  let pending: Pending[] = [];
  /** To keep whole at exit, if the flags are still those they were compiled under. */
  const atExit: Array<{ p: Pending; changes: number }> = [];
  // Best effort, at exit too: nothing here may fail the command.
  const keep = (p: Pending, partial: boolean): void => {
    try {
      if (writeCacheFile(p.file, Buffer.concat([headerOf(p.name, partial), p.script.createCachedData()]))) {
        // This install's earlier builds: an upgrade leaves none behind. Other installs' (an old `npx`
        // copy, a deleted project's own mcpm) once unwritten for long.
        removeUnused(dir, '.bin', { replaced: (name) => name.startsWith(p.prefix) && join(dir, name) !== p.file });
      }
    } catch {
      // Not kept: the next run compiles again.
    }
  };
  (globalThis as { [BEFORE_V8_FLAGS_CHANGE]?: () => void })[BEFORE_V8_FLAGS_CHANGE] = () => {
    for (const p of pending) keep(p, true);
    pending = [];
    changes++;
  };
  process.once('exit', () => {
    for (const p of pending) keep(p, false);
    for (const { p, changes: compiledAt } of atExit) if (compiledAt === changes) keep(p, false);
  });
  const prototype = Module.prototype as unknown as { _compile: Compile };
  const compile = prototype._compile;
  prototype._compile = function (content, filename) {
    // A script compiled by hand cannot import() on Node 20 without --experimental-vm-modules (and
    // vm.USE_MAIN_CONTEXT_DEFAULT_LOADER, experimental, warns on stderr and fails for cached code):
    // a chunk that imports an ES module (the SDK of a remote login, OpenTelemetry) is Node's to compile.
    // The bundler prints every import() as `import(`.
    if (dirname(filename) !== bundleDir || !filename.endsWith('.cjs') || content.includes('import(')) return compile.call(this, content, filename);
    const { result, toKeep } = compileCached(this, content, filename, dir);
    if (toKeep === undefined) return result;
    if (toKeep.refresh) atExit.push({ p: toKeep, changes });
    else if (changes === 0) pending.push(toKeep);
    else {
      keep(toKeep, true);
      atExit.push({ p: toKeep, changes });
    }
    return result;
  };
}

/** Runs the module `filename` from the cache of it if there is one; `toKeep`: the cache to write, when there was none, V8 refused it, or it was partial. */
function compileCached(module: Module, content: string, filename: string, dir: string): { result: unknown; toKeep?: Pending } {
  // The build's name is read from the text compiled, so no race with an upgrade can pair one
  // build's text with another's code; the file's identity covers a bundle edited in place. The
  // install's directory, hashed, keeps two installs (a global mcpm and a project's) from removing
  // each other's caches at every run.
  const banner = BUILD_BANNER.exec(content);
  const build = banner?.[1];
  const identity = build === undefined ? undefined : identityOf(filename, content);
  const prefix = `${basename(filename)}.${shortHash(dirname(filename))}.`;
  const name = identity === undefined ? undefined : `${prefix}${build}.${identity}.${process.version}-${process.arch}-${flagsKey()}`;
  const file = name === undefined ? undefined : join(dir, `${name}.bin`);
  const stored = file === undefined ? undefined : readCacheFile(file, MAX_CACHE_BYTES);
  const startsWith = (header: Buffer) => stored !== undefined && stored.length > header.length && header.equals(stored.subarray(0, header.length));
  const whole = name === undefined ? undefined : headerOf(name);
  const partial = name === undefined ? undefined : headerOf(name, true);
  const header = whole !== undefined && startsWith(whole) ? whole : partial !== undefined && startsWith(partial) ? partial : undefined;
  const cachedData = header === undefined ? undefined : stored!.subarray(header.length);
  // The function the bundle wraps its code in (bundle-wrapper.ts), or else the one Node's loader puts
  // around a CommonJS module, on the module's first line: either way, lines stay as they are.
  const source = functionText(content, banner?.[0].length ?? 0) ?? `${FUNCTION_HEAD}${content}\n})`;
  const script = new Script(source, {
    filename,
    ...(cachedData === undefined ? {} : { cachedData }),
  });
  const wrapper = script.runInThisContext({ displayErrors: true }) as (...args: unknown[]) => unknown;
  const result = wrapper.call(module.exports, module.exports, createRequire(filename), module, filename, dirname(filename));
  const refused = cachedData === undefined || script.cachedDataRejected === true;
  const refresh = !refused && header === partial;
  return file !== undefined && name !== undefined && (refused || refresh) ? { result, toKeep: { script, file, name, prefix, refresh } } : { result };
}

/**
 * The file's identity, or undefined when it cannot be told to be the file `content` was read from:
 * the bundles are ASCII (a test holds them to it), so their text is as long as the file.
 */
function identityOf(filename: string, content: string): string | undefined {
  try {
    const stats = statSync(filename, { bigint: true });
    return stats.isFile() && stats.size === BigInt(content.length) ? fileIdentity(stats) : undefined;
  } catch {
    return undefined;
  }
}
