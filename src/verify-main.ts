/**
 * The entry point of `mcpm verify --offline`, which a pre-commit hook runs at every commit: the
 * ~50 ES modules of the full CLI (commander among them) cost more to resolve and link than the
 * check itself on a small project. The common command lines (options spelled as the docs and the
 * hook spell them) are read here; anything else (--help, another option, a repeated one, `--`,
 * options before `verify`, a value that looks like an option) goes to the full CLI, so its errors
 * and help are commander's, and this reader never has to agree with commander on anything unusual.
 */
import type { ExitStatus } from './core/errors.js';
import { inContext, runAsProcess, type FullCli } from './entry.js';
import { verify, type VerifyOptions } from './commands/verify.js';
import { assertDirectory, DEFAULT_CONCURRENCY, DEFAULT_TIMEOUT_MS } from './app/options.js';

const FLAGS = { '--offline': 'offline', '--json': 'json', '-q': 'quiet', '--quiet': 'quiet', '--strict': 'strict' } as const;
const VALUES = { '-C': 'cwd', '--cwd': 'cwd', '--config': 'config', '--lockfile': 'lockfile' } as const;

/**
 * `argv` after the node and script paths. The names and options of `verify --offline [options]
 * [NAME...]` as the full CLI would hand them to the command, or undefined when the full CLI must decide.
 */
export function parseVerifyArgv(argv: readonly string[]): { names: string[]; options: VerifyOptions } | undefined {
  if (argv[0] !== 'verify') return undefined;
  const options: VerifyOptions = { timeout: DEFAULT_TIMEOUT_MS, concurrency: DEFAULT_CONCURRENCY, color: true };
  const names: string[] = [];
  const seen = new Set<string>();
  for (let i = 1; i < argv.length; i++) {
    const arg = argv[i]!;
    if (Object.hasOwn(FLAGS, arg)) {
      options[FLAGS[arg as keyof typeof FLAGS]] = true;
      continue;
    }
    if (Object.hasOwn(VALUES, arg)) {
      const key = VALUES[arg as keyof typeof VALUES];
      const value = argv[++i];
      // Repeated single options and values starting with "-" are where parsers differ: commander decides.
      if (value === undefined || value === '' || value.startsWith('-') || (seen.has(key) && key !== 'config')) return undefined;
      seen.add(key);
      if (key === 'config') options.config = [...(options.config ?? []), value];
      else options[key] = value;
      continue;
    }
    if (arg === '' || arg.startsWith('-')) return undefined;
    names.push(arg);
  }
  if (!options.offline) return undefined;
  if (options.json) options.format = 'json';
  return { names, options };
}

export async function main(argv: string[], fullCli: FullCli): Promise<ExitStatus> {
  const parsed = parseVerifyArgv(argv.slice(2));
  if (!parsed) return (await fullCli()).main(argv);
  const { names, options } = parsed;
  return runAsProcess(
    async (deps) => {
      try {
        // As the full CLI: `-C typo` is a usage error before any file is read.
        if (options.cwd !== undefined) assertDirectory(options.cwd, deps.cwd);
        return await verify(names, options, deps);
      } catch (error) {
        throw inContext(error, options);
      }
    },
    { json: () => options.json === true },
  );
}
