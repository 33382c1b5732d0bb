import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalize } from '../../../src/core/canonical.js';
import { jsonEqual } from '../../../src/core/json-equal.js';
import { parseStrictJson, type JsonValue } from '../../../src/core/json-strict.js';

/** A value and a near miss of it: the same value re-keyed, or one leaf, key or element changed. */
const nearMiss: fc.Arbitrary<[JsonValue, JsonValue]> = fc.jsonValue({ maxDepth: 4 }).chain((value) =>
  fc.tuple(fc.constant(value as JsonValue), fc.nat(), fc.constantFrom('reorder', 'leaf', 'add', 'drop', 'zero', 'numeric-string')).map(([v, pick, how]) => {
    const copy = parseStrictJson(JSON.stringify(v));
    const containers: Array<JsonValue[] | Record<string, JsonValue>> = [];
    const walk = (x: JsonValue): void => {
      if (typeof x !== 'object' || x === null) return;
      containers.push(x);
      for (const child of Array.isArray(x) ? x : Object.values(x)) walk(child);
    };
    walk(copy);
    const target = containers[pick % Math.max(containers.length, 1)];
    if (target === undefined) return [v, how === 'leaf' ? 'changed' : copy] as [JsonValue, JsonValue];
    const keys = Array.isArray(target) ? target.map((_, i) => i) : Object.keys(target);
    const key = keys[pick % Math.max(keys.length, 1)];
    const at = target as Record<string | number, JsonValue>;
    if (how === 'reorder' && !Array.isArray(target)) {
      const entries = Object.entries(target).reverse();
      for (const [k] of entries) delete at[k];
      for (const [k, x] of entries) at[k] = x;
    } else if (how === 'leaf' && key !== undefined) at[key] = typeof at[key] === 'string' ? `${at[key] as string}x` : 'x';
    else if (how === 'add') {
      if (Array.isArray(target)) target.push(null);
      else at['added'] = null;
    } else if (how === 'drop' && key !== undefined) {
      if (Array.isArray(target)) target.pop();
      else delete at[key];
    }
    else if (how === 'zero' && key !== undefined) at[key] = at[key] === 0 ? -0 : 0;
    else if (how === 'numeric-string' && key !== undefined) at[key] = typeof at[key] === 'number' ? String(at[key]) : at[key]!;
    return [v, copy] as [JsonValue, JsonValue];
  }),
);

describe('jsonEqual', () => {
  it('holds exactly when two values have the same RFC 8785 text (generated near misses)', () => {
    fc.assert(
      fc.property(nearMiss, ([a, b]) => {
        expect(jsonEqual(a, b)).toBe(canonicalize(a) === canonicalize(b));
        expect(jsonEqual(b, a)).toBe(jsonEqual(a, b));
      }),
      { numRuns: 2000 },
    );
  });

  it('ignores key order, not array order, and tells arrays from objects with index keys', () => {
    expect(jsonEqual(parseStrictJson('{"a":1,"b":[1,2]}'), parseStrictJson('{"b":[1,2],"a":1}'))).toBe(true);
    expect(jsonEqual(parseStrictJson('[1,2]'), parseStrictJson('[2,1]'))).toBe(false);
    expect(jsonEqual(parseStrictJson('["x"]'), parseStrictJson('{"0":"x"}'))).toBe(false);
    expect(jsonEqual(parseStrictJson('{"a":null}'), parseStrictJson('{"b":null}'))).toBe(false);
    expect(jsonEqual(parseStrictJson('{"__proto__":1}'), parseStrictJson('{"__proto__":1}'))).toBe(true);
    expect(jsonEqual(parseStrictJson('{"__proto__":1}'), parseStrictJson('{"__proto__":2}'))).toBe(false);
    expect(jsonEqual(parseStrictJson('{"toString":1}'), parseStrictJson('{"valueOf":1}'))).toBe(false);
  });
});
