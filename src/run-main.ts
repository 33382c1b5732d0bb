/**
 * The entry point of `mcpm run`, which hosts launch for every guarded server at every session
 * start: a host waits for spawn → first tools/list, and commander alone costs 10–20 ms to load.
 * The common, well-formed command lines (the one `mcpm guard` writes, the README's) are parsed
 * here with node:util; anything else (--help, an unknown or repeated option, a value that looks
 * like an option, options before `run`) goes to the full CLI, so its errors and help are
 * commander's, and this parser never has to agree with commander on anything unusual.
 */
import { parseArgs } from 'node:util';
import type { ExitStatus } from './core/errors.js';
import { runAsProcess, type FullCli } from './entry.js';
import { parseDenyList } from './core/deny.js';
import { POLICIES, type Policy } from './guard/policy.js';
import { run, type RunOptions } from './commands/run.js';
import { DEFAULT_CONCURRENCY, DEFAULT_TIMEOUT_MS } from './app/options.js';

const RUN_OPTIONS = {
  cwd: { type: 'string', short: 'C' },
  config: { type: 'string', multiple: true },
  host: { type: 'string' },
  lockfile: { type: 'string' },
  policy: { type: 'string' },
  'audit-log': { type: 'string' },
  redact: { type: 'string', multiple: true },
  deny: { type: 'string', multiple: true },
  allowlist: { type: 'string' },
  otlp: { type: 'string' },
} as const;
const REPEATABLE = new Set(['config', 'redact', 'deny']);

/**
 * `argv` after the node and script paths. The options and server name of `run [options] [--] NAME`
 * as the full CLI would hand them to the command, or undefined when the full CLI must decide.
 */
export function parseRunArgv(argv: readonly string[]): { name: string; options: RunOptions } | undefined {
  if (argv[0] !== 'run') return undefined;
  let parsed;
  try {
    parsed = parseArgs({ args: argv.slice(1), options: RUN_OPTIONS, allowPositionals: true, strict: true, tokens: true });
  } catch {
    return undefined;
  }
  const { values, positionals, tokens } = parsed;
  if (positionals.length !== 1) return undefined;
  const seen = new Set<string>();
  for (const token of tokens) {
    if (token.kind !== 'option') continue;
    // Repeated single options and values starting with "-" are where parsers differ: commander decides.
    if (seen.has(token.name) && !REPEATABLE.has(token.name)) return undefined;
    seen.add(token.name);
    if (token.value === undefined || token.value.startsWith('-') || token.value === '') return undefined;
  }
  const policy = values.policy ?? 'block';
  if (!POLICIES.includes(policy as Policy)) return undefined;
  const deny = values.deny === undefined ? undefined : parseDenyList(values.deny);
  if (deny !== undefined && 'invalid' in deny) return undefined;
  const options: RunOptions = { timeout: DEFAULT_TIMEOUT_MS, concurrency: DEFAULT_CONCURRENCY, color: true, policy: policy as Policy };
  if (values.cwd !== undefined) options.cwd = values.cwd;
  if (values.config !== undefined) options.config = values.config;
  if (values.host !== undefined) options.host = values.host;
  if (values.lockfile !== undefined) options.lockfile = values.lockfile;
  if (values['audit-log'] !== undefined) options.auditLog = values['audit-log'];
  if (values.redact !== undefined) options.redact = values.redact;
  if (deny !== undefined) options.deny = deny.kinds;
  if (values.allowlist !== undefined) options.allowlist = values.allowlist;
  if (values.otlp !== undefined) options.otlp = values.otlp;
  return { name: positionals[0]!, options };
}

export async function main(argv: string[], fullCli: FullCli): Promise<ExitStatus> {
  const parsed = parseRunArgv(argv.slice(2));
  if (!parsed) return (await fullCli()).main(argv);
  return runAsProcess((deps) => run(parsed.name, parsed.options, deps), { relay: true });
}
