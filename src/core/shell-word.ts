/**
 * A string as one POSIX shell word, for the commands mcpm suggests (`run "mcpm diff NAME"`): server
 * names and paths come from configs and may hold spaces or quotes. Left bare when that is safe.
 * The result still goes through `sanitize` wherever it is printed.
 */
export function shellWord(text: string): string {
  return /^[A-Za-z0-9_.@/:=+-]+$/.test(text) ? text : `'${text.replace(/'/g, `'\\''`)}'`;
}
