/**
 * Walking definitions: every string of an item (values and object keys), with its JSON pointer and
 * its role (prose, identifier, key), which the string rules judge by.
 */
import { inCodeUnitOrder } from '../canonical.js';
import { pointerOf, pointerTokens, type ChangeSubject } from '../changes.js';
import { isJsonObject, type JsonValue } from '../json-strict.js';

/** Where a string sits: prose, an identifier value (`name`, `uri`), or an object key. */
export type Role = 'text' | 'name' | 'key';

/**
 * One string of a definition (a value or an object key) as the string rules judge it: the same
 * text, role and address-ness get the same hits, wherever they sit.
 */
export interface SiteText {
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

/**
 * Every string in a value, object keys included (keys in code-unit order), each passed to `visit`
 * as a site and with a function that returns the JSON pointer of its member or element, both valid
 * during that call only: most strings are judged clean and never need one, so a walk of a big schema builds no
 * pointer strings and copies no paths.
 */
export function visitSites(subject: ChangeSubject, pointer: string, value: JsonValue, includeOwnKey: boolean, visit: (site: SiteText, pointer: () => string) => void): void {
  const path = pointerTokens(pointer);
  if (includeOwnKey && path.length > 0) {
    const own = path[path.length - 1]!;
    const parent = path[path.length - 2];
    // A new array element has an index, not a key.
    if (!/^(0|[1-9][0-9]*)$/.test(own) || parent === 'properties') visit({ text: own, role: 'key', isAddress: false }, () => pointer);
  }
  const at = (): string => pointerOf(path);
  // One site object for every string, changed before each call: like the pointer, it is valid
  // during that call only (the rules keep its text, never the object), and a big schema then
  // costs no object per string.
  const site: SiteText = { text: '', role: 'text', isAddress: false };
  walk(value);

  function walk(v: JsonValue): void {
    if (typeof v === 'string') {
      site.text = v;
      site.role = roleOfValue(subject, path);
      site.isAddress = isAddressValue(subject, path);
      visit(site, at);
    } else if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) {
        const item = v[i]!;
        // Numbers, booleans and null hold no string: no place to name (enums are lists of them).
        if (typeof item !== 'string' && (typeof item !== 'object' || item === null)) continue;
        path.push(String(i));
        walk(item);
        path.pop();
      }
    } else if (isJsonObject(v)) {
      const keys = Object.keys(v);
      // The default sort orders strings by UTF-16 code units, as compareCodeUnits does, natively.
      // Most objects are in that order already (a lock's, and a first lock's listing).
      if (!inCodeUnitOrder(keys)) keys.sort();
      for (const k of keys) {
        path.push(k);
        site.text = k;
        site.role = 'key';
        site.isAddress = false;
        visit(site, at);
        walk(v[k]!);
        path.pop();
      }
    }
  }
}
