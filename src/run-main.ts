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

type SingleKey = 'cwd' | 'host' | 'lockfile' | 'auditLog' | 'allowlist' | 'otlp' | 'policy';
type ListKey = 'config' | 'redact' | 'deny';
/**
 * The options of `run` taken here, each with a value: its RunOptions key, and whether it may be
 * given more than once (those are lists).
 */
const RUN_OPTIONS = new Map<string, { key: SingleKey; repeatable: false } | { key: ListKey; repeatable: true }>([
  ['cwd', { key: 'cwd', repeatable: false }],
  ['config', { key: 'config', repeatable: true }],
  ['host', { key: 'host', repeatable: false }],
  ['lockfile', { key: 'lockfile', repeatable: false }],
  ['policy', { key: 'policy', repeatable: false }],
  ['audit-log', { key: 'auditLog', repeatable: false }],
  ['redact', { key: 'redact', repeatable: true }],
  ['deny', { key: 'deny', repeatable: true }],
  ['allowlist', { key: 'allowlist', repeatable: false }],
  ['otlp', { key: 'otlp', repeatable: false }],
]);

/**
 * `argv` after the node and script paths. The options and server name of `run [options] [--] NAME`
 * as the full CLI would hand them to the command, or undefined when the full CLI must decide.
 * Options are `--name VALUE`, `--name=VALUE` or `-C VALUE`.
 */
export function parseRunArgv(argv: readonly string[]): { name: string; options: RunOptions } | undefined {
  if (argv[0] !== 'run') return undefined;
  const single: Partial<Record<SingleKey, string>> = {};
  const lists: Partial<Record<ListKey, string[]>> = {};
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
    const option = RUN_OPTIONS.get(name);
    // Repeated single options and values starting with "-" are where parsers differ: commander decides.
    if (option === undefined || value === undefined || value === '' || value.startsWith('-')) return undefined;
    if (option.repeatable) (lists[option.key] ??= []).push(value);
    else if (single[option.key] !== undefined) return undefined;
    else single[option.key] = value;
  }
  if (positionals.length !== 1) return undefined;
  const { policy = 'block', ...rest } = single;
  if (!POLICIES.includes(policy as Policy)) return undefined;
  const deny = lists.deny === undefined ? undefined : parseDenyList(lists.deny);
  if (deny !== undefined && 'invalid' in deny) return undefined;
  const options: RunOptions = { timeout: DEFAULT_TIMEOUT_MS, concurrency: DEFAULT_CONCURRENCY, color: true, policy: policy as Policy, ...rest };
  if (lists.config !== undefined) options.config = lists.config;
  if (lists.redact !== undefined) options.redact = lists.redact;
  if (deny !== undefined) options.deny = deny.kinds;
  return { name: positionals[0]!, options };
}

export async function main(argv: string[], fullCli: FullCli): Promise<ExitStatus> {
  const parsed = parseRunArgv(argv.slice(2));
  if (!parsed) return (await fullCli()).main(argv);
  return runAsProcess((deps) => run(parsed.name, parsed.options, deps), { relay: true });
}
