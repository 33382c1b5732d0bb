/**
 * Drift-only rules: what a modified tool newly asks for or claims. New input parameters (free-text
 * ones above all) and annotations that widen or narrow the tool's declared effects.
 */
import { compareCodeUnits, escapePointerToken, pointerOf, pointerTokens, valueAt, type ItemChange } from '../changes.js';
import { isJsonObject, type JsonValue } from '../json-strict.js';
import type { Finding } from './rules.js';

/** Pointers of every property in a JSON Schema (`properties`, nested objects and items, `$defs`). */
function schemaProperties(schema: JsonValue | undefined, base: string, out: Map<string, JsonValue>): void {
  if (Array.isArray(schema)) {
    schema.forEach((s, i) => schemaProperties(s, `${base}/${i}`, out));
    return;
  }
  if (!isJsonObject(schema)) return;
  for (const k of Object.keys(schema)) {
    const at = `${base}/${escapePointerToken(k)}`;
    const v = schema[k]!;
    if (k === 'properties' && isJsonObject(v)) {
      for (const name of Object.keys(v)) {
        out.set(`${at}/${escapePointerToken(name)}`, v[name]!);
        schemaProperties(v[name], `${at}/${escapePointerToken(name)}`, out);
      }
    } else if (k !== 'enum' && k !== 'const' && k !== 'default' && k !== 'examples') {
      schemaProperties(v, at, out);
    }
  }
}

function isFreeText(schema: JsonValue): boolean {
  if (!isJsonObject(schema)) return schema === true;
  const type = schema.type;
  const allowsString = type === undefined || type === 'string' || (Array.isArray(type) && type.includes('string'));
  if (!allowsString) return false;
  return !['enum', 'const', 'pattern', 'format', '$ref', 'oneOf', 'anyOf', 'allOf'].some((k) => Object.prototype.hasOwnProperty.call(schema, k));
}

function requiredNames(definition: JsonValue | undefined, parentPointer: string): ReadonlySet<string> {
  // The pointer comes from schemaProperties over the same definition: own keys and canonical indices only.
  const node = valueAt(definition, parentPointer);
  const required = isJsonObject(node) ? node.required : undefined;
  return new Set(Array.isArray(required) ? required.filter((r): r is string => typeof r === 'string') : []);
}

export function parameterFindings(change: ItemChange): Finding[] {
  const before = new Map<string, JsonValue>();
  const after = new Map<string, JsonValue>();
  schemaProperties(isJsonObject(change.before) ? change.before.inputSchema : undefined, '/inputSchema', before);
  schemaProperties(isJsonObject(change.after) ? change.after.inputSchema : undefined, '/inputSchema', after);
  const out: Finding[] = [];
  for (const [pointer, schema] of [...after].sort(([a], [b]) => compareCodeUnits(a, b))) {
    if (before.has(pointer)) continue;
    const tokens = pointerTokens(pointer);
    const name = tokens[tokens.length - 1]!;
    // The schema object that holds `properties`, whose `required` lists this parameter.
    const holder = pointerOf(tokens.slice(0, -2));
    const required = requiredNames(change.after, holder).has(name);
    const args = { name, required: required ? 'yes' : 'no' };
    if (isFreeText(schema)) {
      // Invariant's `sidenote`: a new required free-text field is where read secrets are sent.
      out.push({ rule: 'new-free-text-parameter', severity: required ? 'high' : 'medium', subject: change.subject, key: change.key, pointer, args });
    } else {
      out.push({ rule: 'new-parameter', severity: 'low', subject: change.subject, key: change.key, pointer, args });
    }
  }
  return out;
}

/** Spec defaults (schema.ts ToolAnnotations): readOnly false, destructive true, idempotent false, openWorld true. */
const ANNOTATION_DEFAULTS = { readOnlyHint: false, destructiveHint: true, idempotentHint: false, openWorldHint: true } as const;
/** The value each hint has when the tool claims to do *more* (touch more, destroy more, reach further). */
const WIDER = { readOnlyHint: false, destructiveHint: true, idempotentHint: false, openWorldHint: true } as const;

function annotationOf(definition: JsonValue | undefined, hint: keyof typeof ANNOTATION_DEFAULTS): { value: boolean; explicit: boolean } {
  const annotations = isJsonObject(definition) ? definition.annotations : undefined;
  const value = isJsonObject(annotations) ? annotations[hint] : undefined;
  return typeof value === 'boolean' ? { value, explicit: true } : { value: ANNOTATION_DEFAULTS[hint], explicit: false };
}

function describeHint(h: { value: boolean; explicit: boolean }): string {
  return h.explicit ? String(h.value) : `${h.value} (default)`;
}

export function annotationFindings(change: ItemChange): Finding[] {
  const out: Finding[] = [];
  for (const hint of Object.keys(ANNOTATION_DEFAULTS) as (keyof typeof ANNOTATION_DEFAULTS)[]) {
    const before = annotationOf(change.before, hint);
    const after = annotationOf(change.after, hint);
    if (before.value === after.value) continue;
    const args = { annotation: hint, before: describeHint(before), after: describeHint(after) };
    const pointer = `/annotations/${hint}`;
    if (after.value === WIDER[hint]) {
      // idempotentHint true → false is a weaker promise, not a wider effect: leave it to the diff.
      if (hint !== 'idempotentHint') out.push({ rule: 'annotation-widened', severity: 'high', subject: change.subject, key: change.key, pointer, args });
    } else {
      // A host that auto-approves read-only tools is talked into it by a flipped flag.
      out.push({ rule: 'annotation-narrowed', severity: hint === 'idempotentHint' ? 'low' : 'medium', subject: change.subject, key: change.key, pointer, args });
    }
  }
  return out;
}
