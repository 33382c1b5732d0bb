/**
 * VS Code's and Cursor's `envFile`: a file of `NAME=value` lines the host reads into a stdio
 * server's environment. mcpm reads it the same way when it starts the server (install, verify,
 * diff, approve, run), so the server it snapshots and guards is the one the host starts. Read once
 * per start: the values given to the server are the values searched for in what it shows.
 */
import path from 'node:path';
import { McpmError } from '../core/errors.js';
import { jsonQuote } from '../core/json-strict.js';
import { resolveVariables, type VariableContext } from '../core/launch/expand.js';
import type { ServerConfig } from '../core/launch/parse.js';
import { FileReadProblem, readRegularFile } from './files.js';

/** An env file is a few lines; a larger one is not one, and is not read into memory. */
export const MAX_ENV_FILE_BYTES = 1024 * 1024;

/**
 * The variables of the env file at `file` (already expanded; relative to `projectDir`; `shown` as
 * written in the config, which messages name: an expanded path may hold a variable's value), parsed as
 * dotenv parses them, which is what VS Code's parser follows (`export`, quotes, `#` comments). In
 * the server's environment they come under the entry's `env`, which wins for a name both set.
 * A file that is missing or cannot be read is CONFIG_INVALID naming `where` (file and server):
 * the host fails to start such a server too, and starting it without the variables would snapshot
 * another server than the one the host runs. The message holds the path, never a value.
 */
export async function readEnvFile(file: string, shown: string, projectDir: string, where: string): Promise<Record<string, string>> {
  const absolute = path.resolve(projectDir, file);
  const unusable = (problem: string, cause?: unknown): McpmError =>
    new McpmError('CONFIG_INVALID', `${where}: "envFile" ${jsonQuote(shown)} ${problem}`, 'create the file, or fix the "envFile" path in the entry', cause === undefined ? undefined : { cause });
  let text: string;
  try {
    const read = readRegularFile(absolute, { maxBytes: MAX_ENV_FILE_BYTES });
    if (read === null) throw unusable('does not exist');
    text = read.text;
  } catch (error) {
    if (error instanceof FileReadProblem) throw unusable(error.message, error);
    throw error;
  }
  const { parse } = await import('dotenv');
  const parsed = parse(text.replace(/^\uFEFF/, ''));
  // A null-prototype record, as every environment mcpm builds for a server.
  const variables = Object.create(null) as Record<string, string>;
  for (const name of Object.keys(parsed)) {
    const value = parsed[name]!;
    if (name.includes('\0') || value.includes('\0')) throw unusable(`sets ${jsonQuote(name)} to a value with a NUL character`);
    variables[name] = value;
  }
  return variables;
}

/**
 * The variables of a stdio entry's `envFile`, its path expanded as the host expands it
 * (`${workspaceFolder}/.env`), or undefined when the entry has none.
 */
export async function envFileVariablesOf(
  server: ServerConfig,
  env: Readonly<Record<string, string | undefined>>,
  context: VariableContext & { projectDir: string },
): Promise<Record<string, string> | undefined> {
  const launch = server.launch;
  if (launch.transport !== 'stdio' || launch.envFile === undefined) return undefined;
  const where = `${server.source}: server ${jsonQuote(server.name)}`;
  return readEnvFile(resolveVariables(launch.envFile, env, `${where}: "envFile"`, context), launch.envFile, context.projectDir, where);
}

/** The entry's `env` over its env file's variables: a name both set takes the `env` value, as the hosts give it. */
export function withEnvFile(env: Readonly<Record<string, string>>, fromFile: Readonly<Record<string, string>> | undefined): Record<string, string> {
  const out = Object.create(null) as Record<string, string>;
  if (fromFile !== undefined) for (const name of Object.keys(fromFile)) out[name] = fromFile[name]!;
  for (const name of Object.keys(env)) out[name] = env[name]!;
  return out;
}
