import { describe, expect, it } from 'vitest';
import { packageSpecOf, parseCommandLine, pinnedArgs, unpinnedReason, type PackageSpec } from '../../../src/core/package-spec.js';

const DIGEST = `sha256:${'ab'.repeat(32)}`;

// [launch line, expected] — the launch line is split on spaces (no test line needs quoting).
const TABLE: Array<[string, Partial<PackageSpec> | null]> = [
  // npx
  ['npx -y @modelcontextprotocol/server-everything', { manager: 'npm', launcher: 'npx', name: '@modelcontextprotocol/server-everything', exact: false, argIndex: 1, prefix: '' }],
  ['npx -y @acme/notes-mcp@1.4.2', { manager: 'npm', name: '@acme/notes-mcp', spec: '1.4.2', exact: true, argIndex: 1 }],
  ['npx --yes notes-mcp@^1 --stdio', { manager: 'npm', name: 'notes-mcp', spec: '^1', exact: false, argIndex: 1 }],
  ['npx notes-mcp@latest', { name: 'notes-mcp', spec: 'latest', exact: false, argIndex: 0 }],
  ['npx -y notes-mcp@1.0.0-beta.2', { spec: '1.0.0-beta.2', exact: true }],
  ['npx -y notes-mcp@1.0', { spec: '1.0', exact: false }],
  ['npx -y --package=@acme/notes@2.0.0 notes-server --port 1', { name: '@acme/notes', spec: '2.0.0', exact: true, argIndex: 1, prefix: '--package=' }],
  ['npx -y -p @acme/notes notes-server', { name: '@acme/notes', exact: false, argIndex: 2, prefix: '' }],
  ['npx --package @acme/notes@1.0.0 --package helper@^2 notes-server', { name: '@acme/notes', spec: '1.0.0', exact: false, argIndex: 1 }],
  ['npx --registry https://r.example/ -y pkg@1.0.0', { name: 'pkg', exact: true, argIndex: 3 }],
  ['npx -y -- pkg@1.0.0 --flag', { name: 'pkg', exact: true, argIndex: 2 }],
  ['npx -c some-command', null],
  ['npx', null],
  ['npx -y ./tools/server', { manager: 'local', name: './tools/server', exact: true, argIndex: 1 }],
  ['npx -y github:acme/notes', { manager: 'npm', exact: false, unresolvable: 'it is a git or tarball URL, not a registry package' }],
  ['npx -y acme/notes', { manager: 'npm', exact: false, unresolvable: 'it is a GitHub repository, not a registry package' }],
  ['npx -y pkg@${VERSION}', { manager: 'npm', exact: false, unresolvable: 'it contains a ${…} variable' }],
  ['npx -y alias@npm:real@1.0.0', { manager: 'npm', name: 'alias', exact: false, unresolvable: 'it is an npm alias (name@npm:other@version)' }],
  ['/usr/local/bin/npx -y pkg@1.2.3', { manager: 'npm', name: 'pkg', exact: true }],
  ['npx.cmd -y pkg', { manager: 'npm', name: 'pkg', exact: false }],
  ['cmd /c npx -y pkg@1.2.3', { manager: 'npm', name: 'pkg', exact: true, argIndex: 3 }],
  // npm exec and friends
  ['npm exec --yes --package=pkg@1.2.3 -- pkg-bin --stdio', { launcher: 'npm exec', name: 'pkg', exact: true, argIndex: 2, prefix: '--package=' }],
  ['npm exec -- pkg@^1', { launcher: 'npm exec', name: 'pkg', spec: '^1', exact: false, argIndex: 2 }],
  ['npm x pkg', { launcher: 'npm exec', name: 'pkg', argIndex: 1 }],
  ['npm run server', null],
  ['pnpm dlx @acme/notes@3.1.0', { launcher: 'pnpm dlx', name: '@acme/notes', exact: true, argIndex: 1 }],
  ['pnpm dlx --package=@acme/notes notes', { launcher: 'pnpm dlx', name: '@acme/notes', exact: false, argIndex: 1, prefix: '--package=' }],
  // Two packages, the second floating: mcpm pins one, so it says it cannot (not "pinned" while one floats).
  ['npx -y --package=evil@^1 --package=helper@latest evil', { name: 'evil', exact: false, unresolvable: 'it names 2 packages (--package), and mcpm pins one package per server: write an exact version for each' }],
  ['npx -y --package=a@1.0.0 --package=b@2.0.0 a', { name: 'a', exact: true }],
  ['pnpx pkg@1.0.0', { launcher: 'pnpm dlx', name: 'pkg', exact: true, argIndex: 0 }],
  ['yarn dlx -p pkg@1.0.0 pkg-bin', { launcher: 'yarn dlx', name: 'pkg', exact: true, argIndex: 2 }],
  ['bunx --bun pkg@1.0.0', { launcher: 'bunx', name: 'pkg', exact: true, argIndex: 1 }],
  ['bun x pkg', { launcher: 'bunx', name: 'pkg', exact: false, argIndex: 1 }],
  // uvx
  ['uvx mcp-server-fetch', { manager: 'pypi', launcher: 'uvx', name: 'mcp-server-fetch', exact: false, argIndex: 0 }],
  ['uvx mcp-server-fetch@2025.4.7', { manager: 'pypi', name: 'mcp-server-fetch', spec: '2025.4.7', exact: true, argIndex: 0 }],
  ['uvx mcp-server-fetch@latest', { manager: 'pypi', spec: 'latest', exact: false }],
  ['uvx --from mcp-server-git==0.6.2 mcp-server-git --repository .', { manager: 'pypi', name: 'mcp-server-git', spec: '0.6.2', exact: true, argIndex: 1 }],
  ['uvx --from=mypy[reports]==1.10.0 mypy', { manager: 'pypi', name: 'mypy', spec: '1.10.0', exact: true, argIndex: 0, prefix: '--from=' }],
  ['uvx --from mcp-server-git>=0.6 mcp-server-git', { manager: 'pypi', spec: '>=0.6', exact: false }],
  ['uvx --from mcp-server-git==0.* mcp-server-git', { manager: 'pypi', spec: '0.*', exact: false }],
  ['uvx --python 3.12 --with httpx mcp-server-fetch==1.0', { manager: 'pypi', name: 'mcp-server-fetch', exact: true, argIndex: 4 }],
  ['uvx --from git+https://github.com/acme/srv@abc srv', { manager: 'pypi', exact: false, unresolvable: 'it is a git or archive URL, not a registry package' }],
  ['uv tool run mcp-server-time@0.6.2', { manager: 'pypi', launcher: 'uvx', name: 'mcp-server-time', exact: true, argIndex: 2 }],
  ['uv run server.py', null],
  // pipx
  ['pipx run mcp-server-time', { manager: 'pypi', launcher: 'pipx run', name: 'mcp-server-time', exact: false, argIndex: 1 }],
  ['pipx run mcp-server-time==0.6.2', { manager: 'pypi', launcher: 'pipx run', spec: '0.6.2', exact: true, argIndex: 1 }],
  ['pipx run --spec mcp-server-time==0.6.2 mcp-server-time', { manager: 'pypi', name: 'mcp-server-time', exact: true, argIndex: 2 }],
  // docker
  ['docker run -i --rm mcp/fetch', { manager: 'docker', launcher: 'docker run', name: 'mcp/fetch', exact: false, argIndex: 3 }],
  ['docker run -i --rm -e TOKEN ghcr.io/acme/srv:1.2', { manager: 'docker', name: 'ghcr.io/acme/srv', spec: '1.2', exact: false, argIndex: 5 }],
  [`docker run -i --rm ghcr.io/acme/srv@${DIGEST}`, { manager: 'docker', name: 'ghcr.io/acme/srv', digest: DIGEST, exact: true, argIndex: 3 }],
  [`docker run -it --name srv -v /a:/b localhost:5000/srv:1@${DIGEST} serve`, { name: 'localhost:5000/srv', spec: '1', digest: DIGEST, exact: true, argIndex: 6 }],
  ['docker run -i --env=X=1 --network host srv:latest', { name: 'srv', spec: 'latest', exact: false, argIndex: 5 }],
  ['docker run -ie TOKEN srv', { name: 'srv', argIndex: 3 }],
  ['docker run -i srv@sha256:short', { name: 'srv', digest: 'sha256:short', exact: false }],
  ['docker container run -i srv', { launcher: 'docker run', name: 'srv', argIndex: 3 }],
  ['podman run -i --rm quay.io/acme/srv:2', { launcher: 'podman run', name: 'quay.io/acme/srv', spec: '2' }],
  ['docker compose up', null],
  // local
  ['node ./server.js', { manager: 'local', launcher: 'local', name: './server.js', exact: true, argIndex: 0 }],
  ['node --import tsx src/server.ts --stdio', { manager: 'local', name: 'src/server.ts', argIndex: 2 }],
  ['node /abs/path/dist/index.js', { manager: 'local', name: '/abs/path/dist/index.js' }],
  ['node -e process.exit()', null],
  ['python3 -m mcp_server_time', null],
  ['python server.py', { manager: 'local', name: 'server.py', argIndex: 0 }],
  ['deno run -A ./main.ts', { manager: 'local', name: './main.ts', argIndex: 2 }],
  ['./bin/server --stdio', { manager: 'local', name: './bin/server', argIndex: -1 }],
  ['my-installed-server --stdio', null],
];

describe('parseCommandLine', () => {
  it.each(TABLE)('%s', (line, expected) => {
    const [command, ...args] = line.split(' ');
    const result = parseCommandLine(command!, args);
    if (expected === null) expect(result).toBeNull();
    else expect(result).toMatchObject(expected);
  });

  it('every argIndex points at the element that names the package', () => {
    for (const [line, expected] of TABLE) {
      if (expected === null) continue;
      const [command, ...args] = line.split(' ');
      const spec = parseCommandLine(command!, args)!;
      if (spec.argIndex === -1) expect(command).toBe(spec.name);
      else expect(args[spec.argIndex]!.slice(spec.prefix.length)).toContain(spec.name.replace(/\[.*$/, ''));
    }
  });

  it('reads only stdio launches', () => {
    expect(packageSpecOf({ transport: 'http', url: 'https://x' } as never)).toBeNull();
    expect(packageSpecOf({ transport: 'stdio', command: 'npx', args: ['-y', 'pkg@1.0.0'] })).toMatchObject({ name: 'pkg', exact: true });
  });
});

describe('pinnedArgs', () => {
  const pin = (line: string, version: string): string => {
    const [command, ...args] = line.split(' ');
    return pinnedArgs(args, parseCommandLine(command!, args)!, version).join(' ');
  };

  it.each([
    ['npx -y @acme/notes --stdio', '1.2.3', '-y @acme/notes@1.2.3 --stdio'],
    ['npx -y @acme/notes@^1', '1.4.0', '-y @acme/notes@1.4.0'],
    ['npx -y --package=@acme/notes notes', '2.0.0', '-y --package=@acme/notes@2.0.0 notes'],
    ['npx -p @acme/notes@latest notes', '2.0.0', '-p @acme/notes@2.0.0 notes'],
    ['cmd /c npx -y pkg', '1.0.0', '/c npx -y pkg@1.0.0'],
    ['uvx mcp-server-fetch', '2025.4.7', 'mcp-server-fetch@2025.4.7'],
    ['uvx --from mcp-server-git mcp-server-git', '0.6.2', '--from mcp-server-git==0.6.2 mcp-server-git'],
    ['uvx --from=mypy[reports]>=1 mypy', '1.10.0', '--from=mypy[reports]==1.10.0 mypy'],
    ['pipx run mcp-server-time', '0.6.2', 'run mcp-server-time==0.6.2'],
    ['docker run -i --rm ghcr.io/acme/srv:1.2', DIGEST, `run -i --rm ghcr.io/acme/srv:1.2@${DIGEST}`],
  ])('%s → %s', (line, version, expected) => {
    expect(pin(line, version)).toBe(expected);
  });

  it('re-reads as exact', () => {
    const args = ['-y', '--package=@acme/notes', 'notes'];
    const spec = parseCommandLine('npx', args)!;
    expect(parseCommandLine('npx', pinnedArgs(args, spec, '1.0.0'))).toMatchObject({ name: '@acme/notes', spec: '1.0.0', exact: true });
  });

  it('refuses a Docker pin that is not a digest, and a local path', () => {
    expect(() => pin('docker run -i srv', '1.0.0')).toThrow(/Assertion failed/);
    expect(() => pin('node ./x.js', '1.0.0')).toThrow(/Assertion failed/);
  });
});

describe('unpinnedReason', () => {
  const reason = (line: string) => {
    const [command, ...args] = line.split(' ');
    return unpinnedReason(parseCommandLine(command!, args)!);
  };
  it('says why a launch floats, and nothing for pinned or local ones', () => {
    expect(reason('npx -y pkg')).toBe('npx pkg has no version: it runs whatever the registry\'s "latest" is at each launch');
    expect(reason('npx -y pkg@^1')).toBe('npx pkg@^1 is not an exact version: it runs whatever matches at each launch');
    expect(reason('uvx srv')).toMatch(/has no version/);
    expect(reason('docker run -i srv:1')).toBe('srv:1 has no @sha256 digest: a tag can be moved to other code');
    expect(reason('npx -y github:a/b')).toMatch(/cannot be pinned by mcpm/);
    expect(reason('npx -y pkg@1.0.0')).toBeUndefined();
    expect(reason('node ./x.js')).toBeUndefined();
  });
});
