import type { JsonValue } from './json-strict.js';

/**
 * Structural equality of JSON values; key order is irrelevant, array order is not. Equal values
 * have the same RFC 8785 text (canonical.ts): that text is a function of exactly what this compares
 * (0 and -0, equal here, are both written `0`). Plain loops, no callbacks: verify compares every
 * definition a server lists with its locked one through this.
 */
export function jsonEqual(a: JsonValue | undefined, b: JsonValue | undefined): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!jsonEqual(a[i], b[i])) return false;
    return true;
  }
  if (Array.isArray(b)) return false;
  const keys = Object.keys(a);
  if (keys.length !== Object.keys(b).length) return false;
  for (const key of keys) if (!Object.prototype.hasOwnProperty.call(b, key) || !jsonEqual(a[key], b[key])) return false;
  return true;
}
