/**
 * The command line: global options, subcommands, and the one place that turns errors into exit
 * statuses. Commands are imported lazily so `--help` and `verify --offline` never load the SDK,
 * execa, ink or react (about 0.5 s on Node 20).
 */
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { createRequire } from 'node:module';
import { DENY_KINDS, parseDenyList, type DenyKind } from './core/deny.js';
import type { ExitStatus } from './core/errors.js';
import { POLICIES } from './guard/policy.js';
import type { Deps } from './deps.js';
import { inContext, runAsProcess, type UsageProblem } from './entry.js';
import { assertDirectory, DEFAULT_CONCURRENCY, DEFAULT_TIMEOUT_MS, type GlobalOptions } from './app/options.js';
import { writeJson } from './render/json.js';

const pkg = createRequire(import.meta.url)('../package.json') as { name: string; version: string };

function positiveInt(label: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isSafeInteger(n) || n < 1) throw new InvalidArgumentError(`${label} must be a whole number ≥ 1.`);
    return n;
  };
}

function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

/** `--deny sampling,roots` (repeatable): the kinds so far, in a fixed order. */
function denyKinds(value: string, previous: DenyKind[] | undefined): DenyKind[] {
  const parsed = parseDenyList([...(previous ?? []), value]);
  if ('invalid' in parsed) throw new InvalidArgumentError(`${JSON.stringify(parsed.invalid)} is not one of ${DENY_KINDS.join(', ')} (comma-separated).`);
  return parsed.kinds;
}

type Action = (deps: Deps) => Promise<ExitStatus>;

const HELP_WIDTH = 80;

/**
 * The module of a command that contacts servers, loaded with the young generation kept small
 * (adapters/young-generation.ts) from before its own modules: they are kept to the command's end,
 * as the SDK's are, and loading them first grew it (to 8 MiB in most runs of a first lock).
 */
async function contacting<T>(load: () => Promise<T>): Promise<T> {
  (await import('./adapters/young-generation.js')).keepYoungGenerationSmall();
  return load();
}

function buildProgram(run: (action: Action) => Promise<void>, json: boolean): Command {
  const program = new Command();
  // `--version --json`: one JSON object like every other --json output. Registered before
  // .version(), so it answers first and commander's text listener never runs.
  program.on('option:version', () => {
    if (!json) return;
    writeJson(process.stdout, { name: pkg.name, version: pkg.version, exitStatus: 0 });
    throw new CommanderError(0, 'commander.version', pkg.version);
  });
  // Set before any subcommand is added: subcommands copy these settings when they are created, so
  // a usage error anywhere ends in reportError (exit 2), never in commander's own exit(1).
  program.exitOverride();
  program.configureOutput({
    writeOut: (s) => process.stdout.write(s),
    writeErr: (s) => process.stderr.write(s),
    // Help wraps at 80 columns, or the terminal's width when it is narrower.
    getOutHelpWidth: () => Math.min(HELP_WIDTH, process.stdout.columns || HELP_WIDTH),
    getErrHelpWidth: () => Math.min(HELP_WIDTH, process.stderr.columns || HELP_WIDTH),
    // A usage error reads as every other error of mcpm's: `mcpm: <message>`, then `hint: …`.
    outputError: (text, write) => write(usageErrorText(text)),
  });
  program
    .name('mcpm')
    .description('A lockfile for MCP servers: snapshot everything a model can see, then catch any change.')
    .version(`${pkg.name} ${pkg.version}`, '-V, --version', 'print the package name and version')
    .option('-C, --cwd <dir>', 'run as if started in <dir>')
    .option('--config <file>', 'read this MCP config instead of discovering (repeatable)', collect)
    .option('--host <name>', 'read this host\'s user-level config instead of the project\'s (claude-code, claude-desktop, cursor, vscode, windsurf, gemini, codex, zed, claude-code-plugins, cline, continue)')
    .option('--lockfile <file>', 'lockfile path (default: mcp.lock; with --host: ~/.config/mcpm/<host>.lock)')
    .option('--json', 'machine output on stdout (human text goes to stderr)')
    .option('--timeout <ms>', 'per server, from spawn to the last page', positiveInt('--timeout'), DEFAULT_TIMEOUT_MS)
    .option('--concurrency <n>', 'servers contacted at once', positiveInt('--concurrency'), DEFAULT_CONCURRENCY)
    .option('--no-color', 'no colour (also NO_COLOR; FORCE_COLOR=1 forces colour)')
    .option('-q, --quiet', 'print only problems')
    .option('-v, --verbose', 'print more detail')
    .showHelpAfterError('hint: run "mcpm --help" for usage')
    .addHelpText(
      'after',
      `
Examples:
  $ mcpm install                 lock every server of .mcp.json into mcp.lock
  $ mcpm verify                  reconnect and fail (exit 1) on any drift
  $ mcpm verify --offline        fast pre-commit check: config and lock agree
  $ mcpm diff notes              show what changed on server "notes"
  $ mcpm approve                 review drifted servers in a terminal UI

Exit status: 0 ok · 1 drift or servers missing/stale
             2 usage, config or lockfile error · 3 a server could not be reached
             70 internal error · 130 interrupted`,
    );

  const globals = (cmd: Command): GlobalOptions => {
    const opts = cmd.optsWithGlobals() as GlobalOptions & { format?: string };
    if (opts.json) opts.format = 'json';
    return opts as GlobalOptions;
  };
  const formatOption = () =>
    new Option('--format <format>', 'output format').choices(['text', 'json', 'sarif']).default(undefined);

  program
    .command('install')
    .argument('[names...]', 'only these servers')
    .description('lock servers not yet in the lock, verify locked ones, prune unconfigured entries')
    .option('--frozen', 'change nothing; exit 1 if the lock would change (CI)')
    .option('--allowlist <source>', 'the organisation\'s allow-list: file, directory or git+URL#REF:PATH (default: env MCPM_ALLOWLIST)')
    .option('--strict', 'high-severity findings on newly locked servers fail the run')
    .option('--base <ref>', 'trusted git ref of the lock: entries new or changed since are unreviewed (default on CI: GITHUB_BASE_REF, CI_MERGE_REQUEST_TARGET_BRANCH_NAME)')
    .addHelpText('after', '\nExamples:\n  $ mcpm install\n  $ mcpm install notes --json\n  $ mcpm install --frozen     # in CI\n  $ mcpm install --frozen --base origin/main')
    .action((names: string[], _o, cmd: Command) =>
      run(async (deps) => {
        const { install } = await contacting(() => import('./commands/install.js'));
        return install(names, { ...globals(cmd), ...cmd.opts() }, deps);
      }),
    );

  program
    .command('verify')
    .argument('[names...]', 'only these servers')
    .description('reconnect to every locked server and fail on any drift; never writes')
    .option('--offline', 'start no server: check config against lock and the lock against itself')
    .option('--allowlist <source>', 'the organisation\'s allow-list: file, directory or git+URL#REF:PATH (default: env MCPM_ALLOWLIST)')
    .option('--require-signature', 'fail unless mcp.lock.sig is a good signature of the lock by an allowed signer')
    .option('--allowed-signers <file>', 'git\'s allowed_signers format (default: the allow-list\'s)')
    .option('--otlp <endpoint>', 'send results as OTLP logs (default: OTEL_EXPORTER_OTLP_ENDPOINT)')
    .option('--strict', 'warnings (such as an unpinned package) fail the run')
    .option('--base <ref>', 'trusted git ref of the lock: entries new or changed since are unreviewed (default on CI: GITHUB_BASE_REF, CI_MERGE_REQUEST_TARGET_BRANCH_NAME)')
    .addOption(formatOption())
    .addHelpText(
      'after',
      '\nExamples:\n  $ mcpm verify\n  $ mcpm verify --offline    # in a pre-commit hook\n  $ mcpm verify --json notes\n' +
        '  $ mcpm verify --allowlist git+https://git.example.com/sec/mcp.git#main:mcp\n' +
        '  $ mcpm verify --offline --require-signature --allowed-signers signers\n' +
        '  $ mcpm verify --offline --base origin/main --format sarif   # in CI',
    )
    .action((names: string[], _o, cmd: Command) =>
      run(async (deps) => {
        const { verify } = cmd.opts()['offline'] === true ? await import('./commands/verify.js') : await contacting(() => import('./commands/verify.js'));
        return verify(names, { ...globals(cmd), ...cmd.opts() }, deps);
      }),
    );

  program
    .command('diff')
    .argument('[names...]', 'only these servers')
    .description('semantic diff of the lock against the live servers, with findings')
    .option('--strict', 'warnings fail the run')
    .option('--allowlist <source>', 'the organisation\'s allow-list: file, directory or git+URL#REF:PATH (default: env MCPM_ALLOWLIST)')
    .option('--base <ref>', 'trusted git ref of the lock: entries new or changed since are unreviewed (default on CI: GITHUB_BASE_REF, CI_MERGE_REQUEST_TARGET_BRANCH_NAME)')
    .addOption(formatOption())
    .addHelpText('after', '\nExamples:\n  $ mcpm diff\n  $ mcpm diff notes --json\n  $ mcpm diff --base origin/main')
    .action((names: string[], _o, cmd: Command) =>
      run(async (deps) => {
        const { diff } = await contacting(() => import('./commands/diff.js'));
        return diff(names, { ...globals(cmd), ...cmd.opts() }, deps);
      }),
    );

  program
    .command('approve')
    .argument('[names...]', 'only these servers')
    .description('review drifted, new and re-configured servers in a terminal and lock what you approve')
    .option('--yes', 'approve the named servers without a terminal, and print what was approved')
    .option('--all', 'with --yes and no names: every drifted, new or re-configured server')
    .option('--accept-high', 'with --yes: also approve servers with high findings')
    .option('--accept-field <pattern>', 'from now on accept changes to this field (repeatable)', collect)
    .option('--allowlist <source>', 'the organisation\'s allow-list: file, directory or git+URL#REF:PATH (default: env MCPM_ALLOWLIST)')
    .addHelpText(
      'after',
      '\nKeys: y approve · n reject · ↑↓/jk scroll · tab/←→ item · space toggle item\n      r accept the item\'s fields from now on · ? help · q quit\n' +
        '\nWithout a terminal, --yes needs server names or --all, and a server with high\nfindings is approved only with --accept-high.\n' +
        '\nExamples:\n  $ mcpm approve\n  $ mcpm approve notes\n  $ mcpm approve --yes notes --json   # no terminal: prints the outcome\n  $ mcpm approve --yes --all\n  $ mcpm approve --yes notes --accept-high\n' +
        "  $ mcpm approve --yes notes --accept-field '/tools/*/title'",
    )
    .action((names: string[], _o, cmd: Command) =>
      run(async (deps) => {
        const { approve } = await contacting(() => import('./commands/approve.js'));
        return approve(names, { ...globals(cmd), ...cmd.opts() }, deps);
      }),
    );

  program
    .command('run')
    .argument('<name>', 'the configured, locked server to start')
    .description('launched by a host in place of the server: starts it only if locked, keeps drifted definitions from the host')
    .addOption(new Option('--policy <policy>', 'on drift: block the drifted items, or refuse (end the session)').choices(POLICIES).default('block'))
    .option('--audit-log <file>', 'append one JSON line per tool call (default: env MCPM_AUDIT_LOG)')
    .option('--redact <pattern>', 'also redact argument values under keys matching this regex (repeatable)', collect)
    .option('--deny <kinds>', `answer these server-initiated requests with an error instead of passing them to the host: ${DENY_KINDS.join(', ')} (comma-separated)`, denyKinds)
    .option('--otlp <endpoint>', 'send the guard\'s events as OTLP logs (default: OTEL_EXPORTER_OTLP_ENDPOINT)')
    .option('--allowlist <source>', 'the organisation\'s allow-list: file, directory or git+URL#REF:PATH (default: env MCPM_ALLOWLIST)')
    .addHelpText(
      'after',
      '\nIn a host config, replace "command": "npx", "args": ["-y", "pkg"] with\n  "command": "mcpm", "args": ["run", "-C", "/path/to/project", "NAME"]\n' +
        '\nExamples:\n  $ mcpm run notes\n  $ mcpm run -C ~/proj notes --audit-log ~/.mcpm/audit.jsonl\n  $ mcpm run notes --policy refuse\n  $ mcpm run notes --deny sampling,elicitation,roots',
    )
    .action((name: string, _o, cmd: Command) =>
      run(async (deps) => {
        const { run: runServer } = await import('./commands/run.js');
        return runServer(name, { ...globals(cmd), ...cmd.opts() }, deps);
      }),
    );

  program
    .command('guard')
    .argument('[names...]', 'only these servers')
    .description('rewrite a host config so each server launches through "mcpm run"; --undo restores it')
    .option('--undo', 'put the original entries back and remove the sidecar')
    .option('--allow-tracked', 'guard a config that git tracks (its entries get this machine\'s paths)')
    .addHelpText(
      'after',
      '\nNeeds --host NAME (the host\'s user-level config) or --config FILE. The original\nentries are kept in ~/.local/state/mcpm/guard ($XDG_STATE_HOME, mode 0600),\nnever beside the config. A config that git tracks is refused unless\n--allow-tracked is given. See docs/hosts.md.\n' +
        '\nExamples:\n  $ mcpm install --host claude-desktop\n  $ mcpm guard --host claude-desktop\n  $ mcpm guard --host claude-desktop --undo\n  $ mcpm guard --config ~/.cursor/mcp.json --lockfile ~/.config/mcpm/cursor.lock',
    )
    .action((names: string[], _o, cmd: Command) =>
      run(async (deps) => {
        const { guard } = await import('./commands/guard.js');
        return guard(names, { ...globals(cmd), ...cmd.opts() }, deps);
      }),
    );

  program
    .command('login')
    .argument('[name]', 'the remote server (a "url" entry of the config) to sign in to')
    .description('sign in to a remote server with OAuth and keep its tokens for every other command')
    .option('--list', 'list the stored logins')
    .option('--no-browser', 'only print the sign-in URL (e.g. over SSH)')
    .addHelpText(
      'after',
      '\nOpens $BROWSER (else the system browser) at the server\'s sign-in page; the\n' +
        'browser comes back to a listener on 127.0.0.1. Tokens go to the OS keychain,\n' +
        'else to a private file in ~/.config/mcpm/credentials.\n' +
        '\nExamples:\n  $ mcpm login notes\n  $ mcpm login notes --no-browser\n  $ mcpm login --list\n  $ mcpm --host cursor login linear',
    )
    .action((name: string | undefined, _o, cmd: Command) =>
      run(async (deps) => {
        const { login } = await import('./commands/login.js');
        return login(name, { ...globals(cmd), ...cmd.opts() }, deps);
      }),
    );

  program
    .command('logout')
    .argument('<name>', 'the server whose stored login is deleted')
    .description('delete the stored login of a remote server')
    .addHelpText('after', '\nExamples:\n  $ mcpm logout notes')
    .action((name: string, _o, cmd: Command) =>
      run(async (deps) => {
        const { logout } = await import('./commands/login.js');
        return logout(name, globals(cmd), deps);
      }),
    );

  program
    .command('ls')
    .argument('[names...]', 'only these servers')
    .description('list configured and locked servers with their states; starts nothing')
    .option('--hosts', 'show which host configs were found where')
    .addHelpText('after', '\nExamples:\n  $ mcpm ls\n  $ mcpm ls notes --json\n  $ mcpm ls --hosts')
    .action((names: string[], _o, cmd: Command) =>
      run(async (deps) => {
        if (cmd.opts<{ hosts?: boolean }>().hosts) {
          if (names.length > 0) cmd.error('error: ls --hosts lists host configs and takes no server names', { exitCode: 2 });
          const { hostsReport } = await import('./commands/hosts-report.js');
          return hostsReport(globals(cmd), deps);
        }
        const { ls } = await import('./commands/ls.js');
        return ls(names, globals(cmd), deps);
      }),
    );

  program
    .command('accept')
    .argument('<name>', 'a locked server')
    .description("show or edit a locked server's accept rules, optional items and tombstones")
    .option('--field <pattern>', 'accept changes to this field without review (repeatable)', collect)
    .option('--remove-field <pattern>', 'drop an accept rule (repeatable)', collect)
    .option('--additive <mode>', 'new items: drift (default) or quarantine')
    .option('--server-version <mode>', 'serverInfo.version alone: accept (default) or review')
    .option('--optional <item>', 'absent is not drift: tool:NAME, prompt:NAME, … (repeatable)', collect)
    .option('--required <item>', 'undo --optional (repeatable)', collect)
    .option('--prune <item>', 'forget the tombstone of a removed item (repeatable)', collect)
    .option('--prune-all', 'forget every tombstone of this server')
    .addHelpText(
      'after',
      '\nPatterns are JSON pointers: * is one segment, ** any number. Descriptions,\n' +
        'instructions, schemas and annotation hints are never accepted\n(docs/lockfile.md).\n' +
        '\nExamples:\n  $ mcpm accept notes\n' +
        "  $ mcpm accept notes --field '/tools/*/title' --field /serverInfo/websiteUrl\n" +
        '  $ mcpm accept notes --additive quarantine --optional tool:search_drive\n' +
        '  $ mcpm accept notes --prune tool:old_search --json',
    )
    .action((name: string, _o, cmd: Command) =>
      run(async (deps) => {
        const { accept } = await import('./commands/accept.js');
        return accept(name, { ...globals(cmd), ...cmd.opts() }, deps);
      }),
    );

  program
    .command('pin')
    .argument('[names...]', 'only these servers')
    .description('write the locked package versions into the config (npx pkg → npx pkg@1.2.3)')
    .addHelpText(
      'after',
      '\nOnly the one args element changes in the config file; the lock\'s launch follows,\nsince the version written is the one the lock already records.\n' +
        '\nExamples:\n  $ mcpm pin\n  $ mcpm pin notes --json',
    )
    .action((names: string[], _o, cmd: Command) =>
      run(async (deps) => {
        const { pin } = await import('./commands/pin.js');
        return pin(names, { ...globals(cmd), ...cmd.opts() }, deps);
      }),
    );

  program
    .command('outdated')
    .argument('[names...]', 'only these servers')
    .description('list newer versions of the npm packages behind locked servers (patch, minor, major)')
    .addHelpText('after', '\nExamples:\n  $ mcpm outdated\n  $ mcpm outdated --json')
    .action((names: string[], _o, cmd: Command) =>
      run(async (deps) => {
        const { outdated } = await import('./commands/outdated.js');
        return outdated(names, { ...globals(cmd), ...cmd.opts() }, deps);
      }),
    );

  program
    .command('update')
    .argument('<name>', 'the locked server to move to another version')
    .description('bump the package in the config, re-snapshot, show the diff, and lock it once approved')
    .option('--to <version>', 'npm: a version, range or dist-tag (default: latest); PyPI: an exact version')
    .option('--yes', 'approve without a terminal: write the config and the lock, and print the diff')
    .option('--accept-high', 'with --yes: also take a version with high findings')
    .option('--allowlist <source>', 'the organisation\'s allow-list: file, directory or git+URL#REF:PATH (default: env MCPM_ALLOWLIST)')
    .addHelpText(
      'after',
      '\nWithout --yes, the new version is reviewed in a terminal, on the screen of\n"mcpm approve".\n' +
        '\nExamples:\n  $ mcpm update notes\n  $ mcpm update notes --to 1.5.0\n  $ mcpm update notes --to ^1 --yes --json',
    )
    .action((name: string, _o, cmd: Command) =>
      run(async (deps) => {
        const { update } = await contacting(() => import('./commands/update.js'));
        return update(name, { ...globals(cmd), ...cmd.opts() }, deps);
      }),
    );

  program
    .command('sign')
    .description('sign the lock with your SSH key (ssh-keygen -Y sign): writes mcp.lock.sig')
    .option('--key <file>', 'private key, or a public key held by ssh-agent (default: ~/.ssh/id_ed25519, id_ecdsa, id_rsa)')
    .addHelpText(
      'after',
      '\nThe signature covers the lock\'s exact bytes (namespace "mcp.lock"); anyone with\nthe allowed signers checks it with "mcpm verify --require-signature".\n' +
        '\nExamples:\n  $ mcpm sign\n  $ mcpm sign --key ~/.ssh/id_ed25519\n  $ git add mcp.lock mcp.lock.sig',
    )
    .action((_o, cmd: Command) =>
      run(async (deps) => {
        const { sign } = await import('./commands/sign.js');
        return sign({ ...globals(cmd), ...cmd.opts() }, deps);
      }),
    );

  program
    .command('export')
    .argument('<host>', 'claude-code, vscode or copilot')
    .description('write the lock as the host\'s own managed allow-list, so the host refuses the rest')
    .option('--project', 'claude-code: enabledMcpjsonServers for .claude/settings.json')
    .option('--out <file>', 'merge into this settings file (other keys kept) instead of printing')
    .addHelpText(
      'after',
      '\nclaude-code: managed-settings.json (allowedMcpServers, managed list only)\n' +
        'copilot, vscode: GitHub Copilot\'s enterprise managed-settings.json\n' +
        'Where each file goes: docs/org.md.\n' +
        '\nExamples:\n  $ mcpm export claude-code > managed-settings.json\n' +
        '  $ sudo mcpm export claude-code --out /etc/claude-code/managed-settings.json\n' +
        '  $ mcpm export claude-code --project --out .claude/settings.json\n  $ mcpm export copilot',
    )
    .action((host: string, _o, cmd: Command) =>
      run(async (deps) => {
        const { exportHost } = await import('./commands/export.js');
        return exportHost(host, { ...globals(cmd), ...cmd.opts() }, deps);
      }),
    );

  const hook = program
    .command('hook')
    .description('git hooks that run mcpm')
    .addHelpText('after', '\nExamples:\n  $ mcpm hook install\n  $ mcpm hook uninstall -C packages/app');
  hook
    .command('install')
    .description('install a git pre-commit hook that runs "mcpm verify --offline" when an MCP config or the lock is staged')
    .addHelpText(
      'after',
      '\nOne hook checks every project it was installed for (a monorepo: run it with -C\nfor each). Honours core.hooksPath; an existing pre-commit hook is kept as\npre-commit.mcpm-chained and runs first.\n' +
        'Husky, lefthook, pre-commit and CI: docs/ci-and-hooks.md.\n' +
        '\nExamples:\n  $ mcpm hook install\n  $ mcpm hook install -C packages/app\n  $ mcpm hook install -C packages/web',
    )
    .action((_o, cmd: Command) =>
      run(async (deps) => {
        const { hookInstall } = await import('./commands/hook.js');
        return hookInstall({ ...globals(cmd), ...cmd.opts() }, deps);
      }),
    );
  hook
    .command('uninstall')
    .description('stop the pre-commit hook checking this project (-C); the last one removes the hook')
    .option('--all', 'stop checking every project: remove the hook')
    .addHelpText(
      'after',
      '\nA hook that was there before mcpm\'s (pre-commit.mcpm-chained) becomes pre-commit\nagain.\n' +
        '\nExamples:\n  $ mcpm hook uninstall\n  $ mcpm hook uninstall -C packages/web\n  $ mcpm hook uninstall --all',
    )
    .action((_o, cmd: Command) =>
      run(async (deps) => {
        const { hookUninstall } = await import('./commands/hook.js');
        return hookUninstall({ ...globals(cmd), ...cmd.opts() }, deps);
      }),
    );

  program.helpCommand(false);
  hook.helpCommand(false);
  program
    .command('help')
    .argument('[command...]', 'a command, such as "install" or "hook install"')
    .description('display help for a command')
    .addHelpText('after', '\nExamples:\n  $ mcpm help verify\n  $ mcpm help hook install')
    .action((path: string[]) => {
      let command = program;
      for (const [i, name] of path.entries()) {
        const next = command.commands.find((c) => c.name() === name);
        if (!next) return program.error(`error: unknown command '${path.slice(0, i + 1).join(' ')}'`, { exitCode: 2, code: 'commander.unknownCommand' });
        command = next;
      }
      command.help();
    });
  for (const command of program.commands) explainHelp(command, ['mcpm']);

  return program;
}

/**
 * Every command's help lists the global options too (its examples use -C, --json, --host, …), and
 * a usage error names that command's own --help.
 */
function explainHelp(command: Command, parents: string[]): void {
  const path = [...parents, command.name()];
  command.configureHelp({ showGlobalOptions: true });
  command.showHelpAfterError(`hint: run "${path.join(' ')} --help" for usage`);
  for (const sub of command.commands) explainHelp(sub, path);
}

/** Runs the CLI and returns the exit status; never calls process.exit, so output is flushed first. */
export function main(argv: string[]): Promise<ExitStatus> {
  const args = argv.slice(2);
  let program: Command | undefined;
  let command: Command | undefined;
  // Not for `mcpm run`: its stdout belongs to the host, which reads only JSON-RPC there.
  const json = () => jsonRequested(args) && command?.name() !== 'run';
  return runAsProcess(
    async (deps) => {
      let status: ExitStatus = 0;
      program = buildProgram(async (action) => {
        const options = command!.optsWithGlobals<GlobalOptions>();
        try {
          // Checked here, before any command reads a file: `-C typo` is a usage error, not "no config found".
          if (options.cwd !== undefined) assertDirectory(options.cwd, deps.cwd);
          status = await action(deps);
        } catch (error) {
          throw inContext(error, options);
        }
      }, jsonRequested(args));
      program.hook('preAction', (_program, actionCommand) => {
        command = actionCommand;
      });
      await program.parseAsync(argv);
      return status;
    },
    { json, usageStatus: (error) => usageProblem(error, args, program) },
  );
}

/**
 * `--json` (or `--format json`) anywhere before `--`: an error is then JSON too, also one commander
 * raises before any option reached a command (an unknown option, a missing argument).
 */
function jsonRequested(args: readonly string[]): boolean {
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '--') return false;
    if (arg === '--json' || arg === '--format=json' || (arg === '--format' && args[i + 1] === 'json')) return true;
  }
  return false;
}

/** Commander's `error: …` and `(Did you mean …?)` lines, in mcpm's words. */
function usageErrorText(text: string): string {
  return text.replace(/^error: /, 'mcpm: ').replace(/^\(Did you mean (.*)\)$/m, 'hint: did you mean $1');
}

/** --help and --version end through exitOverride with exit code 0; any other error of commander's is a usage error (2). */
function usageProblem(error: unknown, args: readonly string[], program: Command | undefined): UsageProblem | undefined {
  if (!(error instanceof CommanderError)) return undefined;
  if (error.exitCode === 0) return { status: 0, message: '' };
  const names = new Set(program?.commands.map((c) => c.name()) ?? []);
  const command = args.find((a) => names.has(a));
  const message = error.code === 'commander.help' ? 'no command given' : error.message.replace(/^error: /, '');
  return { status: 2, message, hint: `run "mcpm${command ? ` ${command}` : ''} --help" for usage` };
}
