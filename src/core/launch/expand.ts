/**
 * Variable expansion: the `${…}` references hosts resolve in config values, resolved at launch time
 * from the environment and the project directory passed in. Never persisted.
 */
import { McpmError } from '../errors.js';
import { jsonQuote } from '../json-strict.js';
import type { ServerConfig } from './parse.js';

/** What `${workspaceFolder}` and `${pathSeparator}` stand for; the core reads no process state. */
export interface VariableContext {
  /** Absolute project directory: `${workspaceFolder}`, `${workspaceFolderBasename}`. */
  projectDir?: string;
  /** `${pathSeparator}` and `${/}`; default `/`. */
  pathSeparator?: string;
  /** Values of VS Code's `${input:ID}`, by ID: asked for or taken from MCPM_INPUT_<ID> before launch (app/inputs.ts). */
  inputs?: ReadonlyMap<string, string>;
}

const REFERENCE = /\$\{([^}]+)\}/g;
const VARIABLE_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * Resolves the references hosts expand in config values:
 * - `${VAR}` and `${VAR:-default}` (Claude Code): the default applies when VAR is unset, not when it
 *   is empty, as in Claude Code; the default is literal text up to the first `}`.
 * - `${env:VAR}` (Cursor, VS Code), `${userHome}` (env.HOME, else env.USERPROFILE),
 *   `${workspaceFolder}`, `${workspaceFolderBasename}` (from `context.projectDir`), `${pathSeparator}`
 *   and `${/}`. These names win over environment variables that happen to share them.
 * - `${input:ID}` (VS Code) from `context.inputs`, which the caller filled by asking or from
 *   MCPM_INPUT_<ID> (inputVariable).
 * A bare `$VAR` is literal, as Claude Code leaves it. Anything else, such as an `${input:ID}` with
 * no value, `${config:…}` or an unset variable without a default, is
 * CONFIG_VARIABLE_UNRESOLVED naming `where` and the reference. Messages never contain a value.
 */
export function resolveVariables(
  value: string,
  env: Readonly<Record<string, string | undefined>>,
  where: string,
  context: VariableContext = {},
  problems?: McpmError[],
): string {
  return value.replace(REFERENCE, (match, body: string) => {
    if (problems === undefined) return resolveReference(body, env, where, context);
    try {
      return resolveReference(body, env, where, context);
    } catch (error) {
      if (!(error instanceof McpmError)) throw error;
      problems.push(error);
      return match;
    }
  });
}

/**
 * The environment variable that gives VS Code's `${input:ID}` a value: `MCPM_INPUT_` and the id,
 * upper-cased, every character that a shell cannot put in a name made `_` (`api-key` →
 * `MCPM_INPUT_API_KEY`).
 */
export function inputVariable(id: string): string {
  return `MCPM_INPUT_${id.toUpperCase().replace(/[^A-Z0-9_]/g, '_')}`;
}

/** The ids of the `${input:ID}` references anywhere in a server's launch (command, args, cwd, env, url, headers), in order, once each. */
export function inputReferences(server: ServerConfig): string[] {
  const launch = server.launch;
  const values = launch.transport === 'stdio' ? [launch.command, ...launch.args, launch.cwd ?? '', launch.envFile ?? '', ...Object.values(server.env)] : [launch.url, ...Object.values(server.headers)];
  const ids = values.flatMap(variableReferences).filter((body) => body.startsWith('input:')).map((body) => body.slice('input:'.length));
  return [...new Set(ids)];
}

/** The `${…}` references in a value, as written (without `${` and `}`), in order of appearance. */
export function variableReferences(value: string): string[] {
  return [...value.matchAll(REFERENCE)].map((match) => match[1] as string);
}

function resolveReference(
  body: string,
  env: Readonly<Record<string, string | undefined>>,
  where: string,
  context: VariableContext,
): string {
  const reference = jsonQuote(`\${${body}}`);
  switch (body) {
    case 'userHome': {
      const home = lookup(env, 'HOME') ?? lookup(env, 'USERPROFILE');
      if (home === undefined) throw unresolved(where, `${reference} needs HOME, which is not set`, 'set HOME');
      return home;
    }
    case 'workspaceFolder':
    case 'workspaceFolderBasename': {
      if (context.projectDir === undefined) {
        throw unresolved(where, `${reference} needs the project directory, which is not known here`, 'write the path in the config');
      }
      return body === 'workspaceFolder' ? context.projectDir : basename(context.projectDir);
    }
    case 'pathSeparator':
    case '/':
      return context.pathSeparator ?? '/';
  }
  if (body.startsWith('env:') && VARIABLE_NAME.test(body.slice('env:'.length))) {
    const name = body.slice('env:'.length);
    const found = lookup(env, name);
    if (found === undefined) throw unresolved(where, `environment variable ${jsonQuote(name)} is not set`, `set ${name}`);
    return found;
  }
  const defaultAt = body.indexOf(':-');
  const name = defaultAt === -1 ? body : body.slice(0, defaultAt);
  if (VARIABLE_NAME.test(name)) {
    const found = lookup(env, name);
    if (found !== undefined) return found;
    if (defaultAt !== -1) return body.slice(defaultAt + 2);
    throw unresolved(where, `environment variable ${jsonQuote(name)} is not set`, `set ${name}, or write \${${name}:-default} in the config`);
  }
  if (body.startsWith('input:')) {
    const id = body.slice('input:'.length);
    const given = context.inputs?.get(id);
    if (given !== undefined) return given;
    throw unresolved(
      where,
      `${reference} is a VS Code input, and no value was given for it`,
      `set ${inputVariable(id)}, or run mcpm in a terminal to be asked for it`,
    );
  }
  throw unresolved(
    where,
    `${reference} is not a reference mcpm can resolve`,
    'use ${VAR}, ${VAR:-default}, ${env:VAR}, ${userHome} or ${workspaceFolder}',
  );
}

/** Own string properties only: `${constructor}` must not find Object.prototype.constructor. */
function lookup(env: Readonly<Record<string, string | undefined>>, name: string): string | undefined {
  if (!Object.hasOwn(env, name)) return undefined;
  const value = env[name];
  return typeof value === 'string' ? value : undefined;
}

function unresolved(where: string, problem: string, hint: string): McpmError {
  return new McpmError('CONFIG_VARIABLE_UNRESOLVED', `${where}: ${problem}`, hint);
}

function basename(dir: string): string {
  const parts = dir.split(/[\\/]+/).filter((part) => part !== '');
  return parts.at(-1) ?? dir;
}

/**
 * Every reference that cannot be resolved in these servers' launches, as one error: the user sets
 * them all at once instead of meeting them one run at a time. Null when all resolve.
 */
export function unresolvedVariables(
  servers: readonly ServerConfig[],
  env: Readonly<Record<string, string | undefined>>,
  context: VariableContext = {},
): McpmError | null {
  const problems: McpmError[] = [];
  for (const server of servers) resolveServerConfig(server, env, context, problems);
  if (problems.length <= 1) return problems[0] ?? null;
  const hints = [...new Set(problems.map((p) => p.hint).filter((h): h is string => h !== undefined))];
  // The messages are unresolved()'s own: `environment variable "NAME" is not set`.
  const unset = problems.map((p) => /environment variable "([^"]+)" is not set$/.exec(p.message)?.[1]);
  const hint = unset.every((name) => name !== undefined)
    ? `set ${listed([...new Set(unset)])}, or give each a default in the config: \${NAME:-default}`
    : hints.join('; ');
  return new McpmError('CONFIG_VARIABLE_UNRESOLVED', `${problems.length} references in the config cannot be resolved:`, hint, {
    detail: problems.map((p) => p.message).join('\n'),
  });
}

function listed(names: readonly string[]): string {
  return names.length === 1 ? names[0]! : `${names.slice(0, -1).join(', ')} and ${names.at(-1)}`;
}

/** A server's launch with every reference resolved: what the process or HTTP adapter uses. Never persisted. */
export type ResolvedLaunch =
  | { transport: 'stdio'; command: string; args: string[]; cwd?: string; envFile?: string; env: Record<string, string> }
  | { transport: 'http' | 'sse'; url: string; headers: Record<string, string> };

/**
 * Resolves every field a host expands (command, args, cwd, envFile, env values; url, header values)
 * with resolveVariables. Names of env variables and headers are not expanded. Errors name the file,
 * the server and the field: `.mcp.json: server "notes": env "TOKEN": environment variable "TOKEN" is not set`.
 */
export function resolveServerConfig(
  server: ServerConfig,
  env: Readonly<Record<string, string | undefined>>,
  context: VariableContext = {},
  problems?: McpmError[],
): ResolvedLaunch {
  const at = `${server.source}: server ${jsonQuote(server.name)}`;
  const resolve = (value: string, field: string): string => resolveVariables(value, env, `${at}: ${field}`, context, problems);
  const resolveRecord = (record: Record<string, string>, field: string): Record<string, string> => {
    const out = Object.create(null) as Record<string, string>; // a variable named __proto__ stays a key
    for (const key of Object.keys(record)) out[key] = resolve(record[key] as string, `${field} ${jsonQuote(key)}`);
    return out;
  };
  const launch = server.launch;
  if (launch.transport === 'stdio') {
    return {
      transport: 'stdio',
      command: resolve(launch.command, '"command"'),
      args: launch.args.map((arg, i) => resolve(arg, `"args"[${i}]`)),
      ...(launch.cwd === undefined ? {} : { cwd: resolve(launch.cwd, '"cwd"') }),
      ...(launch.envFile === undefined ? {} : { envFile: resolve(launch.envFile, '"envFile"') }),
      env: resolveRecord(server.env, 'env'),
    };
  }
  return { transport: launch.transport, url: resolve(launch.url, '"url"'), headers: resolveRecord(server.headers, 'headers') };
}
