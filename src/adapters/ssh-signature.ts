/**
 * Detached SSH signatures over the lock's bytes, made and checked by OpenSSH's own `ssh-keygen -Y`
 * (OpenSSH ≥ 8.2), the mechanism git uses for SSH-signed commits. The namespace `mcp.lock` keeps
 * a signature made for anything else (a commit, a file) from being accepted for a lock, and one
 * made for a lock from being accepted elsewhere.
 */
import { createRequire } from 'node:module';
import { McpmError } from '../core/errors.js';

export const SIGNATURE_NAMESPACE = 'mcp.lock';

/** ssh-keygen answers in milliseconds; a key on a hardware token may wait for a touch. */
const SSH_KEYGEN_TIMEOUT_MS = 120_000;

interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs ssh-keygen with `input` on stdin. No shell: principals and paths are single arguments. */
function runSshKeygen(args: string[], input: string | Uint8Array, env: Readonly<Record<string, string | undefined>>): Promise<Ran> {
  return new Promise((resolve, reject) => {
    // Loaded here, not with the module: `verify --offline` bundles this file and rarely checks a signature,
    // and node:child_process brings node:net and more with it.
    const { spawn } = createRequire(import.meta.url)('node:child_process') as typeof import('node:child_process');
    const child = spawn('ssh-keygen', args, { env: env as NodeJS.ProcessEnv, stdio: ['pipe', 'pipe', 'pipe'], timeout: SSH_KEYGEN_TIMEOUT_MS });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', (error: NodeJS.ErrnoException) => {
      reject(
        error.code === 'ENOENT'
          ? new McpmError('SIGNING_FAILED', 'ssh-keygen was not found on the PATH', 'install OpenSSH 8.2 or newer (it signs and checks mcp.lock.sig)', { cause: error })
          : error,
      );
    });
    // A child that exits before reading all of stdin (a bad key) closes the pipe: its status says why.
    child.stdin.on('error', () => undefined);
    child.stdin.end(input);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** The armoured signature (`-----BEGIN SSH SIGNATURE-----`) of `data`, made with the key in `keyFile` (or its agent, for a `.pub`). */
export async function signBytes(data: string, keyFile: string, env: Readonly<Record<string, string | undefined>>): Promise<string> {
  const ran = await runSshKeygen(['-Y', 'sign', '-f', keyFile, '-n', SIGNATURE_NAMESPACE], data, env);
  if (ran.code !== 0 || !ran.stdout.startsWith('-----BEGIN SSH SIGNATURE-----')) {
    throw new McpmError('SIGNING_FAILED', `ssh-keygen could not sign with ${keyFile}: ${lastLine(ran.stderr) || `exit status ${ran.code}`}`, 'check the key with "ssh-keygen -y -f KEY", or give another with --key');
  }
  return ran.stdout;
}

export type SignatureCheck =
  | { ok: true; principal: string }
  /** `untrusted`: no key of the allowed signers made it; `stale`: a trusted key signed other bytes (the lock changed since). */
  | { ok: false; problem: 'untrusted' | 'stale'; reason: string };

/**
 * Checks a detached signature over `data` against an allowed_signers file (git's
 * `gpg.ssh.allowedSignersFile` format: `principal[,principal…] [options] keytype key`), as git
 * does: find the principals the file gives the signing key (which honours `namespaces=` and
 * validity options), then verify the bytes for one of them.
 */
export async function checkSignature(data: string, signatureFile: string, allowedSignersFile: string, env: Readonly<Record<string, string | undefined>>): Promise<SignatureCheck> {
  const found = await runSshKeygen(['-Y', 'find-principals', '-s', signatureFile, '-f', allowedSignersFile], '', env);
  const principals = found.code === 0 ? found.stdout.split('\n').map((l) => l.trim()).filter((l) => l !== '') : [];
  if (principals.length === 0) {
    return { ok: false, problem: 'untrusted', reason: lastLine(found.stderr) || 'the signing key is not in the allowed signers' };
  }
  let reason = '';
  for (const principal of principals) {
    const ran = await runSshKeygen(['-Y', 'verify', '-f', allowedSignersFile, '-I', principal, '-n', SIGNATURE_NAMESPACE, '-s', signatureFile], data, env);
    if (ran.code === 0) return { ok: true, principal };
    reason = lastLine(ran.stderr) || lastLine(ran.stdout);
  }
  return { ok: false, problem: 'stale', reason: reason || 'the signature does not match the lock' };
}

function lastLine(text: string): string {
  return text.trim().split('\n').pop()?.trim() ?? '';
}
