// STUB: types are final; implementation pending (helper "core-lock").
export type JsonValue = null | boolean | number | string | JsonValue[] | JsonObject;
/** Always created with a null prototype: keys such as `__proto__` are ordinary own keys. */
export interface JsonObject {
  [key: string]: JsonValue;
}

export interface StrictJsonLimits {
  /** Nesting depth of arrays and objects; deeper input is rejected, never recursed into. */
  maxDepth?: number;
}

export const DEFAULT_MAX_DEPTH = 128;

/** Thrown for any input the strict parser refuses; `offset`, `line` and `column` locate it (1-based line/column). */
export class StrictJsonError extends Error {
  override readonly name = 'StrictJsonError';
  constructor(
    message: string,
    readonly offset: number,
    readonly line: number,
    readonly column: number,
  ) {
    super(message);
  }
}

/**
 * Parses JSON text strictly: duplicate keys, lone surrogates (raw or escaped), integers outside
 * the safe range, and nesting deeper than `maxDepth` are errors, never silently resolved.
 */
export function parseStrictJson(_text: string, _limits?: StrictJsonLimits): JsonValue {
  throw new Error('not implemented');
}

export function isJsonObject(value: JsonValue | undefined): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
