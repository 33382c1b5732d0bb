import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalize, inKeyOrder, MAX_PRINT_DEPTH, writeSortedJson } from '../../../src/core/canonical.js';
import { jsonEqual } from '../../../src/core/json-equal.js';
import { parseStrictJson, type JsonObject, type JsonValue } from '../../../src/core/json-strict.js';

/** Whether every object's own keys are listed in code-unit order (integer-like keys aside, which JavaScript lists first). */
function inOrder(value: JsonValue): boolean {
  if (typeof value !== 'object' || value === null) return true;
  if (Array.isArray(value)) return value.every(inOrder);
  const keys = Object.keys(value);
  const integerLike = keys.some((k) => /^(0|[1-9][0-9]*)$/.test(k));
  return (integerLike || keys.every((k, i) => i === 0 || keys[i - 1]! < k)) && Object.values(value).every(inOrder);
}

describe('inKeyOrder', () => {
  it('gives the same value with its keys in code-unit order, and leaves the served one as it was', () => {
    const key = fc.oneof(fc.string({ unit: 'binary', maxLength: 3 }), fc.constantFrom('__proto__', 'toJSON', '10', '2', 'a', 'B'));
    const value = fc.letrec<{ v: JsonValue }>((tie) => ({
      v: fc.oneof(
        { depthSize: 'small' },
        fc.constantFrom<JsonValue>(0, -0, 1.5, true, null, '\ud800', 'é'),
        fc.array(tie('v'), { maxLength: 3 }),
        fc.dictionary(key, tie('v'), { maxKeys: 5 }).map((o) => Object.assign(Object.create(null) as JsonObject, o)),
      ),
    })).v;
    fc.assert(
      fc.property(value, (v) => {
        const before = JSON.stringify(v);
        const ordered = inKeyOrder(v);
        expect(JSON.stringify(v)).toBe(before);
        expect(jsonEqual(ordered, v)).toBe(true);
        expect(canonicalize(ordered)).toBe(canonicalize(v));
        expect(writeSortedJson(ordered, { indent: '  ', eol: '\n' })).toBe(writeSortedJson(v, { indent: '  ', eol: '\n' }));
        expect(inOrder(ordered)).toBe(true);
      }),
      { numRuns: 1000 },
    );
  });

  it('orders what a server sends (parsed JSON text), __proto__ kept as an ordinary key', () => {
    fc.assert(
      fc.property(fc.jsonValue({ stringUnit: 'binary', maxDepth: 5 }), (json) => {
        const served = parseStrictJson(JSON.stringify(json));
        const ordered = inKeyOrder(served);
        expect(canonicalize(ordered)).toBe(canonicalize(served));
        expect(inOrder(ordered)).toBe(true);
      }),
      { numRuns: 300 },
    );
    const served = parseStrictJson('{"name":"x","__proto__":{"b":1,"a":2},"description":"d"}') as JsonObject;
    const ordered = inKeyOrder(served) as JsonObject;
    expect(Object.keys(ordered)).toEqual(['__proto__', 'description', 'name']);
    expect(Object.getPrototypeOf(ordered)).toBeNull();
    expect(Object.keys(ordered['__proto__'] as JsonObject)).toEqual(['a', 'b']);
  });

  // inKeyOrder also records what it returns as printable natively (JSON.stringify), which the
  // printers then trust without a walk: anything they would refuse or print another way must not be.
  it('what the printers refuse or print otherwise, they still do after inKeyOrder', () => {
    const text = (v: unknown) => {
      try {
        return canonicalize(v as JsonValue);
      } catch (error) {
        return `threw: ${(error as Error).message}`;
      }
    };
    class WithToJson {
      a = 1;
      toJSON() {
        return 'replaced';
      }
    }
    let deep: unknown = 1;
    for (let i = 0; i <= MAX_PRINT_DEPTH; i++) deep = { b: 1, a: deep };
    const odd: unknown[] = [
      { b: 1, a: Number.NaN },
      { b: [1, Infinity], a: 1 },
      { b: 1, a: undefined },
      // eslint-disable-next-line no-sparse-arrays
      { b: [1, , 2], a: 1 },
      [{ b: 1, a: () => 1 }],
      { b: 1, a: new WithToJson() },
      { z: Object.create({ toJSON: () => 'inherited' }) as object, a: 1 },
      { '10': 1, '9': 2, a: 3 },
      { b: { '10': 1, '9': 2 }, a: 1 },
      deep,
    ];
    for (const value of odd) {
      const before = text(value);
      expect(text(inKeyOrder(value as JsonValue)), before).toBe(before);
    }
  });

  it('keeps an object already in order, and everything in it', () => {
    const inner = parseStrictJson('{"a":[1,{"b":2,"c":3}],"d":"e"}');
    const outer = parseStrictJson('{"y":1,"x":2}') as JsonObject;
    outer.z = inner;
    expect(inKeyOrder(inner)).toBe(inner);
    expect((inKeyOrder(outer) as JsonObject).z).toBe(inner);
  });
});
