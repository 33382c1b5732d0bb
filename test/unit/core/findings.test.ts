import { describe, expect, it } from 'vitest';
import { findingsFor } from '../../../src/core/findings.js';
import { REFERENCE_SERVERS, referenceSnapshot } from '../../fixtures/findings/snapshot-helper.js';

describe('reference servers', () => {
  it('dump', () => {
    const snaps = new Map(REFERENCE_SERVERS.map((s) => [s, referenceSnapshot(s)] as const));
    for (const s of REFERENCE_SERVERS) {
      const f = findingsFor({ server: s, live: snaps.get(s)!, changes: null, others: snaps });
      console.log(s, JSON.stringify(f, null, 1));
    }
    expect(1).toBe(1);
  });
});
