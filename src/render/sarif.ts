/**
 * SARIF 2.1.0 for code-scanning: one result per server that is not ok (drift, missing, stale,
 * changed launch, unreachable), one per finding, and (verify) one per changed package and per
 * launch that floats, located in the lockfile. Exit statuses never depend on the format; this only
 * shapes the output.
 */
import { describePin } from '../core/package-spec.js';
import type { ServerStatus, StatusKind } from '../core/status.js';
import type { DescribedStatus } from './report.js';

/** What verify learnt about the packages behind the servers: re-resolved pins, and launches that float. */
export interface PackageReport {
  checks: ReadonlyMap<string, { locked: { name: string; version?: string; integrity?: string }; resolved?: { version: string; integrity?: string }; changed: boolean }>;
  warnings: readonly { name: string; message: string }[];
}

const STATUS_RULES: Record<Exclude<StatusKind, 'ok'>, { id: string; text: string; level: 'error' | 'warning' }> = {
  drifted: { id: 'mcpm/drifted', text: 'The live server differs from its locked definitions.', level: 'error' },
  new: { id: 'mcpm/not-locked', text: 'A configured server is not in the lockfile.', level: 'error' },
  stale: { id: 'mcpm/stale', text: 'A locked server is no longer configured.', level: 'warning' },
  'config-changed': { id: 'mcpm/config-changed', text: 'The launch definition differs from the lockfile.', level: 'error' },
  denied: { id: 'mcpm/denied', text: 'The organisation\'s allow-list does not allow this server.', level: 'error' },
  unreviewed: { id: 'mcpm/unreviewed', text: 'A lockfile entry was added or changed against the trusted base and has not been reviewed there.', level: 'error' },
  error: { id: 'mcpm/unreachable', text: 'The server could not be reached or snapshotted.', level: 'error' },
};

/** Changes that need no review still leave a note, so code scanning shows them. */
const SETTLED_RULES = {
  quarantined: { id: 'mcpm/quarantined', text: 'A new item is quarantined: mcpm run withholds it until it is approved.' },
  accepted: { id: 'mcpm/accepted', text: "A change accepted by the server's accept rules in the lockfile." },
  'optional-absent': { id: 'mcpm/optional-absent', text: 'An item marked optional in the lockfile is not listed now.' },
} as const;

const LEVEL = { high: 'error', medium: 'warning', low: 'note' } as const;

export function renderSarif(statuses: readonly ServerStatus[], lines: readonly DescribedStatus[], lockLabel: string, packages?: PackageReport) {
  const rules = new Map<string, { id: string; shortDescription: { text: string } }>();
  const results: unknown[] = [];
  const location = (name: string) => [
    {
      physicalLocation: { artifactLocation: { uri: lockLabel } },
      logicalLocations: [{ name, kind: 'module' }],
    },
  ];
  statuses.forEach((s, i) => {
    if (s.status !== 'ok') {
      const rule = STATUS_RULES[s.status];
      rules.set(rule.id, { id: rule.id, shortDescription: { text: rule.text } });
      results.push({
        ruleId: rule.id,
        level: rule.level,
        message: { text: `server ${JSON.stringify(s.name)}: ${s.denial ?? s.error?.message ?? rule.text}` },
        locations: location(s.name),
      });
    }
    for (const j of s.judgement?.changes ?? []) {
      const rule = SETTLED_RULES[j.disposition as keyof typeof SETTLED_RULES];
      if (!rule) continue;
      const c = j.change;
      rules.set(rule.id, { id: rule.id, shortDescription: { text: rule.text } });
      results.push({
        ruleId: rule.id,
        level: 'note',
        message: { text: `server ${JSON.stringify(s.name)}: ${c.change} ${c.subject}${c.key ? ` ${JSON.stringify(c.key)}` : ''}: ${rule.text}${j.rules ? ` (${[...new Set(j.rules)].join(', ')})` : ''}` },
        locations: location(s.name),
        properties: { subject: c.subject, key: c.key, fields: c.fields.map((f) => f.pointer) },
      });
    }
    for (const f of lines[i]?.findings ?? []) {
      const id = `mcpm/${f.rule}`;
      rules.set(id, { id, shortDescription: { text: f.rule } });
      results.push({
        ruleId: id,
        level: LEVEL[f.severity],
        message: { text: `server ${JSON.stringify(s.name)}: ${f.rule} in ${f.subject}${f.key ? ` ${JSON.stringify(f.key)}` : ''}${f.pointer ? ` at ${f.pointer}` : ''}` },
        locations: location(s.name),
        properties: { severity: f.severity, args: f.args },
      });
    }
  });
  for (const [name, check] of packages?.checks ?? []) {
    if (!check.changed || !check.resolved) continue;
    rules.set('mcpm/package-changed', { id: 'mcpm/package-changed', shortDescription: { text: 'The package behind a locked server resolves to another version or integrity.' } });
    results.push({
      ruleId: 'mcpm/package-changed',
      level: 'error',
      message: { text: `server ${JSON.stringify(name)}: locked ${describePin(check.locked)}, the registry now gives ${describePin({ ...check.resolved, name: check.locked.name })}` },
      locations: location(name),
    });
  }
  for (const w of packages?.warnings ?? []) {
    rules.set('mcpm/unpinned-package', { id: 'mcpm/unpinned-package', shortDescription: { text: 'A server is launched without an exact package version or image digest.' } });
    results.push({ ruleId: 'mcpm/unpinned-package', level: 'warning', message: { text: `server ${JSON.stringify(w.name)}: ${w.message}` }, locations: location(w.name) });
  }
  return {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [{ tool: { driver: { name: 'mcpm', informationUri: 'https://github.com/mcpm-dev/mcpm', rules: [...rules.values()] } }, results }],
  };
}
