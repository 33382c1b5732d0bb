/**
 * Key order: the same JSON value with every object's keys in UTF-16 code-unit order, the order
 * RFC 8785 and the lock write them in.
 */
import { markNative, MAX_PRINT_DEPTH } from './canonical.js';
import type { JsonObject, JsonValue } from './json-strict.js';

/**
 * `value` with every object's keys in code-unit order: the same JSON value (jsonEqual), so every
 * integrity, change and finding is the same, but canonical.ts then prints it with the native
 * printer instead of sorting each object itself. Objects already in order are kept, not copied.
 * Integer-like keys cannot be reordered (JavaScript lists them first, by value): such an object
 * stays out of order, and the printers sort it as before. Values nested deeper than the printers
 * accept are returned as they are, for the printers to refuse. A container returned that the
 * native printer writes as the printers do is marked so (markNative): printing and hashing it, and
 * any snapshot or lock that holds it, then need no walk of it to find that out.
 */
export function inKeyOrder(value: JsonValue, depth = 0): JsonValue {
  const ordered = order(value, depth);
  if (native && typeof ordered === 'object' && ordered !== null) markNative(ordered, height);
  return ordered;
}

// What order() found of the value it returned last: whether JSON.stringify writes it as
// writeSortedJson does (nativeSubtrees' rule), and how many levels of containers it has.
let native = true;
let height = 0;

function order(value: JsonValue, depth: number): JsonValue {
  if (typeof value !== 'object' || value === null) {
    native = typeof value === 'number' ? Number.isFinite(value) : typeof value === 'string' || typeof value === 'boolean' || value === null;
    height = 0;
    return value;
  }
  if (depth >= MAX_PRINT_DEPTH) {
    native = false;
    height = 0;
    return value;
  }
  // Of the members or elements ordered so far: read from `native` and `height` after each order().
  let allNative = true;
  let below = 0;
  let result: JsonValue;
  if (Array.isArray(value)) {
    let copy: JsonValue[] | undefined;
    for (let i = 0; i < value.length; i++) {
      const item = value[i]!;
      const ordered = order(item, depth + 1);
      allNative &&= native;
      if (height > below) below = height;
      if (ordered !== item) (copy ??= value.slice())[i] = ordered;
    }
    result = copy ?? value;
  } else {
    const prototype = Object.getPrototypeOf(value) as unknown;
    if (prototype !== null && prototype !== Object.prototype) allNative = false;
    const keys = Object.keys(value);
    let sorted = true;
    for (let i = 1; i < keys.length && sorted; i++) sorted = keys[i - 1]! < keys[i]!;
    if (sorted) {
      let copy: JsonObject | undefined;
      for (const key of keys) {
        const item = value[key]!;
        const ordered = order(item, depth + 1);
        allNative &&= native;
        if (height > below) below = height;
        if (ordered !== item) {
          copy ??= withKeys(value, keys);
          copy[key] = ordered;
        }
      }
      result = copy ?? value;
    } else {
      keys.sort();
      const copy = withKeys(value, keys);
      for (const key of keys) {
        copy[key] = order(value[key]!, depth + 1);
        allNative &&= native;
        if (height > below) below = height;
      }
      // Integer-like keys are listed first whatever the order they were added in.
      const listed = Object.keys(copy);
      for (let i = 1; i < listed.length && allNative; i++) allNative = listed[i - 1]! < listed[i]!;
      result = copy;
    }
  }
  native = allNative;
  height = below + 1;
  return result;
}

/**
 * A JsonObject (no prototype) with `keys` of `from`, in that order. Built as a literal whose
 * prototype is removed after, as parseNativeJson's objects are: V8 keeps such an object in its fast
 * layout (Object.create(null) makes a dictionary, slower to print). A `__proto__` key would set the
 * literal's prototype instead of adding a member: that object (rare, and hostile) is a dictionary.
 */
function withKeys(from: JsonObject, keys: readonly string[]): JsonObject {
  if (keys.includes('__proto__')) {
    const copy = Object.create(null) as JsonObject;
    for (const key of keys) copy[key] = from[key]!;
    return copy;
  }
  const copy: Record<string, JsonValue> = {};
  for (const key of keys) copy[key] = from[key]!;
  return Object.setPrototypeOf(copy, null) as JsonObject;
}
