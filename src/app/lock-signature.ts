/**
 * Signed locks: `mcpm sign` writes `<lock>.sig` over the lock's exact bytes, and `verify
 * --require-signature` refuses a lock whose signature is missing, made by a key the allowed signers
 * do not list, or made over other bytes. The bytes are the file as read, so the check covers the
 * very lock the rest of verify then trusts.
 */
import { resolve } from 'node:path';
import { FileReadProblem, readRegularFile } from '../adapters/files.js';
import { checkSignature } from '../adapters/ssh-signature.js';
import { McpmError } from '../core/errors.js';
import type { Deps } from '../deps.js';
import type { Project } from './project.js';

/** An armoured SSH signature is under 1 KiB; anything much larger is not one. */
const MAX_SIGNATURE_BYTES = 64 * 1024;

export function signatureFileOf(project: Pick<Project, 'lockFile' | 'lockLabel'>): { file: string; label: string } {
  return { file: `${project.lockFile}.sig`, label: `${project.lockLabel}.sig` };
}

/** The principal that signed `lockText`; throws SIGNATURE_MISSING, SIGNATURE_UNTRUSTED or SIGNATURE_STALE. */
export async function requireSignature(
  project: Pick<Project, 'lockFile' | 'lockLabel'>,
  lockText: string | null,
  allowedSigners: { file: string; label: string },
  deps: Pick<Deps, 'env'>,
): Promise<string> {
  const sig = signatureFileOf(project);
  const signHint = `have an allowed signer review ${project.lockLabel} and run "mcpm sign"`;
  if (lockText === null) throw new McpmError('SIGNATURE_MISSING', `${project.lockLabel} does not exist, so it carries no signature`, signHint);
  let read;
  try {
    read = readRegularFile(sig.file, { noFollow: true, maxBytes: MAX_SIGNATURE_BYTES });
  } catch (error) {
    if (!(error instanceof FileReadProblem)) throw error;
    throw new McpmError('SIGNATURE_MISSING', `${sig.label} ${error.message}`, signHint, { cause: error });
  }
  if (read === null) throw new McpmError('SIGNATURE_MISSING', `${sig.label} does not exist: ${project.lockLabel} is not signed`, signHint);
  const signers = readRegularFile(allowedSigners.file, { maxBytes: MAX_SIGNATURE_BYTES * 16 });
  if (signers === null) throw new McpmError('USAGE', `${allowedSigners.label}: no such allowed signers file`, 'check the path given to --allowed-signers');
  const check = await checkSignature(lockText, sig.file, allowedSigners.file, deps.env);
  if (check.ok) return check.principal;
  if (check.problem === 'untrusted') {
    throw new McpmError('SIGNATURE_UNTRUSTED', `${sig.label} was not made by a key in ${allowedSigners.label} (${check.reason})`, signHint);
  }
  throw new McpmError(
    'SIGNATURE_STALE',
    `${sig.label} does not match ${project.lockLabel}: the lock changed after it was signed (${check.reason})`,
    `review "git diff" of ${project.lockLabel} since it was signed, then have an allowed signer run "mcpm sign" again`,
  );
}

/** `--allowed-signers FILE`, relative to where mcpm was started. */
export function allowedSignersPath(given: string, deps: Pick<Deps, 'cwd'>): { file: string; label: string } {
  return { file: resolve(deps.cwd, given), label: given };
}
