/**
 * Walking definitions: every string of an item (values and object keys) as a Site, with its JSON
 * pointer and its role (prose, identifier, key), which the string rules judge by.
 */
import { compareCodeUnits, escapePointerToken, pointerOf, pointerTokens, type ChangeSubject } from '../changes.js';
import { isJsonObject, type JsonValue } from '../json-strict.js';

/** Where a string sits: prose, an identifier value (`name`, `uri`), or an object key. */
export type Role = 'text' | 'name' | 'key';

/** One string of a definition (a value or an object key) and where it sits. */
export interface Site {
  subject: ChangeSubject;
  key: string;
  pointer: string;
  text: string;
  role: Role;
  /** Strings at `$schema`, `$id`, `$ref` and the item's own key field are addresses, not prose. */
  isAddress: boolean;
}

const ADDRESS_KEYS = new Set(['$schema', '$id', '$ref']);

function roleOfValue(subject: ChangeSubject, tokens: readonly string[]): Role {
  const last = tokens[tokens.length - 1];
  if (tokens.length === 1 && (last === 'name' || last === 'uri' || last === 'uriTemplate')) return 'name';
  // prompt arguments: /arguments/<i>/name
  if (subject === 'prompts' && tokens.length === 3 && tokens[0] === 'arguments' && last === 'name') return 'name';
  return 'text';
}

function isAddressValue(subject: ChangeSubject, tokens: readonly string[]): boolean {
  const last = tokens[tokens.length - 1];
  if (last !== undefined && ADDRESS_KEYS.has(last)) return true;
  return tokens.length === 1 && ((subject === 'resources' && last === 'uri') || (subject === 'resourceTemplates' && last === 'uriTemplate'));
}

/** Every string in a value, object keys included, with the pointer of the member or element. */
export function collectSites(subject: ChangeSubject, key: string, pointer: string, value: JsonValue, out: Site[], includeOwnKey: boolean): void {
  const tokens = pointerTokens(pointer);
  if (includeOwnKey && tokens.length > 0) {
    const own = tokens[tokens.length - 1]!;
    const parent = tokens[tokens.length - 2];
    // A new array element has an index, not a key.
    if (!/^(0|[1-9][0-9]*)$/.test(own) || parent === 'properties') out.push({ subject, key, pointer, text: own, role: 'key', isAddress: false });
  }
  walk(value, tokens, pointerOf(tokens));

  // `path` is one array, pushed and popped, and each pointer extends its parent's: a walk of a big
  // schema allocates no copied paths and escapes each key once.
  function walk(v: JsonValue, path: string[], at: string): void {
    if (typeof v === 'string') {
      out.push({ subject, key, pointer: at, text: v, role: roleOfValue(subject, path), isAddress: isAddressValue(subject, path) });
    } else if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) {
        const token = String(i);
        path.push(token);
        walk(v[i]!, path, `${at}/${token}`);
        path.pop();
      }
    } else if (isJsonObject(v)) {
      for (const k of Object.keys(v).sort(compareCodeUnits)) {
        const pointer = `${at}/${escapePointerToken(k)}`;
        out.push({ subject, key, pointer, text: k, role: 'key', isAddress: false });
        path.push(k);
        walk(v[k]!, path, pointer);
        path.pop();
      }
    }
  }
}
