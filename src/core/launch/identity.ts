/**
 * Launch identity: the part of a server's launch that is compared and locked (command, args, cwd,
 * envFile, transport, url, headersHelper, sign-in settings, VS Code's host settings, the names of env variables and headers, and their values and the URL's
 * query values in the stored form of launch/values.ts), and how two of them are compared. A value that changes (`NODE_OPTIONS` to
 * `--require ./payload.cjs`) is another launch, which nobody has approved.
 */
import { jsonQuote } from '../json-strict.js';
import { urlParts } from './values.js';

/**
 * What a host config says about how to start a server, as the lock records it. Values of `env` and
 * `headers` are kept only in memory for launching (ServerConfig); the lock records their names and
 * their stored forms (envValues, headerValues), never the values.
 */
export type LaunchSpec =
  | {
      transport: 'stdio';
      command: string;
      args: string[];
      cwd?: string;
      /**
       * VS Code's and Cursor's `envFile` as written (references unexpanded): a file of `NAME=value`
       * lines the host reads into the server's environment, under `env`. The path is part of the
       * launch; what the file holds is not, as the code of a script in `args` is not: it is the
       * user's, like the environment a `${VAR}` reads (docs/lockfile.md).
       */
      envFile?: string;
      /** VS Code's `sandboxEnabled`, `sandbox`, `dev` and the `inputs` the launch refers to, as one RFC 8785 text (parse.ts). */
      hostSettings?: string;
      /** Names of the variables the config sets for this server, sorted. Never values. */
      envNames: string[];
      /**
       * Each variable's value in its stored form (launch/values.ts): a `${VAR}` reference as
       * written, anything else a salted scrypt digest, never the value. Absent when the config sets
       * no variable, and in entries written before values were bound.
       */
      envValues?: Record<string, string>;
    }
  | {
      /** `http` is Streamable HTTP with SSE fallback; `sse` is the legacy HTTP+SSE transport only. */
      transport: 'http' | 'sse';
      /**
       * As configured (a launch from the config), or as the lock writes it: with its query values
       * masked (urlParts, launch/values.ts) when urlValues holds them. See sameUrl for how two compare.
       */
      url: string;
      /**
       * The stored forms of the URL's query values, by part name (`query.N`), as envValues: an
       * `api_key` in a URL is never written in clear.
       * Absent when the URL has none, and in entries written before they were bound.
       */
      urlValues?: Record<string, string>;
      /**
       * Claude Code's `headersHelper` as written: a shell command run at each connection, whose
       * output (a JSON object of strings) adds headers, over `headers`. Part of the launch: it is
       * a command run on the user's machine.
       */
      headersHelper?: string;
      /**
       * The entry's sign-in keys (`oauth`, `auth`, …) as one RFC 8785 text, a client secret in
       * clear left out: where the host sends the user's authorization code and tokens.
       */
      signIn?: string;
      /** As a stdio launch's hostSettings: the `inputs` its URL and headers refer to, and the like. */
      hostSettings?: string;
      /** Names of the headers the config sets, sorted. Never values. */
      headerNames: string[];
      /** As envValues, for the headers. */
      headerValues?: Record<string, string>;
    };

export function launchEquals(a: LaunchSpec, b: LaunchSpec): boolean {
  return launchDifference(a, b) === undefined;
}

/** The first field in which two launch specs differ, as a phrase for messages ("the args"), or undefined. */
export function launchDifference(a: LaunchSpec, b: LaunchSpec): string | undefined {
  return launchDifferences(a, b)[0];
}

/** Every field in which two launch specs differ, in the order of the spec: what a reviewer is told. */
export function launchDifferences(a: LaunchSpec, b: LaunchSpec): string[] {
  if (a.transport === 'stdio' && b.transport === 'stdio') {
    return phrases([
      a.command !== b.command && 'the commands',
      !arraysEqual(a.args, b.args) && 'the args',
      a.cwd !== b.cwd && 'the working directories',
      a.envFile !== b.envFile && 'the env files',
      a.hostSettings !== b.hostSettings && 'the host settings',
      namedValuesDifference(a.envNames, b.envNames, a.envValues, b.envValues, 'env'),
    ]);
  }
  if (a.transport !== 'stdio' && b.transport !== 'stdio') {
    const sameUrls = sameUrl(a, b);
    return phrases([
      a.transport !== b.transport && 'the transports',
      !sameUrls && urlDifference(a, b),
      a.headersHelper !== b.headersHelper && 'the headers helpers',
      a.signIn !== b.signIn && 'the sign-in settings',
      a.hostSettings !== b.hostSettings && 'the host settings',
      namedValuesDifference(a.headerNames, b.headerNames, a.headerValues, b.headerValues, 'header'),
      // The URLs agree, so their parts have the same names: only the stored values differ.
      sameUrls && valuesDifference(a.urlValues, b.urlValues, 'URL'),
    ]);
  }
  return ['the transports'];
}

/** launchDifferences as one phrase, for a reviewer: "the args, the env values of \"TOKEN\"". */
export function launchDifferencesText(a: LaunchSpec, b: LaunchSpec): string {
  return launchDifferences(a, b).join(', ') || 'the launches';
}

type RemoteLaunch = Extract<LaunchSpec, { transport: 'http' | 'sse' }>;

/**
 * Whether two remote launches name the same URL. When both have their query values bound (a
 * launch from the config, an entry the lock holds now), compared masked (urlParts), the values
 * apart. Otherwise one holds its URL as written: a config not bound yet (two files merged), or an
 * entry locked before query values were bound, with them in clear. Compared as written, so that a
 * value changed since is a changed URL, not one the lock merely has not recorded yet.
 */
function sameUrl(a: RemoteLaunch, b: RemoteLaunch): boolean {
  return a.urlValues !== undefined && b.urlValues !== undefined ? urlParts(a.url).masked === urlParts(b.url).masked : a.url === b.url;
}

/**
 * How two remote launches' URLs differ, given that they do (sameUrl). Against an entry locked with
 * its query values in clear, a configured URL that is the same but for some of them names those:
 * to a reviewer the two print alike (masked), and "not recorded yet" would read as no change at all.
 */
function urlDifference(a: RemoteLaunch, b: RemoteLaunch): string {
  const [x, y] = [urlParts(a.url), urlParts(b.url)];
  if ((a.urlValues === undefined) !== (b.urlValues === undefined) && x.masked === y.masked) {
    const changed = x.parts.filter((part, i) => part.value !== y.parts[i]?.value).map((part) => jsonQuote(part.name));
    if (changed.length > 0) return `the URL values (${changed.join(', ')})`;
  }
  return 'the URLs';
}

function phrases(found: readonly (string | false | undefined)[]): string[] {
  return found.filter((phrase): phrase is string => typeof phrase === 'string');
}

/** The names first; only when they agree are the values compared (valuesDifference). */
function namedValuesDifference(
  aNames: readonly string[],
  bNames: readonly string[],
  aValues: Record<string, string> | undefined,
  bValues: Record<string, string> | undefined,
  kind: 'env' | 'header',
): string | undefined {
  if (!arraysEqual(aNames, bNames)) return kind === 'env' ? 'the env variable names' : 'the header names';
  return valuesDifference(aValues, bValues, kind);
}

/**
 * Values are compared in their stored forms, by name (the names already agree). A side without
 * them was read from a lock written before values were bound: it matches only a launch that sets
 * no values, since nobody reviewed the values it was started with.
 */
function valuesDifference(a: Record<string, string> | undefined, b: Record<string, string> | undefined, kind: 'env' | 'header' | 'URL'): string | undefined {
  if (a === undefined || b === undefined) {
    return a === b || Object.keys(a ?? b ?? {}).length === 0 ? undefined : `the ${kind} values (not recorded in the lock yet)`;
  }
  const names = Object.keys(a).sort();
  if (!arraysEqual(names, Object.keys(b).sort())) return `the ${kind} values`;
  const changed = names.find((name) => a[name] !== b[name]);
  return changed === undefined ? undefined : `the ${kind} values (${jsonQuote(changed)})`;
}

/** True when the locked launch differs from the configured one only by values it never recorded (an older lock). */
export function valuesUnrecorded(configured: LaunchSpec, locked: LaunchSpec): boolean {
  if (configured.transport === 'stdio' && locked.transport === 'stdio') {
    return locked.envValues === undefined && configured.envValues !== undefined && launchEquals({ ...locked, envValues: configured.envValues }, configured);
  }
  if (configured.transport !== 'stdio' && locked.transport !== 'stdio') {
    const headers = locked.headerValues === undefined && configured.headerValues !== undefined;
    const url = locked.urlValues === undefined && configured.urlValues !== undefined;
    if (!headers && !url) return false;
    // Values recorded from today's config must be the ones the locked URL had in clear.
    if (url && locked.url !== configured.url) return false;
    const recorded = { ...locked, ...(headers ? { headerValues: configured.headerValues } : {}), ...(url ? { urlValues: configured.urlValues } : {}) };
    return launchEquals(recorded, configured);
  }
  return false;
}

function arraysEqual(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((item, i) => item === b[i]);
}
