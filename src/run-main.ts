/**
 * The entry point of `mcpm run`, which hosts launch for every guarded server at every session
 * start: a host waits for spawn → first tools/list, and commander alone costs 10–20 ms to load.
 * The common, well-formed command lines (the one `mcpm guard` writes, the README's) are parsed
 * here, by hand (node:util's parseArgs took 0.7 to 0.9 ms to load and run on a 2-CPU VM); anything
 * else (--help, an unknown or repeated option, a value that looks like an option, options before
 * `run`, short options but `-C VALUE`) goes to the full CLI, so its errors and help are commander's,
 * and this parser never has to agree with commander on anything unusual.
 */
import type { ExitStatus } from './core/errors.js';
import { runAsProcess, type FullCli } from './entry.js';
import { parseDenyList } from './core/deny.js';
import { POLICIES, type Policy } from './guard/policy.js';
import { run, type RunOptions } from './commands/run.js';
import { DEFAULT_CONCURRENCY, DEFAULT_TIMEOUT_MS } from './app/options.js';

/** The options of `run` taken here, each with a value, and whether it may be given more than once. */
const RUN_OPTIONS = new Map([
  ['cwd', false],
  ['config', true],
  ['host', false],
  ['lockfile', false],
  ['policy', false],
  ['audit-log', false],
  ['redact', true],
  ['deny', true],
  ['allowlist', false],
  ['otlp', false],
]);

/**
 * `argv` after the node and script paths. The options and server name of `run [options] [--] NAME`
 * as the full CLI would hand them to the command, or undefined when the full CLI must decide.
 * Options are `--name VALUE`, `--name=VALUE` or `-C VALUE`.
 */
export function parseRunArgv(argv: readonly string[]): { name: string; options: RunOptions } | undefined {
  if (argv[0] !== 'run') return undefined;
  const values = new Map<string, string[]>();
  const positionals: string[] = [];
  for (let i = 1; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    let name: string;
    let value: string | undefined;
    if (arg === '-C') {
      name = 'cwd';
      value = argv[++i];
    } else if (arg.startsWith('--')) {
      const equals = arg.indexOf('=');
      name = equals === -1 ? arg.slice(2) : arg.slice(2, equals);
      value = equals === -1 ? argv[++i] : arg.slice(equals + 1);
    } else if (arg.startsWith('-') && arg !== '-') {
      return undefined;
    } else {
      positionals.push(arg);
      continue;
    }
    const repeatable = RUN_OPTIONS.get(name);
    // Repeated single options and values starting with "-" are where parsers differ: commander decides.
    if (repeatable === undefined || value === undefined || value === '' || value.startsWith('-')) return undefined;
    if (values.has(name) && !repeatable) return undefined;
    values.set(name, [...(values.get(name) ?? []), value]);
  }
  if (positionals.length !== 1) return undefined;
  const one = (name: string): string | undefined => values.get(name)?.[0];
  const policy = one('policy') ?? 'block';
  if (!POLICIES.includes(policy as Policy)) return undefined;
  const denied = values.get('deny');
  const deny = denied === undefined ? undefined : parseDenyList(denied);
  if (deny !== undefined && 'invalid' in deny) return undefined;
  const options: RunOptions = { timeout: DEFAULT_TIMEOUT_MS, concurrency: DEFAULT_CONCURRENCY, color: true, policy: policy as Policy };
  for (const [name, key] of [['cwd', 'cwd'], ['host', 'host'], ['lockfile', 'lockfile'], ['audit-log', 'auditLog'], ['allowlist', 'allowlist'], ['otlp', 'otlp']] as const) {
    const value = one(name);
    if (value !== undefined) options[key] = value;
  }
  for (const [name, key] of [['config', 'config'], ['redact', 'redact']] as const) {
    const given = values.get(name);
    if (given !== undefined) options[key] = given;
  }
  if (deny !== undefined) options.deny = deny.kinds;
  return { name: positionals[0]!, options };
}

export async function main(argv: string[], fullCli: FullCli): Promise<ExitStatus> {
  const parsed = parseRunArgv(argv.slice(2));
  if (!parsed) return (await fullCli()).main(argv);
  return runAsProcess((deps) => run(parsed.name, parsed.options, deps), { relay: true });
}
