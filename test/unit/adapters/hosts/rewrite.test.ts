// Guard's text surgery at the format level: every fixture, every stdio entry rewritten, then put
// back from the saved original text. The round trip must give the file back byte for byte, and
// the rewritten file must still be one the host reads, with everything mcpm does not own intact.
import { describe, expect, it } from 'vitest';
import { rewriteEntries, type HostEntry, type Launch } from '../../../../src/adapters/hosts/format.js';
import { hostInfo, type HostName } from '../../../../src/adapters/hosts/index.js';
import { HOST_FIXTURES, type GuardableHost } from '../../../helpers/host-fixtures.js';
import { CLAUDE_PROJECT, fixture } from './helpers.js';

const LAUNCH: Launch = { command: '/opt/node/bin/node', args: ['/opt/mcpm/bin/mcpm.cjs', 'run', '--config', '/home/u/cfg', '--lockfile', '/home/u/x.lock', '--', 'NAME'] };
const context = { projectDir: CLAUDE_PROJECT };

function guardAll(host: HostName, text: string) {
  const format = hostInfo(host).format;
  const entries = format.entries(text, 'f', context);
  const chosen = entries.filter((e) => (e.transport === 'stdio' || e.transport === 'http') && !e.unsupported);
  const guarded = rewriteEntries(text, entries, chosen.map((e) => ({ path: e.path, text: format.guardedEntry(text, e, LAUNCH) })));
  const originals = chosen.map((e) => ({ path: e.path, text: text.slice(e.start, e.end) }));
  const undo = (current: string) => rewriteEntries(current, format.entries(current, 'f', context), originals);
  return { entries, chosen, guarded, undo };
}

describe.each(Object.keys(HOST_FIXTURES) as GuardableHost[])('%s: guard and undo', (host) => {
  const format = hostInfo(host).format;

  it('restores the file byte for byte', () => {
    const text = fixture(host);
    const { chosen, guarded, undo } = guardAll(host, text);
    expect(chosen.length).toBeGreaterThan(0);
    expect(guarded).not.toBe(text);
    expect(undo(guarded)).toBe(text);
  });

  it('the rewritten file reads as the guard launch for every guarded entry, and as before for the others', () => {
    const text = fixture(host);
    const { chosen, guarded } = guardAll(host, text);
    const before = new Map(format.read(text, 'f', context).map((s) => [s.name, s]));
    const after = format.read(guarded, 'f', context);
    expect(after.map((s) => s.name)).toEqual([...before.keys()]);
    for (const server of after) {
      if (chosen.some((e) => e.name === server.name)) {
        expect(server.launch, server.name).toMatchObject({ transport: 'stdio', command: LAUNCH.command, args: LAUNCH.args });
        // env is kept in the host config: same names, same values.
        if (before.get(server.name)!.launch.transport === 'stdio') expect(server.env, server.name).toEqual(before.get(server.name)!.env);
      } else {
        expect(server, server.name).toEqual(before.get(server.name));
      }
    }
  });

  it('keeps every byte outside the guarded entries', () => {
    const text = fixture(host);
    const { chosen, guarded } = guardAll(host, text);
    const sorted = [...chosen].sort((a, b) => a.start - b.start);
    const outside = (t: string, spans: { start: number; end: number }[]) => {
      const parts: string[] = [];
      let at = 0;
      for (const s of spans) {
        parts.push(t.slice(at, s.start));
        at = s.end;
      }
      parts.push(t.slice(at));
      return parts;
    };
    const after = format.entries(guarded, 'f', context).filter((e) => chosen.some((c) => c.name === e.name && c.path.join() === e.path.join()));
    expect(outside(guarded, after.sort((a, b) => a.start - b.start))).toEqual(outside(text, sorted));
  });

  it('guarding a guarded entry again gives the same text', () => {
    const { guarded } = guardAll(host, fixture(host));
    const entries = format.entries(guarded, 'f', context);
    const again = rewriteEntries(
      guarded,
      entries,
      entries.filter((e) => e.launch?.command === LAUNCH.command).map((e) => ({ path: e.path, text: format.guardedEntry(guarded, e, LAUNCH) })),
    );
    expect(again).toBe(guarded);
  });
});

describe('what a guarded entry keeps', () => {
  const guardedEntry = (host: HostName, name: string, text = fixture(host)): string => {
    const format = hostInfo(host).format;
    const entry = format.entries(text, 'f', context).find((e) => e.name === name) as HostEntry;
    return format.guardedEntry(text, entry, LAUNCH);
  };

  it('Claude Desktop: env and the host\'s own keys, in the file\'s indentation', () => {
    expect(guardedEntry('claude-desktop', 'notes')).toBe(
      [
        '{',
        '            "command": "/opt/node/bin/node",',
        `            "args": ${JSON.stringify(LAUNCH.args).replaceAll('","', '", "')},`,
        '            "env": {',
        '                "NOTES_TOKEN": "secret-value-not-for-the-lock",',
        '                "APPDATA": "C:\\\\Users\\\\user\\\\AppData\\\\Roaming\\\\"',
        '            },',
        '            "disabled": false',
        '        }',
      ].join('\n'),
    );
  });

  it('VS Code: type stdio stays (VS Code requires it), comments inside env stay, tabs stay', () => {
    const text = guardedEntry('vscode', 'perplexity');
    expect(text).toContain('\t\t\t"type": "stdio",\n\t\t\t"command": ');
    expect(text).toContain('// prompted once');
    expect(text).toContain('"sandboxEnabled": true');
  });

  it('Cursor: envFile goes (mcpm run reads it for the server; kept, the host would load it into mcpm run itself)', () => {
    const text = '{"mcpServers": {"s": {"command": "node", "args": ["s.js"], "envFile": "${workspaceFolder}/.env", "env": {"A": "1"}}}}';
    const guarded = guardedEntry('cursor', 's', text);
    expect(guarded).not.toContain('envFile');
    expect(guarded).toContain('"env": {"A": "1"}');
  });

  it('Gemini: cwd goes (mcpm run starts the server there), timeout, trust and includeTools stay', () => {
    const text = guardedEntry('gemini', 'py');
    expect(text).not.toContain('cwd');
    expect(text).toContain('"timeout": 30000');
    expect(text).toContain('"trust": false');
    expect(text).toContain('"includeTools": ["search"]');
  });

  it('Zed: the older nested command becomes the flat form, keeping its env', () => {
    expect(JSON.parse(guardedEntry('zed', 'legacy'))).toEqual({ command: LAUNCH.command, args: LAUNCH.args, env: { LEGACY_MODE: '1' } });
  });

  it('Codex: command and args replaced in place; env, timeouts, comments and the env sub-table stay', () => {
    const text = fixture('codex');
    expect(guardedEntry('codex', 'github', text)).toBe(
      [
        '[mcp_servers.github]',
        'command = "/opt/node/bin/node"',
        `args = ${JSON.stringify(LAUNCH.args).replaceAll('","', '", "')}`,
        'env_vars = ["GITHUB_PERSONAL_ACCESS_TOKEN"]',
        'tool_timeout_sec = 60',
        '',
        '[mcp_servers.github.env]',
        'GITHUB_TOOLSETS = "repos,issues"',
        '',
      ].join('\n'),
    );
    expect(guardedEntry('codex', 'docs', text)).toContain('env = { "API_KEY" = "value" }\nstartup_timeout_sec = 20\n');
  });

  it('an entry written on one line is rewritten on several, indented one step in', () => {
    const text = '{\n  "mcpServers": {\n    "a": { "command": "x", "env": { "K": "v" } }\n  }\n}\n';
    expect(guardedEntry('cursor', 'a', text)).toBe(
      `{\n      "command": "/opt/node/bin/node",\n      "args": ${JSON.stringify(LAUNCH.args).replaceAll('","', '", "')},\n      "env": { "K": "v" }\n    }`,
    );
  });

  it('a CRLF file stays CRLF and round-trips', () => {
    const text = fixture('claude-desktop').replaceAll('\n', '\r\n');
    const { guarded, undo } = guardAll('claude-desktop', text);
    expect(guarded.replaceAll('\r\n', '')).not.toContain('\n');
    expect(undo(guarded)).toBe(text);
    const toml = fixture('codex').replaceAll('\n', '\r\n');
    const codex = guardAll('codex', toml);
    expect(codex.guarded.replaceAll('\r\n', '')).not.toContain('\n');
    expect(codex.undo(codex.guarded)).toBe(toml);
  });
});

describe('variables the original refers to outside env are forwarded in the host\'s syntax', () => {
  const forwarded = (host: HostName, name: string, forward: string[]) => {
    const format = hostInfo(host).format;
    const text = fixture(host);
    const entry = format.entries(text, 'f', context).find((e) => e.name === name) as HostEntry;
    return format.guardedEntry(text, entry, LAUNCH, forward);
  };

  it('Claude Code: ${VAR}; a remote entry becomes a stdio one', () => {
    expect(JSON.parse(forwarded('claude-code', 'api', ['API_BASE_URL', 'API_KEY']))).toEqual({
      type: 'stdio',
      command: LAUNCH.command,
      args: LAUNCH.args,
      env: { API_BASE_URL: '${API_BASE_URL}', API_KEY: '${API_KEY}' },
    });
  });

  it('Cursor, VS Code, Windsurf: ${env:VAR}, added to the env that is there', () => {
    expect(JSON.parse(forwarded('cursor', 'userjot', ['USERJOT_API_TOKEN']))).toMatchObject({ env: { USERJOT_API_TOKEN: '${env:USERJOT_API_TOKEN}' } });
    expect(forwarded('windsurf', 'git', ['HOME'])).toContain('"env": {\n        "HOME": "${env:HOME}"\n      }');
    const vscode = forwarded('vscode', 'perplexity', ['TOKEN']);
    expect(vscode).toContain('\t\t\t"env": {\n\t\t\t\t"PERPLEXITY_API_KEY": "${input:perplexity-key}",\n\t\t\t\t"TOKEN": "${env:TOKEN}"\n\t\t\t}');
  });

  it('a variable the env already sets is not added again', () => {
    expect(forwarded('claude-desktop', 'notes', [])).toBe(forwarded('claude-desktop', 'notes', ['NOTES_TOKEN']));
  });

  it('Codex: env_vars, merged with the names already there', () => {
    expect(forwarded('codex', 'github', ['GH_HOST'])).toContain('env_vars = ["GITHUB_PERSONAL_ACCESS_TOKEN", "GH_HOST"]\ntool_timeout_sec = 60\n');
    const remote = forwarded('codex', 'remote', ['MCP_TOKEN']);
    expect(remote).toBe(`[mcp_servers.remote]\ncommand = "${LAUNCH.command}"\nargs = ${JSON.stringify(LAUNCH.args).replaceAll('","', '", "')}\nenv_vars = ["MCP_TOKEN"]\n`);
  });

  it('Claude Desktop and Zed expand nothing: nothing is forwarded', () => {
    expect(hostInfo('claude-desktop').format.canForward).toBe(false);
    expect(hostInfo('zed').format.canForward).toBe(false);
    expect(forwarded('zed', 'postgres', ['X'])).not.toContain('"X"');
  });
});

describe('Codex entries guard cannot rewrite in place', () => {
  const entries = (text: string) => hostInfo('codex').format.entries(text, 'f');

  it('a server defined inline under [mcp_servers]', () => {
    expect(entries('[mcp_servers]\ndocs = { command = "npx" }\n')[0]!.unsupported).toMatch(/not written as a \[mcp_servers\.docs\] table/);
  });

  it('a server whose sub-table is somewhere else in the file', () => {
    const text = '[mcp_servers.a]\ncommand = "x"\n[other]\nk = 1\n[mcp_servers.a.env]\nK = "v"\n';
    expect(entries(text)[0]!.unsupported).toMatch(/sub-tables are not next to its table/);
  });

  it('a quoted name, and a table at the end of a file without a final newline', () => {
    const text = 'x = 1\n[mcp_servers."my server"]\ncommand = "a"';
    const [entry] = entries(text);
    expect(entry).toMatchObject({ name: 'my server', start: 6, end: text.length, transport: 'stdio' });
    const codex = hostInfo('codex').format;
    const guarded = rewriteEntries(text, [entry!], [{ path: entry!.path, text: codex.guardedEntry(text, entry!, LAUNCH) }]);
    expect(codex.read(guarded, 'f')[0]!.launch).toMatchObject({ command: LAUNCH.command, args: LAUNCH.args });
    expect(rewriteEntries(guarded, entries(guarded), [{ path: entry!.path, text: text.slice(entry!.start) }])).toBe(text);
  });
});
