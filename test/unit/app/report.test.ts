import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { sortFindings } from '../../../src/app/report.js';
import type { Finding, Severity } from '../../../src/core/findings/rules.js';

const RANK: Record<Severity, number> = { high: 0, medium: 1, low: 2 };

describe('sortFindings', () => {
  it('orders by severity, most severe first, keeping the order within a severity, in a new array', () => {
    const finding = (severity: Severity, key: string): Finding => ({ rule: 'confusable-name', severity, subject: 'tools', key, pointer: '', args: {} });
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.constantFrom<Severity>('high', 'medium', 'low'), fc.string()), { maxLength: 40 }), (pairs) => {
        const findings = pairs.map(([severity, key]) => finding(severity, key));
        const sorted = sortFindings(findings);
        // A stable sort by severity: the same findings, each severity's in their first order.
        expect(sorted).toEqual([...findings].sort((a, b) => RANK[a.severity] - RANK[b.severity]));
        expect(sorted).not.toBe(findings);
        // Sorted input (findingsFor's own order) comes back as it was.
        expect(sortFindings(sorted)).toEqual(sorted);
      }),
    );
  });
});
