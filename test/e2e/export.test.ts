// `mcpm export`: the lock as each host's own managed allow-list, checked against JSON Schemas
// written from the hosts' documentation, and exactly the launches the lock pins.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import { defs, mcpm, ROOT, SERVERS, tempProject, tool, writeProject } from './helpers.js';

const SCHEMAS = join(ROOT, 'test', 'fixtures', 'hosts', 'schemas');
const ajv = new Ajv({ allErrors: true, strict: true });
for (const name of ['mcp-server-matchers', 'claude-code-managed-settings', 'claude-code-project-settings', 'copilot-managed-settings']) {
  ajv.addSchema(JSON.parse(readFileSync(join(SCHEMAS, `${name}.schema.json`), 'utf8')) as object);
}
function validate(schema: string, value: unknown): void {
  const check = ajv.getSchema(schema)!;
  expect(check(value), JSON.stringify(check.errors)).toBe(true);
}

async function lockedProject(): Promise<string> {
  const dir = tempProject();
  writeProject(dir, { notes: { defs: defs([tool('add', 'Adds.')]) }, search: { defs: defs([tool('find', 'Finds.')]), args: ['--index', 'docs'] } });
  const installed = await mcpm(['install', '-C', dir]);
  expect(installed.status, installed.stderr).toBe(0);
  return dir;
}

describe('mcpm export', () => {
  it('claude-code: managed settings allowing exactly the locked commands, and the project\'s enabledMcpjsonServers', { timeout: 60_000 }, async () => {
    const dir = await lockedProject();
    const managed = await mcpm(['export', 'claude-code', '-C', dir]);
    expect(managed.status, managed.stderr).toBe(0);
    const settings = JSON.parse(managed.stdout) as unknown;
    validate('claude-code-managed-settings', settings);
    expect(settings).toEqual({
      allowManagedMcpServersOnly: true,
      allowedMcpServers: [
        { serverCommand: ['node', join(SERVERS, 'static.mjs')] },
        { serverCommand: ['node', join(SERVERS, 'static.mjs'), '--index', 'docs'] },
      ],
    });

    // Merged into an existing settings file: its other keys stay.
    const file = join(dir, '.claude-settings.json');
    writeFileSync(file, JSON.stringify({ model: 'opus', enabledMcpjsonServers: ['old'] }));
    const merged = await mcpm(['export', 'claude-code', '--project', '-C', dir, '--out', file]);
    expect(merged.status, merged.stderr).toBe(0);
    const project = JSON.parse(readFileSync(file, 'utf8')) as unknown;
    validate('claude-code-project-settings', project);
    expect(project).toEqual({ model: 'opus', enabledMcpjsonServers: ['notes', 'search'] });
  });

  it('copilot and vscode: GitHub Copilot\'s enterprise managed settings; an unknown host or a broken target is refused', { timeout: 60_000 }, async () => {
    const dir = await lockedProject();
    for (const host of ['copilot', 'vscode']) {
      const out = await mcpm(['export', host, '-C', dir]);
      expect(out.status, out.stderr).toBe(0);
      const settings = JSON.parse(out.stdout) as { allowedMcpServers: unknown[] };
      validate('copilot-managed-settings', settings);
      expect(Object.keys(settings)).toEqual(['allowedMcpServers']);
      expect(settings.allowedMcpServers).toHaveLength(2);
    }
    const unknown = await mcpm(['export', 'cursor', '-C', dir, '--json']);
    expect(unknown.status).toBe(2);
    expect(JSON.parse(unknown.stdout)).toMatchObject({ error: { code: 'USAGE' } });

    const broken = join(dir, 'broken.json');
    writeFileSync(broken, '{"a": 1,');
    const refused = await mcpm(['export', 'copilot', '-C', dir, '--out', broken]);
    expect(refused.status).toBe(2);
    expect(readFileSync(broken, 'utf8')).toBe('{"a": 1,');
  });

  it('a hand-edited lock is not exported', { timeout: 60_000 }, async () => {
    const dir = await lockedProject();
    const lock = join(dir, 'mcp.lock');
    writeFileSync(lock, readFileSync(lock, 'utf8').replace('"Adds."', '"Adds, and more."'));
    const out = await mcpm(['export', 'claude-code', '-C', dir, '--json']);
    expect(out.status).toBe(2);
    expect(JSON.parse(out.stdout)).toMatchObject({ error: { code: 'LOCKFILE_TAMPERED' } });
  });
});
