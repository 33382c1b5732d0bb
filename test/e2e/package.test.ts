// The published shape: `npm pack` gives a tarball that installs and runs as `mcpm` and `mcp-lock`.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, tempProject } from './helpers.js';

describe('the npm package', () => {
  it('packs, installs and runs under both command names', () => {
    const dir = tempProject();
    execFileSync('npm', ['pack', '--pack-destination', dir, '--ignore-scripts'], { cwd: ROOT, stdio: 'pipe', timeout: 60_000 });
    const tarball = readdirSync(dir).find((f) => f.endsWith('.tgz'))!;
    expect(tarball).toMatch(/^mcp-lockfile-\d+\.\d+\.\d+\.tgz$/);
    const prefix = join(dir, 'user');
    execFileSync('npm', ['init', '-y'], { cwd: dir, stdio: 'pipe' });
    writeFileSync(join(dir, '.npmrc'), 'fund=false\naudit=false\n');
    execFileSync('npm', ['install', '--prefix', prefix, '--prefer-offline', '--no-audit', '--no-fund', join(dir, tarball)], { cwd: dir, stdio: 'pipe', timeout: 180_000 });
    for (const bin of ['mcpm', 'mcp-lock']) {
      const out = execFileSync(join(prefix, 'node_modules', '.bin', bin), ['--version'], { encoding: 'utf8', timeout: 20_000 });
      expect(out.trim()).toMatch(/^mcp-lockfile \d+\.\d+\.\d+$/);
    }
    // `run` takes its own bundled entry (dist/run-bundle.cjs, required by the CommonJS bin): shipped too.
    const project = join(dir, 'project');
    mkdirSync(project);
    writeFileSync(join(project, '.mcp.json'), JSON.stringify({ mcpServers: { notes: { command: 'node', args: ['server.js'] } } }));
    const run = spawnSync(join(prefix, 'node_modules', '.bin', 'mcpm'), ['run', '-C', project, 'notes'], { input: '', encoding: 'utf8', timeout: 20_000 });
    expect(run.status).toBe(1);
    expect(run.stderr).toContain('mcpm: server "notes" was not started: mcp.lock does not exist');
  }, 240_000);
});
