/**
 * An organisation's allow-list (`mcp-allowlist.json`, kept in a central repository): which
 * launches a project may lock and start, pinned where wanted to the lock entry's integrity; which
 * launches are denied whatever else matches; the server-initiated requests `mcpm run` must deny;
 * and the allowed signers of signed locks. Pure: the text comes in, verdicts go out.
 *
 * Patterns are matched against the launch as the config writes it (`command` + `args`, or `url`),
 * the same fields the lock's launch records. `*` matches any run of characters within one element
 * (none included); a last element `**` matches any number of further arguments. Nothing else is
 * special: no regular expressions, so a hostile pattern cannot make matching slow.
 */
import { isIntegrity, type Integrity } from './canonical.js';
import { DENY_KINDS, parseDenyList, type DenyKind } from './deny.js';
import { McpmError } from './errors.js';
import { isJsonObject, jsonQuote, parseStrictJson, StrictJsonError, type JsonValue } from './json-strict.js';
import type { LaunchSpec } from './launch/identity.js';
import { shownUrl } from './launch/values.js';

export const ALLOWLIST_FILE = 'mcp-allowlist.json';

export interface LaunchPattern {
  /** `[command, ...args]` patterns, or undefined for a URL pattern. */
  command?: string[];
  url?: string;
}

export interface AllowRule extends LaunchPattern {
  /** The lock entry's `integrity` the launch must have been locked with. */
  integrity?: Integrity[];
}

export interface Allowlist {
  /** Where it came from, for messages (a path, or `git-url#ref:path @ commit`). */
  label: string;
  allow: AllowRule[];
  deny: LaunchPattern[];
  /** Server-initiated requests every guarded server must have denied. */
  guardDeny: DenyKind[];
  /** The allowed_signers file named by the list, relative to the list's own directory. */
  allowedSigners?: string;
}

/** Whether the organisation lets this launch run; `pins`: integrities one of which its lock entry must have (undefined: any). */
export type Judgement = { allowed: true; pins?: Integrity[] } | { allowed: false; reason: string };

const KEYS = new Set(['//', 'allowlistVersion', 'allow', 'deny', 'guard', 'allowedSigners']);

export function parseAllowlist(text: string, label: string): Allowlist {
  const fail = (where: string, what: string): never => {
    throw new McpmError('ALLOWLIST_INVALID', `${label}: ${where ? `${where}: ` : ''}${what}`, 'fix the allow-list in its repository (docs/org.md describes the format)');
  };
  let root: JsonValue;
  try {
    root = parseStrictJson(text);
  } catch (error) {
    if (error instanceof StrictJsonError) return fail('', `not valid JSON (${error.message})`);
    throw error;
  }
  if (!isJsonObject(root)) return fail('', 'must be a JSON object');
  for (const key of Object.keys(root)) if (!KEYS.has(key)) fail('', `unknown key ${jsonQuote(key)}`);
  if (root['allowlistVersion'] !== 1) fail('allowlistVersion', 'must be 1');
  const patternAt = (value: JsonValue, where: string, withIntegrity: boolean): AllowRule => {
    if (!isJsonObject(value)) return fail(where, 'must be an object');
    const allowed = withIntegrity ? ['command', 'url', 'integrity', '//'] : ['command', 'url', '//'];
    for (const key of Object.keys(value)) if (!allowed.includes(key)) fail(where, `unknown key ${jsonQuote(key)}`);
    const { command, url, integrity } = value;
    if ((command === undefined) === (url === undefined)) fail(where, 'needs exactly one of "command" or "url"');
    const rule: AllowRule = {};
    if (command !== undefined) {
      if (!Array.isArray(command) || command.length === 0 || !command.every((c) => typeof c === 'string' && c !== '')) {
        fail(`${where}.command`, 'must be a non-empty array of non-empty strings ([command, ...args])');
      }
      rule.command = command as string[];
    }
    if (url !== undefined) {
      if (typeof url !== 'string' || url === '') fail(`${where}.url`, 'must be a non-empty string');
      rule.url = url as string;
    }
    if (integrity !== undefined) {
      const list = Array.isArray(integrity) ? integrity : [integrity];
      if (list.length === 0 || !list.every(isIntegrity)) fail(`${where}.integrity`, 'must be a "sha256-<base64>" string or an array of them');
      rule.integrity = list as Integrity[];
    }
    return rule;
  };
  const listAt = (key: 'allow' | 'deny'): AllowRule[] => {
    const value = root[key];
    if (value === undefined) return [];
    if (!Array.isArray(value)) return fail(key, 'must be an array');
    return value.map((v, i) => patternAt(v, `${key}[${i}]`, key === 'allow'));
  };
  let guardDeny: DenyKind[] = [];
  const guard = root['guard'];
  if (guard !== undefined) {
    if (!isJsonObject(guard)) fail('guard', 'must be an object');
    for (const key of Object.keys(guard as object)) if (key !== 'deny') fail('guard', `unknown key ${jsonQuote(key)}`);
    const deny = (guard as Record<string, JsonValue>)['deny'];
    if (deny !== undefined) {
      const parsed = Array.isArray(deny) && deny.every((d) => typeof d === 'string') ? parseDenyList(deny as string[]) : { invalid: '' };
      if ('invalid' in parsed) return fail('guard.deny', `must be an array of ${DENY_KINDS.join(', ')}`);
      guardDeny = parsed.kinds;
    }
  }
  const signers = root['allowedSigners'];
  if (signers !== undefined && (typeof signers !== 'string' || signers === '' || signers.startsWith('/') || signers.split(/[\\/]/).includes('..'))) {
    fail('allowedSigners', 'must be a path inside the allow-list\'s directory');
  }
  return {
    label,
    allow: listAt('allow'),
    deny: listAt('deny'),
    guardDeny,
    ...(typeof signers === 'string' ? { allowedSigners: signers } : {}),
  };
}

/** Deny patterns win; then the launch must match an allow rule (and any of their pins, which the caller checks). */
export function judgeLaunch(list: Allowlist, launch: LaunchSpec): Judgement {
  const denied = list.deny.find((p) => matchesLaunch(p, launch));
  if (denied) return { allowed: false, reason: `${list.label} denies ${describeLaunch(launch)} (deny pattern ${describePattern(denied)})` };
  const rules = list.allow.filter((r) => matchesLaunch(r, launch));
  if (rules.length === 0) return { allowed: false, reason: `${list.label} does not allow ${describeLaunch(launch)}` };
  // One matching rule without a pin allows any integrity.
  if (rules.some((r) => r.integrity === undefined)) return { allowed: true };
  return { allowed: true, pins: rules.flatMap((r) => r.integrity!) };
}

/** The judgement for a launch locked with `integrity`: a pinned launch locked with another one is denied. */
export function judgeLocked(list: Allowlist, launch: LaunchSpec, integrity: string): Judgement {
  const judgement = judgeLaunch(list, launch);
  if (!judgement.allowed || judgement.pins === undefined || (judgement.pins as string[]).includes(integrity)) return judgement;
  return { allowed: false, reason: `${list.label} pins ${describeLaunch(launch)} to ${judgement.pins.join(' or ')}, but it is locked as ${integrity}` };
}

function matchesLaunch(pattern: LaunchPattern, launch: LaunchSpec): boolean {
  if (launch.transport === 'stdio') return pattern.command !== undefined && matchesArgv(pattern.command, [launch.command, ...launch.args]);
  // As written, query values included: a rule may name one (`…?tenant=acme`). The launches judged
  // are the config's, whose URL is never written masked.
  return pattern.url !== undefined && globMatch(pattern.url, launch.url);
}

function matchesArgv(pattern: readonly string[], argv: readonly string[]): boolean {
  const rest = pattern[pattern.length - 1] === '**';
  const fixed = rest ? pattern.slice(0, -1) : pattern;
  if (rest ? argv.length < fixed.length : argv.length !== fixed.length) return false;
  return fixed.every((p, i) => globMatch(p, argv[i]!));
}

/**
 * `*` matches any run of characters, everything else itself. The classic two-pointer wildcard
 * match: on a mismatch it retries from the last `*` one character later, so time stays within
 * pattern length × text length with no backtracking blow-up.
 */
export function globMatch(pattern: string, text: string): boolean {
  let p = 0;
  let t = 0;
  let star = -1;
  let mark = 0;
  while (t < text.length) {
    if (p < pattern.length && pattern[p] !== '*' && pattern[p] === text[t]) {
      p++;
      t++;
    } else if (p < pattern.length && pattern[p] === '*') {
      star = p++;
      mark = t;
    } else if (star !== -1) {
      p = star + 1;
      t = ++mark;
    } else {
      return false;
    }
  }
  while (pattern[p] === '*') p++;
  return p === pattern.length;
}

function describeLaunch(launch: LaunchSpec): string {
  return launch.transport === 'stdio' ? `the command ${jsonQuote([launch.command, ...launch.args].join(' '), 120)}` : `the URL ${jsonQuote(shownUrl(launch.url), 120)}`;
}

function describePattern(pattern: LaunchPattern): string {
  return pattern.command ? jsonQuote(pattern.command.join(' '), 120) : jsonQuote(pattern.url!, 120);
}
