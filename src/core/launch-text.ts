/**
 * The one way a launch definition is printed: ls, diff, update, the review screen. Two launches
 * that differ print differently, so a `locked:` and a `configured:` line never look the same for
 * a launch that changed.
 */
import type { LaunchSpec } from './launch/identity.js';
import { sanitize, trusted, type SafeText } from './sanitize.js';
import { shownShellWord } from './shell-word.js';
import { MASKED, shownUrl, userInfoOf } from './launch/values.js';

/**
 * One line: the command and its arguments as shell words (`--mode safe` is two arguments,
 * `'--mode safe'` one, `''` an empty one), then the working directory, the env file and the
 * variable names (with their values' stored forms); a remote server as its transport and URL (its
 * query values and user information masked, and their stored forms after it), then the header names.
 */
export function describeLaunch(launch: LaunchSpec): SafeText {
  let text: string;
  if (launch.transport === 'stdio') {
    text = [launch.command, ...launch.args].map(word).join(' ');
    if (launch.cwd !== undefined) text += `  (cwd ${word(launch.cwd)})`;
    if (launch.envFile !== undefined) text += `  (envFile ${word(launch.envFile)})`;
    if (launch.hostSettings !== undefined) text += `  (host settings ${word(launch.hostSettings)})`;
    if (launch.envNames.length > 0) text += `  (env ${named(launch.envNames, launch.envValues)})`;
  } else {
    // Masked as the lock writes it: a key in the URL's query is shown by its stored form only. A
    // user name or password is shown by neither (it has no stored form: mcpm connects with none),
    // so two launches that differ only there print alike; both are refused where mcpm connects.
    const shown = shownUrl(launch.url);
    text = `${launch.transport} ${word(shown)}`;
    if (shown === MASKED) text += '  (not shown: the URL may hold a user name or password, which mcpm does not connect with)';
    else if (userInfoOf(launch.url) !== undefined) text += '  (a user name or password in the URL: mcpm does not connect with one)';
    if (launch.urlValues !== undefined) text += `  (URL values ${named(Object.keys(launch.urlValues).sort(), launch.urlValues)})`;
    if (launch.headersHelper !== undefined) text += `  (headersHelper ${word(launch.headersHelper)})`;
    if (launch.signIn !== undefined) text += `  (sign-in ${word(launch.signIn)})`;
    if (launch.hostSettings !== undefined) text += `  (host settings ${word(launch.hostSettings)})`;
    if (launch.headerNames.length > 0) text += `  (headers ${named(launch.headerNames, launch.headerValues)})`;
  }
  return trusted(text);
}

/**
 * The names, each with its value's stored form when the launch has them: a reference as written
 * (`API_KEY=${API_KEY}`), a hashed value as `#` and the start of its digest (`MODE=#fpATLGG`), so
 * that a changed value shows as a changed line without the value ever being known.
 */
function named(names: readonly string[], values: Record<string, string> | undefined): string {
  return names
    .map((name) => {
      const stored = values?.[name];
      if (stored === undefined) return word(name);
      const digest = stored.startsWith('scrypt:') ? stored.slice(stored.lastIndexOf(':') + 1, stored.lastIndexOf(':') + 9) : undefined;
      return `${word(name)}=${digest === undefined ? word(stored) : `#${digest}`}`;
    })
    .join(', ');
}

/**
 * One argument, escaped as an identifier so that a homoglyph in a package name shows
 * (`@acme/n\u{43E}tes`) and a control character cannot break the line, except that its spaces stay
 * spaces (a long run of them is counted, `⟨12 spaces⟩`, as everywhere); then quoted as a shell word,
 * so the line reads as a shell would split it. Both steps keep distinct arguments distinct.
 */
function word(text: string): string {
  const escaped = text
    .split(/( +)/)
    .map((piece, i) => (i % 2 === 0 ? sanitize(piece, { identifier: true }) : sanitize(piece)))
    .join('');
  return shownShellWord(escaped);
}
