// The loopback authorization server and MCP resource server of test/fixtures/servers/oauth-server.mjs,
// started for a test, with its controls (expire, revoke), its request log and every secret it issued.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const SCRIPT = fileURLToPath(new URL('../fixtures/servers/oauth-server.mjs', import.meta.url));
export const BROWSER_SCRIPT = fileURLToPath(new URL('../fixtures/scripts/browser.mjs', import.meta.url));

export interface RsRequest {
  method: string;
  path: string;
  status: number;
  /** The bearer token sent, or null. */
  token: string | null;
}

export interface OAuthFixture {
  /** The authorization server's origin. */
  as: string;
  /** The resource server's origin: `${rs}/mcp`, `${rs}/other/mcp`, `${rs}/sse`. */
  rs: string;
  expire(): Promise<void>;
  revoke(): Promise<void>;
  secrets(): Promise<string[]>;
  log(): Promise<RsRequest[]>;
  stop(): Promise<void>;
}

export async function startOAuthServer(env: Record<string, string>): Promise<OAuthFixture> {
  const child: ChildProcessWithoutNullStreams = spawn(process.execPath, [SCRIPT], { env: { PATH: process.env.PATH, ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const ports = await new Promise<[string, string]>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`oauth-server did not start: ${stderr}`)), 20_000);
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      out += d;
      const match = /PORTS (\d+) (\d+)\n/.exec(out);
      if (match) {
        clearTimeout(timer);
        resolve([match[1]!, match[2]!]);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`oauth-server exited (${code}): ${stderr}`));
    });
  });
  const as = `http://127.0.0.1:${ports[0]}`;
  const admin = async (path: string, method = 'GET'): Promise<unknown> => {
    const response = await fetch(`${as}/admin/${path}`, { method });
    return response.json();
  };
  return {
    as,
    rs: `http://127.0.0.1:${ports[1]}`,
    expire: async () => void (await admin('expire', 'POST')),
    revoke: async () => void (await admin('revoke', 'POST')),
    secrets: async () => ((await admin('secrets')) as { secrets: string[] }).secrets,
    log: async () => ((await admin('log')) as { rs: RsRequest[] }).rs,
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGKILL');
      await exited;
    },
  };
}

/** The record file mcpm keeps a login of `url` in (the token store's naming). */
export function loginFile(credentials: string, url: string): string {
  return join(credentials, `${createHash('sha256').update(url).digest('hex').slice(0, 32)}.json`);
}

/** Every regular file under `dir` (recursively), except those under `skip`. */
export function filesUnder(dir: string, skip: readonly string[] = []): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (skip.includes(path)) continue;
    const stat = statSync(path);
    if (stat.isDirectory()) out.push(...filesUnder(path, skip));
    else if (stat.isFile()) out.push(path);
  }
  return out;
}

/** The secrets that occur in any of `texts` or in any file under `dirs` (but `skip`): what must be empty. */
export function leakedSecrets(secrets: readonly string[], texts: readonly string[], dirs: readonly string[], skip: readonly string[]): string[] {
  const found = new Set<string>();
  const haystacks = [...texts, ...dirs.flatMap((d) => filesUnder(d, skip)).map((f) => readFileSync(f, 'latin1'))];
  for (const secret of secrets) if (haystacks.some((h) => h.includes(secret))) found.add(secret);
  return [...found];
}
