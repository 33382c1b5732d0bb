/**
 * The options that chose the project (`-C`, `--config`, `--lockfile`, `--host`), carried into every
 * command a hint suggests: `mcpm -C app install --lockfile ci.lock` that fails must not suggest a
 * bare `mcpm approve`, which would read another config and another lock.
 */
import { shellWord } from './shell-word.js';

export interface ContextOptions {
  cwd?: string;
  config?: readonly string[];
  lockfile?: string;
  host?: string;
}

/**
 * The options as shell words, in the order mcpm's help lists them. `--host` picks the config and
 * the lock by itself, so `-C` is left out with it unless a relative `--config` or `--lockfile`
 * still depends on the directory; what `--host` implies (its config, its lock) is never spelt out.
 */
export function contextWords(options: ContextOptions): string {
  const words: string[] = [];
  const configs = options.config ?? [];
  const relative = (p: string | undefined) => p !== undefined && !/^(?:[\\/]|[A-Za-z]:[\\/]|~)/.test(p);
  const needsDir = options.host === undefined || configs.some(relative) || relative(options.lockfile);
  if (options.cwd !== undefined && needsDir) words.push('-C', shellWord(options.cwd));
  if (options.host !== undefined) words.push('--host', shellWord(options.host));
  for (const file of configs) words.push('--config', shellWord(file));
  if (options.lockfile !== undefined) words.push('--lockfile', shellWord(options.lockfile));
  return words.join(' ');
}

/** mcpm's commands, as hints name them (`"mcpm approve notes"`). */
const SUGGESTED = /\bmcpm (?=(?:install|verify|diff|approve|guard|hook|ls|pin|outdated|update|login|logout|accept|sign|export)\b)/g;

/** `text` with `context` (from contextWords) after every `mcpm` that starts a suggested command. */
export function withContext(text: string, context: string): string {
  if (context === '') return text;
  // A function, not a replacement string: in a string, `$'` (how shellWord quotes a path with a
  // control character), `$&` and `` $` `` in a path would be read as patterns and spliced in.
  const inserted = `mcpm ${context} `;
  return text.replace(SUGGESTED, () => inserted);
}
