/**
 * Key order: the same JSON value with every object's keys in UTF-16 code-unit order, the order
 * RFC 8785 and the lock write them in.
 */
import { MAX_PRINT_DEPTH } from './canonical.js';
import { inCodeUnitOrder } from './changes.js';
import type { JsonObject, JsonValue } from './json-strict.js';

/**
 * `value` with every object's keys in code-unit order: the same JSON value (jsonEqual), so every
 * integrity, change and finding is the same, but canonical.ts then prints it with the native
 * printer instead of sorting each object itself. Objects already in order are kept, not copied.
 * Integer-like keys cannot be reordered (JavaScript lists them first, by value): such an object
 * stays out of order, and the printers sort it as before. Values nested deeper than the printers
 * accept are returned as they are, for the printers to refuse.
 */
export function inKeyOrder(value: JsonValue, depth = 0): JsonValue {
  if (typeof value !== 'object' || value === null || depth >= MAX_PRINT_DEPTH) return value;
  if (Array.isArray(value)) {
    let copy: JsonValue[] | undefined;
    for (let i = 0; i < value.length; i++) {
      const item = value[i]!;
      const ordered = inKeyOrder(item, depth + 1);
      if (ordered !== item) (copy ??= value.slice())[i] = ordered;
    }
    return copy ?? value;
  }
  const keys = Object.keys(value);
  if (inCodeUnitOrder(keys)) {
    let copy: JsonObject | undefined;
    for (const key of keys) {
      const item = value[key]!;
      const ordered = inKeyOrder(item, depth + 1);
      if (ordered !== item) {
        copy ??= withKeys(value, keys);
        copy[key] = ordered;
      }
    }
    return copy ?? value;
  }
  keys.sort();
  const copy = withKeys(value, keys);
  for (const key of keys) copy[key] = inKeyOrder(value[key]!, depth + 1);
  return copy;
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
