/**
 * VS Code's and Cursor's `envFile`: a file of `NAME=value` lines the host reads into a stdio
 * server's environment. mcpm reads it the same way when it starts the server (install, verify,
 * diff, approve, run), so the server it snapshots and guards is the one the host starts. Read once
 * per start: the values given to the server are the values searched for in what it shows.
 * Synchronous, as the config files are read: one small file, before the server starts.
 */
import { readSync } from 'node:fs';
import path from 'node:path';
import { McpmError } from '../core/errors.js';
import { jsonQuote } from '../core/json-strict.js';
import { parseEnvFileText } from '../core/launch/env-file-text.js';
import { resolveVariables, type VariableContext } from '../core/launch/expand.js';
import type { ServerConfig } from '../core/launch/parse.js';
import { decodeUtf8, FileReadProblem, withRegularFile } from './files.js';

/** An env file is a few lines; a larger one is not one, and is not read into memory. */
export const MAX_ENV_FILE_BYTES = 1024 * 1024;
/** Every value is a secret looked for in all the server shows: more than this many is not an env file either. */
export const MAX_ENV_FILE_VARIABLES = 1000;

/**
 * The variables of the env file at `file` (expanded; `shown` as written in the config, which
 * messages name: an expanded path may hold a variable's value), read as VS Code reads it
 * (env-file-text.ts). In the server's environment they come under the entry's `env`, which wins for
 * a name both set. CONFIG_INVALID naming `where` (file and server), and never a value, when:
 * - the path is relative: VS Code reads it from its own working directory, which is not one mcpm
 *   can know, so the file it loads is not one mcpm can check;
 * - the file is missing or cannot be read (the host fails to start the server too, and started
 *   without the variables it would be another server than the one the host runs);
 * - it is not a regular file, is over MAX_ENV_FILE_BYTES, or sets over MAX_ENV_FILE_VARIABLES.
 */
function readEnvFile(file: string, shown: string, where: string): Record<string, string> {
  const unusable = (problem: string, hint = 'create the file, or fix the "envFile" path in the entry', cause?: unknown): McpmError =>
    new McpmError('CONFIG_INVALID', `${where}: "envFile" ${jsonQuote(shown)} ${problem}`, hint, cause === undefined ? undefined : { cause });
  if (!path.isAbsolute(file)) {
    throw unusable('is a relative path, which the host reads from its own working directory', 'write the path from the project, "${workspaceFolder}/…", or from your home, "${userHome}/…"');
  }
  let text: string | null;
  try {
    // At most one byte over the limit is read: a file under /proc says it is empty and is not.
    text = withRegularFile(file, { maxBytes: MAX_ENV_FILE_BYTES }, (fd) => {
      const buffer = Buffer.alloc(MAX_ENV_FILE_BYTES + 1);
      let length = 0;
      while (length < buffer.length) {
        const read = readSync(fd, buffer, length, buffer.length - length, null);
        if (read === 0) break;
        length += read;
      }
      if (length > MAX_ENV_FILE_BYTES) throw new FileReadProblem('too-large', `is larger than ${MAX_ENV_FILE_BYTES / 1024 / 1024} MiB`);
      return decodeUtf8(buffer.subarray(0, length));
    });
  } catch (error) {
    if (error instanceof FileReadProblem) throw unusable(error.message, undefined, error);
    throw error;
  }
  if (text === null) throw unusable('does not exist');
  const parsed = parseEnvFileText(text.replace(/^\uFEFF/, ''));
  if (parsed.size > MAX_ENV_FILE_VARIABLES) throw unusable(`sets more than ${MAX_ENV_FILE_VARIABLES} variables`, 'keep only what the server needs in the file');
  // A null-prototype record, as every environment mcpm builds for a server.
  const variables = Object.create(null) as Record<string, string>;
  for (const [name, value] of parsed) {
    if (name.includes('\0') || value.includes('\0')) throw unusable(`sets ${jsonQuote(name)} with a NUL character`, 'remove the NUL character from the file');
    variables[name] = value;
  }
  return variables;
}

/**
 * The variables of a stdio entry's `envFile`, its path expanded as the host expands it
 * (`${workspaceFolder}/.env`), or undefined when the entry has none.
 */
export function envFileVariablesOf(
  server: ServerConfig,
  env: Readonly<Record<string, string | undefined>>,
  context: VariableContext & { projectDir: string },
): Record<string, string> | undefined {
  const launch = server.launch;
  if (launch.transport !== 'stdio' || launch.envFile === undefined) return undefined;
  const where = `${server.source}: server ${jsonQuote(server.name)}`;
  return readEnvFile(resolveVariables(launch.envFile, env, `${where}: "envFile"`, context), launch.envFile, where);
}

/** The entry's `env` over its env file's variables: a name both set takes the `env` value, as the hosts give it. */
export function withEnvFile(env: Readonly<Record<string, string>>, fromFile: Readonly<Record<string, string>> | undefined): Record<string, string> {
  const out = Object.create(null) as Record<string, string>;
  if (fromFile !== undefined) for (const name of Object.keys(fromFile)) out[name] = fromFile[name]!;
  for (const name of Object.keys(env)) out[name] = env[name]!;
  return out;
}
