/**
 * Opening a URL in the user's browser, as git (`git web--browse`) and xdg-open do: `$BROWSER`
 * first, a list of commands separated like PATH, each either containing `%s` (replaced by the
 * URL) or given the URL as its last argument; else the platform's opener (`open` on macOS,
 * `rundll32 url.dll,FileProtocolHandler` on Windows, `xdg-open` where a display is set). On a
 * machine without one (SSH, a container) nothing is opened and the caller prints the URL.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';

export interface BrowserPlace {
  env: Readonly<Record<string, string | undefined>>;
  platform: NodeJS.Platform;
}

/** The commands to try, in order, each as [program, ...args] with the URL in place. */
export function browserCommands(url: string, place: BrowserPlace): string[][] {
  const fromEnv = place.env['BROWSER'];
  if (fromEnv !== undefined && fromEnv.trim() !== '') {
    const separator = place.platform === 'win32' ? ';' : path.posix.delimiter;
    return fromEnv
      .split(separator)
      .map((command) => command.trim().split(/\s+/).filter((word) => word !== ''))
      .filter((words) => words.length > 0)
      .map((words) => (words.some((w) => w.includes('%s')) ? words.map((w) => w.replaceAll('%s', url)) : [...words, url]));
  }
  if (place.platform === 'darwin') return [['open', url]];
  if (place.platform === 'win32') return [['rundll32', 'url.dll,FileProtocolHandler', url]];
  // Without a display xdg-open would start a text browser in this terminal, or fail: print instead.
  if (place.env['DISPLAY'] || place.env['WAYLAND_DISPLAY']) return [['xdg-open', url]];
  return [];
}

/**
 * Starts the first command that can be started, detached (a browser outlives mcpm). True when
 * one started; whether it shows the page is up to it.
 */
export async function openInBrowser(url: string, place: BrowserPlace): Promise<boolean> {
  for (const [program, ...args] of browserCommands(url, place)) {
    const started = await new Promise<boolean>((resolve) => {
      const child = spawn(program!, args, { detached: true, stdio: 'ignore', env: { ...place.env } as NodeJS.ProcessEnv });
      child.once('error', () => resolve(false));
      child.once('spawn', () => {
        child.unref();
        resolve(true);
      });
    });
    if (started) return true;
  }
  return false;
}
