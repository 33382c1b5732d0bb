// Every command's --help: the global options it uses in its own examples are listed, no line is
// wider than 80 columns, and usage errors point at the help of the command that was run.
import stringWidth from 'string-width';
import { describe, expect, it } from 'vitest';
import { mcpm } from './helpers.js';

/** The command paths `mcpm --help` lists, and the subcommands of those that have them. */
async function commandPaths(): Promise<string[][]> {
  const top = await mcpm(['--help']);
  expect(top.status).toBe(0);
  const section = top.stdout.slice(top.stdout.indexOf('Commands:'), top.stdout.indexOf('Examples:'));
  const names = [...section.matchAll(/^ {2}([a-z]+)\b/gm)].map((m) => m[1]!);
  expect(names).toEqual(expect.arrayContaining(['install', 'verify', 'diff', 'approve', 'run', 'guard', 'ls', 'hook', 'help']));
  const paths: string[][] = [[]];
  for (const name of names) {
    paths.push([name]);
    const help = await mcpm([name, '--help']);
    const sub = help.stdout.indexOf('Commands:');
    if (sub < 0) continue;
    const end = help.stdout.indexOf('\n\n', sub);
    for (const m of help.stdout.slice(sub, end < 0 ? undefined : end).matchAll(/^ {2}([a-z]+)\b/gm)) paths.push([name, m[1]!]);
  }
  return paths;
}

/** Options a help text lists (`-C, --cwd <dir>` gives -C and --cwd; `--no-color` gives --no-color). */
function listedOptions(help: string): Set<string> {
  const out = new Set<string>();
  for (const m of help.matchAll(/^ {2}(-[^\s,]+)(?:, (--[^\s]+))?/gm)) {
    out.add(m[1]!);
    if (m[2]) out.add(m[2]);
  }
  return out;
}

// About thirty runs of the CLI (fast alone, slow on a machine shared with other work).
describe('help', { timeout: 180_000 }, () => {
  it('lists the options each command’s examples use, within 80 columns, and every command has examples', async () => {
    const paths = await commandPaths();
    expect(paths).toContainEqual(['hook', 'install']);
    for (const path of paths) {
      const help = await mcpm([...path, '--help']);
      const label = `mcpm ${path.join(' ')} --help`;
      expect(help.status, label).toBe(0);
      for (const line of help.stdout.split('\n')) expect(stringWidth(line), `${label}: ${line}`).toBeLessThanOrEqual(80);
      const listed = listedOptions(help.stdout);
      if (path.length === 0) continue; // the overview's examples use the options of other commands
      expect(help.stdout, label).toContain('Global Options:');
      // Every command has examples, as the README says.
      expect(help.stdout, label).toContain('\nExamples:\n');
      for (const example of help.stdout.matchAll(/^ {2}\$ mcpm (.*)$/gm)) {
        const used = [...example[1]!.replace(/#.*$/, '').matchAll(/(?<=^|\s)(--?[A-Za-z][\w-]*)/g)].map((m) => m[1]!);
        for (const option of used) expect(listed, `${label}: "${option}" of "$ mcpm ${example[1]}"`).toContain(option);
      }
    }
  });

  it('points a usage error at the help of the command that was run', async () => {
    for (const [args, help] of [
      [['verify', '--bogus'], 'mcpm verify --help'],
      [['hook', 'install', '--bogus'], 'mcpm hook install --help'],
      [['ls', '--bogus'], 'mcpm ls --help'],
      [['--bogus'], 'mcpm --help'],
    ] as const) {
      const result = await mcpm([...args]);
      expect(result.status, args.join(' ')).toBe(2);
      expect(result.stderr).toContain(`hint: run "${help}" for usage`);
    }
  });

  it('help NAME shows that command’s help; an unknown one is an error', async () => {
    const known = await mcpm(['help', 'hook', 'install']);
    expect(known.status).toBe(0);
    expect(known.stdout).toMatch(/^Usage: mcpm hook install/);
    const unknown = await mcpm(['help', 'nope']);
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toContain("unknown command 'nope'");
    expect(unknown.stdout).toBe('');
    const nested = await mcpm(['help', 'hook', 'nope']);
    expect(nested.status).toBe(2);
    expect(nested.stderr).toContain("unknown command 'hook nope'");
  });
});
