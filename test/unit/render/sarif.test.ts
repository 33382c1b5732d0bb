// The SARIF 2.1.0 shape GitHub code scanning accepts (upload-sarif validates these fields): a
// version, one run with the tool's driver name and its rules, and results each with a ruleId
// that is declared, a level, a message text and a location in the lockfile.
import { describe, expect, it } from 'vitest';
import type { Finding } from '../../../src/core/findings/rules.js';
import type { ServerStatus } from '../../../src/core/status.js';
import type { DescribedStatus } from '../../../src/render/report.js';
import { renderSarif } from '../../../src/render/sarif.js';

const finding: Finding = { rule: 'hidden-unicode', severity: 'high', subject: 'tools', key: 'add', pointer: '/description', args: { decoded: 'x' } };

function sarifOf(statuses: ServerStatus[], lines: DescribedStatus[]) {
  // Through JSON, as verify prints it: what a consumer parses.
  return JSON.parse(JSON.stringify(renderSarif(statuses, lines, 'mcp.lock')));
}

describe('renderSarif', () => {
  const statuses: ServerStatus[] = [
    { name: 'ok-one', status: 'ok' },
    { name: 'notes', status: 'drifted' },
    { name: 'fresh', status: 'new' },
    { name: 'gone', status: 'stale' },
    { name: 'moved', status: 'config-changed' },
    { name: 'down', status: 'error', error: { code: 'SERVER_TIMEOUT', message: 'no answer within 30000 ms' } },
  ];
  const lines: DescribedStatus[] = statuses.map((s) => ({ name: s.name, status: s.status, ...(s.name === 'notes' ? { findings: [finding] } : {}) }));

  it('is SARIF 2.1.0 with one run named mcpm', () => {
    const sarif = sarifOf(statuses, lines);
    expect(sarif.version).toBe('2.1.0');
    expect(sarif.$schema).toMatch(/sarif-2\.1\.0/);
    expect(sarif.runs).toHaveLength(1);
    expect(sarif.runs[0].tool.driver.name).toBe('mcpm');
    expect(Array.isArray(sarif.runs[0].results)).toBe(true);
  });

  it('gives every result a declared ruleId, a level, a message and a location in the lockfile', () => {
    const run = sarifOf(statuses, lines).runs[0];
    const declared = new Set(run.tool.driver.rules.map((r: { id: string }) => r.id));
    for (const rule of run.tool.driver.rules) expect(rule.shortDescription.text).toEqual(expect.any(String));
    expect(run.results.length).toBe(6);
    for (const result of run.results) {
      expect(declared.has(result.ruleId)).toBe(true);
      expect(['error', 'warning', 'note', 'none']).toContain(result.level);
      expect(result.message.text).toEqual(expect.any(String));
      expect(result.locations[0].physicalLocation.artifactLocation.uri).toBe('mcp.lock');
      expect(result.locations[0].logicalLocations[0].name).toEqual(expect.any(String));
    }
    expect(run.results.map((r: { ruleId: string }) => r.ruleId)).toEqual([
      'mcpm/drifted',
      'mcpm/hidden-unicode',
      'mcpm/not-locked',
      'mcpm/stale',
      'mcpm/config-changed',
      'mcpm/unreachable',
    ]);
  });

  it('maps severities to SARIF levels and carries the error message', () => {
    const run = sarifOf(statuses, lines).runs[0];
    const byRule = new Map(run.results.map((r: { ruleId: string }) => [r.ruleId, r]));
    expect(byRule.get('mcpm/hidden-unicode')).toMatchObject({ level: 'error', properties: { severity: 'high' } });
    expect(byRule.get('mcpm/stale')).toMatchObject({ level: 'warning' });
    expect(byRule.get('mcpm/unreachable')).toMatchObject({ message: { text: 'server "down": no answer within 30000 ms' } });
  });

  it('has no results when everything is ok', () => {
    const run = sarifOf([{ name: 'a', status: 'ok' }], [{ name: 'a', status: 'ok' }]).runs[0];
    expect(run.results).toEqual([]);
    expect(run.tool.driver.rules).toEqual([]);
  });

  it("adds verify's package results after the status results: a changed package is an error, a floating launch a warning", () => {
    const locked = { manager: 'npm' as const, name: '@acme/notes', version: '1.0.0', integrity: 'sha512-aaaaaaaaaaaaaaaaaaaa' };
    const checks = new Map([
      ['notes', { locked, resolved: { version: '1.0.1', integrity: 'sha512-bbbbbbbbbbbbbbbbbbbb' }, changed: true }],
      ['same', { locked, resolved: { version: '1.0.0', integrity: locked.integrity }, changed: false }],
    ]);
    const warnings = [{ name: 'loose', message: 'npx @acme/loose has no version' }];
    const run = JSON.parse(JSON.stringify(renderSarif(statuses, lines, 'mcp.lock', { checks, warnings }))).runs[0];
    expect(run.results.map((r: { ruleId: string }) => r.ruleId).slice(6)).toEqual(['mcpm/package-changed', 'mcpm/unpinned-package']);
    expect(run.results[6]).toMatchObject({
      level: 'error',
      message: { text: 'server "notes": locked @acme/notes@1.0.0 (sha512-aaaaaaaaa…), the registry now gives @acme/notes@1.0.1 (sha512-bbbbbbbbb…)' },
      locations: [{ physicalLocation: { artifactLocation: { uri: 'mcp.lock' } }, logicalLocations: [{ name: 'notes', kind: 'module' }] }],
    });
    expect(run.results[7]).toMatchObject({ level: 'warning', message: { text: 'server "loose": npx @acme/loose has no version' } });
    expect(run.tool.driver.rules.map((r: { id: string }) => r.id).slice(-2)).toEqual(['mcpm/package-changed', 'mcpm/unpinned-package']);
  });
});
