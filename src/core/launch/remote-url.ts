/**
 * A remote server's URL, resolved, as every command that connects to it reads it (`install` and
 * `verify` through the MCP client, `mcpm run`, `mcpm login`): one set of refusals, said alike.
 */
import { McpmError } from '../errors.js';
import { MASKED, shownUrl } from './values.js';

/** For a remote server nothing answered: the status line's default hint for that code is about a command on PATH. */
export const REMOTE_UNREACHABLE_HINT = 'check the URL in the config, and that the server is up and reachable from this machine';

/**
 * `text` parsed, or CONFIG_INVALID prefixed with `where`: not a URL; not http: or https:; or with
 * a user name or password in it, which fetch() refuses to send (as the hosts' SDK transports do),
 * and which an error of fetch() would print whole.
 */
export function parseRemoteUrl(text: string, where: string): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new McpmError('CONFIG_INVALID', `${where}: "url" is not a valid URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new McpmError('CONFIG_INVALID', `${where}: "url" must be http: or https:`);
  // Also a URL mcpm does not show (shownUrl), which may hold a password the parser reads as a host
  // and port (`https://alice:2024#pass@host/mcp`): "cannot connect to" would then quote them.
  if (url.username !== '' || url.password !== '' || shownUrl(text) === MASKED) {
    throw new McpmError('CONFIG_INVALID', `${where}: "url" has a user name or password in it, which HTTP clients refuse to send`, 'send the credential as a header ("headers" in the config) instead');
  }
  return url;
}
