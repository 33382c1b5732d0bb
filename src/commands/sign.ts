/**
 * `mcpm sign`: a detached SSH signature over the lock's bytes, written to `<lock>.sig`, so anyone
 * holding the allowed signers can check on any machine that this exact lock was approved
 * (`mcpm verify --require-signature`). The lock is checked against its own integrities first: a
 * hand-edited lock is not signed.
 */
import { existsSync, lstatSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { replaceFile } from '../adapters/replace-file.js';
import { signBytes } from '../adapters/ssh-signature.js';
import { McpmError, type ExitStatus } from '../core/errors.js';
import { sanitizeLine } from '../core/sanitize.js';
import type { Deps } from '../deps.js';
import { writeJson } from '../render/json.js';
import type { GlobalOptions } from '../app/options.js';
import { loadCheckedLock, loadProject } from '../app/project.js';
import { signatureFileOf } from '../app/lock-signature.js';

export interface SignOptions extends GlobalOptions {
  /** A private key, or a public key whose private half is in ssh-agent. */
  key?: string;
}

/** The keys ssh itself tries first, in its order; the first one present signs. */
const DEFAULT_KEYS = ['id_ed25519', 'id_ecdsa', 'id_rsa'];

export async function sign(options: SignOptions, deps: Deps): Promise<ExitStatus> {
  const project = await loadProject(options, deps);
  const loaded = await loadCheckedLock(project);
  if (loaded.text === null) {
    throw new McpmError('LOCKFILE_MISSING', `${project.lockLabel} does not exist: there is nothing to sign`, 'run "mcpm install" to create the lock');
  }
  const key = keyFile(options, deps);
  const sig = signatureFileOf(project);
  // The signature file is the repository's: a link committed in its place would have the signer
  // overwrite the file it points at (~/.bashrc). Only a regular file, or none, is written, and
  // replaced as itself (a rename), never through a link; verify refuses a link there too.
  const existing = lstatSync(sig.file, { throwIfNoEntry: false });
  if (existing !== undefined && !existing.isFile()) {
    throw new McpmError(
      'CONFIG_INVALID',
      `${sig.label} is ${existing.isSymbolicLink() ? 'a symbolic link' : 'not a regular file'}; mcpm writes the signature only as a regular file`,
      `remove ${sig.label}, then run "mcpm sign" again`,
    );
  }
  const signature = await signBytes(loaded.text, key, deps.env);
  try {
    await replaceFile(sig.file, signature, existing === undefined ? undefined : existing.mode & 0o7777);
  } catch (error) {
    throw new McpmError('CONFIG_INVALID', `${sig.label}: cannot be written (${(error as NodeJS.ErrnoException).code ?? String(error)})`, 'check the directory and its permissions', { cause: error });
  }
  if (options.format === 'json') writeJson(deps.stdout, { lockfile: project.lockLabel, signature: sig.label, key, exitStatus: 0 });
  const human = options.format === 'json' ? deps.stderr : deps.stdout;
  if (!options.quiet) human.write(`${sanitizeLine(`wrote ${sig.label} (signed ${project.lockLabel} with ${key})`)}\n`);
  return 0;
}

function keyFile(options: SignOptions, deps: Deps): string {
  if (options.key !== undefined) {
    const file = resolve(deps.cwd, options.key);
    if (!existsSync(file)) throw new McpmError('USAGE', `--key ${options.key}: no such file`, 'give --key a private key, or a public key held by ssh-agent');
    return file;
  }
  const home = deps.env['HOME'] ?? deps.env['USERPROFILE'];
  const found = home === undefined ? undefined : DEFAULT_KEYS.map((k) => join(home, '.ssh', k)).find((f) => existsSync(f));
  if (found === undefined) throw new McpmError('USAGE', 'no SSH key found in ~/.ssh (id_ed25519, id_ecdsa, id_rsa)', 'give one with --key FILE, or create one with "ssh-keygen -t ed25519"');
  return found;
}
