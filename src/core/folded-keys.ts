/**
 * Keys as Go's encoding/json reads them. The Go MCP SDKs decode messages into structs with it, and
 * it matches a JSON key to a field case-insensitively, taking ſ (U+017F) for s and the Kelvin sign
 * (U+212A) for k, the last match winning: to such a host `"Name"` is the tool's name, and an item
 * with both `"name"` and `"Name"` is named by the second. mcpm reads members by their exact key,
 * so a member such a peer reads as one of the spec's, spelled otherwise, is one that a reviewer
 * and the guard never judged as what it is taken for.
 */
import { isJsonObject, type JsonObject } from './json-strict.js';

/** Names judged by their exact key, and how a Go peer folds them. */
export interface JudgedMembers {
  readonly names: ReadonlySet<string>;
  /** Each name by its folded form. */
  readonly byFold: ReadonlyMap<string, string>;
  /** The fold keeps the length (each folded character is one code unit): only keys this long are folded. */
  readonly lengths: ReadonlySet<number>;
}

export function judgedMembers(names: readonly string[]): JudgedMembers {
  return { names: new Set(names), byFold: new Map(names.map((name) => [goFold(name), name])), lengths: new Set(names.map((name) => name.length)) };
}

/**
 * The form a name is matched in. toLowerCase takes A-Z and the Kelvin sign to a-z, as Go's fold
 * does; ſ is lower case already, so it is mapped by hand. Any other character that lower-cases to
 * ASCII does so as a longer string (İ), so it cannot fold to a name of the same length.
 */
function goFold(key: string): string {
  const lower = key.toLowerCase();
  return lower.includes('\u017f') ? lower.replaceAll('\u017f', 's') : lower;
}

/**
 * The first member of `object` a Go peer reads as one of `judged` spelled otherwise, and the name
 * it reads it as; undefined when there is none. A key spelled exactly, or of another length, costs
 * a lookup: the members of a tool's result or of a listed item are mostly those.
 */
export function foldedMember(object: JsonObject, judged: JudgedMembers): { key: string; readAs: string } | undefined {
  for (const key in object) {
    if (!judged.lengths.has(key.length) || judged.names.has(key) || !Object.hasOwn(object, key)) continue;
    const readAs = judged.byFold.get(goFold(key));
    if (readAs !== undefined) return { key, readAs };
  }
  return undefined;
}

/** The members the spec gives a listed item (tool, prompt, resource, resource template), together. */
const ITEM_MEMBERS = judgedMembers(['_meta', 'annotations', 'arguments', 'description', 'execution', 'icons', 'inputSchema', 'mimeType', 'name', 'outputSchema', 'size', 'title', 'uri', 'uriTemplate']);
/** Of a tool's or a resource's annotations. */
const ANNOTATION_MEMBERS = judgedMembers(['audience', 'destructiveHint', 'idempotentHint', 'lastModified', 'openWorldHint', 'priority', 'readOnlyHint', 'title']);
/** Of a prompt's argument. */
const ARGUMENT_MEMBERS = judgedMembers(['description', 'name', 'required', 'title']);
/**
 * Of a tool's inputSchema and outputSchema, at their top level: mcp-go decodes them into a struct of
 * these fields (nested schemas stay maps, read by their exact keys). `"Required"` beside
 * `"required"` would change which parameters such a host calls required.
 */
const SCHEMA_MEMBERS = judgedMembers(['$defs', 'additionalProperties', 'properties', 'required', 'type']);
/** Of serverInfo (the spec's Implementation). */
export const SERVER_INFO_MEMBERS = judgedMembers(['description', 'icons', 'name', 'title', 'version', 'websiteUrl']);

/**
 * The first member of a listed item, its annotations, the top of its schemas or a prompt argument
 * of it that a Go peer reads as one of the spec's members spelled otherwise, with where it is
 * (RFC 6901, from the item).
 */
export function foldedItemMember(item: JsonObject): { pointer: string; key: string; readAs: string } | undefined {
  const own = foldedMember(item, ITEM_MEMBERS);
  if (own !== undefined) return { pointer: '', ...own };
  const annotations = item['annotations'];
  if (isJsonObject(annotations)) {
    const found = foldedMember(annotations, ANNOTATION_MEMBERS);
    if (found !== undefined) return { pointer: '/annotations', ...found };
  }
  for (const field of ['inputSchema', 'outputSchema'] as const) {
    const schema = item[field];
    const found = isJsonObject(schema) ? foldedMember(schema, SCHEMA_MEMBERS) : undefined;
    if (found !== undefined) return { pointer: `/${field}`, ...found };
  }
  const args = item['arguments'];
  if (Array.isArray(args)) {
    for (let i = 0; i < args.length; i++) {
      const arg = args[i];
      const found = isJsonObject(arg) ? foldedMember(arg, ARGUMENT_MEMBERS) : undefined;
      if (found !== undefined) return { pointer: `/arguments/${i}`, ...found };
    }
  }
  return undefined;
}

