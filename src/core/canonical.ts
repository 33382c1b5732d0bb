// STUB: signatures are final; implementation pending (helper "core-lock").
import type { JsonValue } from './json-strict.js';

/** `sha256-<base64>`, the SRI form. */
export type Integrity = `sha256-${string}`;

export const CANONICALIZATION = 'RFC8785';

/** RFC 8785 (JCS) text of a value. Throws on depth beyond the strict parser's cap instead of overflowing the stack. */
export function canonicalize(_value: JsonValue): string {
  throw new Error('not implemented');
}

/** SHA-256 over the UTF-8 bytes of `canonicalize(value)`, written `sha256-<base64>`. */
export function integrityOf(_value: JsonValue): Integrity {
  throw new Error('not implemented');
}
