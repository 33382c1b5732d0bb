// The name and mention rules look names up in maps rather than comparing every pair; these
// properties hold them to the pairwise definitions they replace, over generated names and text.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compareCodeUnits } from '../../../../src/core/changes.js';
import { findingsFor } from '../../../../src/core/findings/index.js';
import { skeletonOf } from '../../../../src/core/findings/names.js';
import { snapshotOf, tool } from '../../../fixtures/findings/snapshot-helper.js';

// Letters that collide under the skeleton or lower-casing, separators, a surrogate pair, and digits.
const alphabet = fc.constantFrom('a', 'A', 'l', 'I', '1', 'o', '0', 'r', 'n', 'm', 'е', '_', '-', '.', ' ', 'x', '😀', '\uD83D', 'Z');
const nameArb = fc.array(alphabet, { minLength: 1, maxLength: 7 }).map((cs) => cs.join(''));
const namesArb = fc.uniqueArray(nameArb, { minLength: 1, maxLength: 8 });

const sortedArgs = (findings: { rule: string; key: string; args: Record<string, string | number> }[], rule: string) =>
  findings.filter((f) => f.rule === rule).map((f) => `${f.key}|${f.args.server ?? ''}|${f.args.other ?? f.args.tool ?? ''}`).sort(compareCodeUnits);

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

describe('linear name and mention rules', () => {
  it('find exactly the pairs the pairwise definitions find, each once (name findings are never merged)', () => {
    let mentioning = 0;
    fc.assert(
      // A number in the words stands for one of the other servers' names, so that texts mention them,
      // at the start, after a letter or digit, or in the middle of another name.
      fc.property(namesArb, namesArb, namesArb, fc.array(fc.oneof(alphabet, nameArb, fc.nat()), { maxLength: 12 }), (own, theirs, third, words) => {
        const named = [...theirs, ...third];
        const text = words.map((w) => (typeof w === 'number' ? named[w % named.length]! : w)).join('');
        const servers: [string, string[]][] = [
          ['zz', theirs],
          ['aa', third],
        ];
        const others = new Map(servers.map(([server, names]) => [server, snapshotOf({ tools: names.map((n) => tool(n, 'x')) })]));
        const findings = findingsFor({ server: 'srv', live: snapshotOf({ tools: own.map((n) => tool(n, text)) }), changes: null, others });

        const confusable: string[] = [];
        const shadows: string[] = [];
        for (const name of own) {
          for (const o of own) if (o !== name && skeletonOf(o) === skeletonOf(name)) confusable.push(`${name}||${o}`);
          for (const [server, names] of servers) {
            for (const o of names) {
              if (o === name) shadows.push(`${name}|${server}|`);
              else if (o.toLowerCase() === name.toLowerCase()) shadows.push(`${name}|${server}|${o}`);
              else if (skeletonOf(o) === skeletonOf(name)) confusable.push(`${name}|${server}|${o}`);
            }
          }
        }
        expect(sortedArgs(findings, 'confusable-name')).toEqual(confusable.sort(compareCodeUnits));
        expect(sortedArgs(findings, 'name-shadows-other-server')).toEqual(shadows.sort(compareCodeUnits));
        // As mergeFindings would have left them: no hit counted twice.
        expect(findings.filter((f) => f.args.hits !== undefined && (f.rule === 'confusable-name' || f.rule === 'name-shadows-other-server'))).toEqual([]);

        const mentioned = (names: string[]) =>
          names
            .filter((n) => n.length >= 4 && (/[_.-]/.test(n) || /[a-z][A-Z]/.test(n)) && !own.includes(n))
            .filter((n) => new RegExp(`(?<![A-Za-z0-9])${escapeRegExp(n)}(?![A-Za-z0-9])`, 'u').test(text));
        const expected = own.flatMap((key) => servers.flatMap(([server, names]) => mentioned(names).map((n) => `${key}|${server}|${n}`)));
        if (expected.length > 0) mentioning++;
        expect(sortedArgs(findings, 'mentions-other-server-tool')).toEqual(expected.sort(compareCodeUnits));
      }),
      { numRuns: 300 },
    );
    expect(mentioning).toBeGreaterThan(30);
  });

  it('a first lock of 4 servers × 2,000 shared names reports each shadow once per server', () => {
    const servers = Array.from({ length: 4 }, (_, s) => snapshotOf({ tools: Array.from({ length: 2000 }, (_, i) => tool(`tool_${i}`, `Uses tool_${(i + s) % 2000} and Tool-${i}.`)) }));
    const others = new Map(servers.map((snapshot, s) => [`s${s}`, snapshot]));
    const findings = findingsFor({ server: 's0', live: servers[0]!, changes: null, others });
    // Every name shadows its twin on each of the 3 other servers, and nothing more.
    expect(findings.filter((f) => f.rule === 'name-shadows-other-server')).toHaveLength(2000 * 3);
    expect(findings.filter((f) => f.rule === 'mentions-other-server-tool')).toHaveLength(0);
  });

  it('what is built once per run is built again for other servers or other snapshots', () => {
    // The same server's snapshot, first in order each time, with other servers beside it: each
    // call must see its own others, not the ones of the call before.
    const live = snapshotOf({ tools: [tool('aa_tool', 'Calls bb_tool and cc_tool.')] });
    const bb = snapshotOf({ tools: [tool('bb_tool', 'x'), tool('aa_tool', 'x')] });
    const cc = snapshotOf({ tools: [tool('cc_tool', 'x'), tool('aa_tool', 'x')] });
    const seen = (others: [string, ReturnType<typeof snapshotOf>][]) =>
      findingsFor({ server: 'a', live, changes: null, others: new Map(others) })
        .filter((f) => f.rule === 'mentions-other-server-tool' || f.rule === 'name-shadows-other-server')
        .map((f) => `${f.rule} ${f.args.server}`)
        .sort();
    expect(seen([['b', bb]])).toEqual(['mentions-other-server-tool b', 'name-shadows-other-server b']);
    expect(seen([['b', bb], ['c', cc]])).toEqual(['mentions-other-server-tool b', 'mentions-other-server-tool c', 'name-shadows-other-server b', 'name-shadows-other-server c']);
    // Same names, another snapshot under one of them.
    expect(seen([['b', cc]])).toEqual(['mentions-other-server-tool b', 'name-shadows-other-server b']);
    expect(seen([['b', snapshotOf({ tools: [tool('dd_tool', 'x')] })]])).toEqual([]);
    // The server's own entry in `others` is left out, whatever snapshot it holds.
    expect(seen([['a', bb], ['c', cc]])).toEqual(['mentions-other-server-tool c', 'name-shadows-other-server c']);
  });
});
