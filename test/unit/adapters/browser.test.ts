import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { browserCommands, openInBrowser } from '../../../src/adapters/browser.js';

const URL_ = 'http://127.0.0.1:9/authorize?a=1&b=2';

describe('browserCommands', () => {
  it.each<[string, Record<string, string>, NodeJS.Platform, string[][]]>([
    ['$BROWSER, the URL appended', { BROWSER: 'firefox --new-window' }, 'linux', [['firefox', '--new-window', URL_]]],
    ['$BROWSER with %s', { BROWSER: 'open -a Safari %s' }, 'darwin', [['open', '-a', 'Safari', URL_]]],
    ['$BROWSER, a list as xdg-open reads it', { BROWSER: 'w3m:lynx' }, 'linux', [['w3m', URL_], ['lynx', URL_]]],
    ['$BROWSER on Windows, separated by ;', { BROWSER: 'a.exe;b.exe' }, 'win32', [['a.exe', URL_], ['b.exe', URL_]]],
    ['macOS', {}, 'darwin', [['open', URL_]]],
    ['Windows', {}, 'win32', [['rundll32', 'url.dll,FileProtocolHandler', URL_]]],
    ['Linux with a display', { DISPLAY: ':0' }, 'linux', [['xdg-open', URL_]]],
    ['Linux on Wayland', { WAYLAND_DISPLAY: 'wayland-0' }, 'linux', [['xdg-open', URL_]]],
    ['Linux without a display (SSH): none, the URL is printed', {}, 'linux', []],
    ['an empty $BROWSER counts as unset', { BROWSER: '  ' }, 'linux', []],
  ])('%s', (_what, env, platform, expected) => {
    expect(browserCommands(URL_, { env, platform })).toEqual(expected);
  });
});

describe('openInBrowser', () => {
  it('starts the first command that exists, with the URL', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mcpm-browser-'));
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    const out = join(dir, 'opened');
    const script = join(dir, 'b.mjs');
    const { writeFileSync } = await import('node:fs');
    writeFileSync(script, `import { writeFileSync } from 'node:fs'; writeFileSync(${JSON.stringify(out)}, process.argv[2]);`);
    const env = { BROWSER: `/nonexistent/browser:${process.execPath} ${script}`, PATH: process.env.PATH ?? '' };
    expect(await openInBrowser(URL_, { env, platform: 'linux' })).toBe(true);
    for (let i = 0; i < 200; i++) {
      try {
        expect(readFileSync(out, 'utf8')).toBe(URL_);
        return;
      } catch {
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
    }
    throw new Error('the browser command did not run');
  });

  it('is false when nothing can be started', async () => {
    expect(await openInBrowser(URL_, { env: { BROWSER: '/nonexistent/a:/nonexistent/b' }, platform: 'linux' })).toBe(false);
    expect(await openInBrowser(URL_, { env: {}, platform: 'linux' })).toBe(false);
  });
});
