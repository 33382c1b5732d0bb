/**
 * Name rules: look-alike (confusable and mixed-script) names, names shadowing another server's,
 * names outside the spec's charset, and names that break plain-object maps.
 */
import { isAsciiText } from '../ascii-text.js';
import { compareCodeUnits } from '../changes.js';
import { madeOnce } from '../made-once.js';
import { sortInPlace } from '../small-sort.js';
import type { ItemKind } from '../snapshot.js';
import type { Finding, FindingContext, Hit } from './rules.js';
import { perRun, type Members, type PerRun } from './servers.js';
import type { SiteText } from './sites.js';

// A small subset of Unicode's confusables (UTS #39) covering the letters that pass for Latin in
// common fonts. Enough for the published attacks (`send_emaіl` with U+0456); not a full skeleton.
const CONFUSABLES: Readonly<Record<string, string>> = {
  а: 'a', в: 'b', е: 'e', о: 'o', р: 'p', с: 'c', у: 'y', х: 'x', і: 'i', ј: 'j', ѕ: 's', ԁ: 'd', ԛ: 'q', ԝ: 'w', ӏ: 'l', һ: 'h', ө: 'o', ү: 'y', к: 'k', м: 'm', н: 'h', т: 't', ь: 'b',
  А: 'A', В: 'B', Е: 'E', К: 'K', М: 'M', Н: 'H', О: 'O', Р: 'P', С: 'C', Т: 'T', Х: 'X', Ѕ: 'S', І: 'I', Ј: 'J', Ү: 'Y', Ԛ: 'Q', Ԝ: 'W',
  ο: 'o', α: 'a', ν: 'v', ι: 'i', κ: 'k', ρ: 'p', τ: 't', υ: 'u', χ: 'x', γ: 'y', ϲ: 'c', ϳ: 'j',
  Α: 'A', Β: 'B', Ε: 'E', Ζ: 'Z', Η: 'H', Ι: 'I', Κ: 'K', Μ: 'M', Ν: 'N', Ο: 'O', Ρ: 'P', Τ: 'T', Υ: 'Y', Χ: 'X',
  ı: 'i', ɩ: 'i', ℓ: 'l', ǀ: 'l', ɡ: 'g', ɑ: 'a', ʏ: 'y', ꭰ: 'D', Ꭺ: 'A', Ꭼ: 'E', Ꮋ: 'H', Ꮯ: 'C', Ꮪ: 'S', Ꭲ: 'T', Ꮃ: 'W', Ꮤ: 'W',
  ꓐ: 'B', ꓑ: 'P', ꓒ: 'd', ꓓ: 'D', ꓔ: 'T', ꓖ: 'G', ꓗ: 'K', ꓚ: 'C', ꓜ: 'Z', ꓝ: 'F', ꓞ: 'F', ꓟ: 'M', ꓠ: 'N', ꓡ: 'L', ꓢ: 'S', ꓣ: 'R', ꓤ: 'R', ꓦ: 'V', ꓧ: 'H', ꓪ: 'W', ꓫ: 'X', ꓬ: 'Y', ꓮ: 'A', ꓰ: 'E', ꓲ: 'I', ꓳ: 'O', ꓴ: 'U',
};

/**
 * A look-alike key for names: NFKC (fullwidth and compatibility forms), invisible characters
 * dropped, look-alike letters mapped to Latin, I/1 → l, 0 → o, rn → m, lower case. Two names with
 * the same skeleton look the same to a reviewer.
 */
export function skeletonOf(name: string): string {
  return skeletonWithLower(name, name.toLowerCase());
}

/** skeletonOf(name), given name.toLowerCase(): for most names the skeleton is that string itself. */
function skeletonWithLower(name: string, lower: string): string {
  // ASCII is its own NFKC form, holds no default-ignorable or format character and no key of
  // CONFUSABLES: only the last line applies to it, as most names are. Without I, 1, |, 0 or an r
  // and an n (of either case) side by side, that line only lower-cases.
  const ascii = isAsciiText(name);
  if (ascii && !LAST_LINE_CHANGES.test(name)) return lower;
  let s = name;
  if (!ascii) {
    // Marks go too, after decomposition: `ı` with a combining dot above looks like `i`, `é` like `e`.
    s = s.normalize('NFKC').normalize('NFD').replace(/[\p{Default_Ignorable_Code_Point}\p{Cf}\p{M}]/gu, '');
    s = [...s].map((c) => CONFUSABLES[c] ?? c).join('');
  }
  return s.replace(/[I1|]/g, 'l').toLowerCase().replace(/0/g, 'o').replace(/rn/g, 'm');
}

/** What the last line of skeletonWithLower changes in ASCII besides the case ("RN" lower-cases to "rn", then "m"). */
const LAST_LINE_CHANGES = /[I1|0]|[rR][nN]/;

const LOOKALIKE_SCRIPTS = ['Cyrillic', 'Greek', 'Armenian', 'Cherokee', 'Coptic', 'Lisu', 'Canadian_Aboriginal'] as const;
// Made at their first use (made-once.ts): a class of Unicode properties costs V8 up to 0.1 ms to build.
const SCRIPT_TESTS = madeOnce(() => LOOKALIKE_SCRIPTS.map((script) => [script, new RegExp(`\\p{Script=${script}}`, 'u')] as const));
const LATIN_LETTER = madeOnce(() => /\p{Script=Latin}/u);

/** The look-alike scripts mixed with Latin letters in a name, or [] when it is single-script. */
export function mixedScripts(name: string): string[] {
  // Every look-alike script is outside ASCII, where most names are: one test instead of eight.
  if (isAsciiText(name) || !LATIN_LETTER().test(name)) return [];
  return SCRIPT_TESTS().filter(([, re]) => re.test(name)).map(([script]) => script);
}

const SPEC_TOOL_NAME = /^[A-Za-z0-9_.-]{1,128}$/;
const RESERVED_JS_NAMES = new Set(['__proto__', 'constructor', 'prototype']);
const NAMED_KINDS: readonly ItemKind[] = ['tools', 'prompts'];

/** A configured server's name of one kind, with what names are compared on and sorted by. */
interface NameEntry {
  server: string;
  name: string;
  lower: string;
  skeleton: string;
  /** JSON.stringify of the server: findings are ordered by their args' JSON text (nameFindings). */
  quotedServer: string;
}

/**
 * What nameFindings compares names with: every configured server's names of each kind, in maps
 * keyed by the lower-cased form and the skeleton, so a first lock of many big servers is linear in
 * the number of names, not quadratic. The same for the findings of every server of a run (each
 * skips its own entries where it looks for other servers'), so built once.
 */
export interface NameIndex {
  /** The server whose findings these are. */
  server: string;
  kinds: ReadonlyMap<ItemKind, KindNames>;
}

interface KindNames {
  /** Server → its names → their entries. */
  own: ReadonlyMap<string, ReadonlyMap<string, NameEntry>>;
  /** Lower-cased name → its entries, by quoted server, then quoted name (byQuotedNames). */
  lower: ReadonlyMap<string, readonly NameEntry[]>;
  /** Skeleton → its entries, in the same order. */
  skeleton: ReadonlyMap<string, readonly NameEntry[]>;
}

function byQuotedNames(a: NameEntry, b: NameEntry): number {
  return compareCodeUnits(a.quotedServer, b.quotedServer) || compareCodeUnits(JSON.stringify(a.name), JSON.stringify(b.name));
}

const indexed: PerRun<ReadonlyMap<ItemKind, KindNames>> = new WeakMap();

/**
 * Appends `entry` to its list in `map`. The servers are walked in byQuotedNames order, so a list is
 * in order as it grows unless it gets two names of one server (`Foo` and `foo`): such a list is
 * put in `unsorted`, to be sorted once all are in.
 */
function add(map: Map<string, NameEntry[]>, key: string, entry: NameEntry, unsorted: Set<NameEntry[]>): void {
  const list = map.get(key);
  if (list === undefined) {
    map.set(key, [entry]);
    return;
  }
  if (list[list.length - 1]!.server === entry.server) unsorted.add(list);
  list.push(entry);
}

export function nameIndex(context: FindingContext): NameIndex {
  return { server: context.server, kinds: perRun(indexed, context, buildNameIndex) };
}

function buildNameIndex(members: Members): ReadonlyMap<ItemKind, KindNames> {
  // In the order of their quoted names (byQuotedNames), which may differ from their own (a quote or
  // a control character is escaped): every list then grows in order (add). Servers that share
  // their names have a list of several entries for each, and sorting those thousands of lists was
  // a tenth of a first lock's findings.
  const servers = members.map(([server, snapshot]) => ({ server, snapshot, quotedServer: JSON.stringify(server) }));
  servers.sort((a, b) => compareCodeUnits(a.quotedServer, b.quotedServer));
  const kinds = new Map<ItemKind, KindNames>();
  for (const kind of NAMED_KINDS) {
    const own = new Map<string, Map<string, NameEntry>>();
    const lower = new Map<string, NameEntry[]>();
    const skeleton = new Map<string, NameEntry[]>();
    const unsorted = new Set<NameEntry[]>();
    for (const { server, snapshot, quotedServer } of servers) {
      const entries = new Map<string, NameEntry>();
      // Map.forEach, not for-of: no iterator result per name (run once per name of a first lock, cold).
      snapshot[kind].forEach((_, name) => {
        const lowered = name.toLowerCase();
        const entry: NameEntry = { server, name, lower: lowered, skeleton: skeletonWithLower(name, lowered), quotedServer };
        entries.set(name, entry);
        add(lower, entry.lower, entry, unsorted);
        add(skeleton, entry.skeleton, entry, unsorted);
      });
      own.set(server, entries);
    }
    for (const list of unsorted) sortInPlace(list, byQuotedNames);
    kinds.set(kind, { own, lower, skeleton });
  }
  return kinds;
}

/**
 * Name findings by severity, each list in findingsFor's order (severity, subject, key, pointer,
 * rule, then the args' JSON text) when nameFindings is called for each subject in CHANGE_SUBJECTS
 * order and each of its keys in code-unit order: a first lock of servers sharing their names has
 * thousands, and sorting them cost more than finding them. There is no low one.
 */
export interface NamedFindings {
  high: Finding[];
  medium: Finding[];
}

/**
 * Adds the findings of `names` (of one subject, in code-unit order) to `out`, in order. Within one
 * name the subject, key and pointer are the same, so the order is by rule and then by args, whose
 * JSON text is compared: the same keys up to the first value that differs, and then two quoted
 * strings, which first differ inside both (a quoted string is never the start of another: its
 * closing quote would be a raw quote in the other). So the args are in order by the quoted values
 * in turn, as entries are listed; and `{"name":…,"other":…}` comes before `{"name":…,"server":…}`.
 * `index` builds the NameIndex on first use and returns the same one after.
 */
export function nameFindings(index: () => NameIndex, subject: ItemKind, names: readonly string[], out: NamedFindings): void {
  const pointer = subject === 'tools' || subject === 'prompts' ? '/name' : '';
  // Looked up once for all of a subject's names, not once per name: a first lock has thousands.
  const kind = NAMED_KINDS.includes(subject) && names.length > 0 ? index().kinds.get(subject)! : undefined;
  const self = kind === undefined ? '' : index().server;
  const own = kind?.own.get(self);
  // Indexed loops, not for-of: this runs once per name of a first lock, mostly before V8 compiles it.
  for (let n = 0; n < names.length; n++) {
    const name = names[n]!;
    // Rules in code-unit order within each severity: high confusable-name, then name-shadows-other-server;
    // medium name-shadows-other-server, then non-spec-tool-name, then reserved-js-name.
    if (kind !== undefined) {
      const entry = own?.get(name);
      const lower = entry?.lower ?? name.toLowerCase();
      const skeleton = entry?.skeleton ?? skeletonOf(name);
      const sameSkeleton = kind.skeleton.get(skeleton) ?? NO_ENTRIES;
      for (let i = 0; i < sameSkeleton.length; i++) {
        const { server, name: other } = sameSkeleton[i]!;
        if (server === self && other !== name) out.high.push({ rule: 'confusable-name', severity: 'high', subject, key: name, pointer, args: { name, other } });
      }
      for (let i = 0; i < sameSkeleton.length; i++) {
        const { server, name: other, lower: otherLower } = sameSkeleton[i]!;
        // Another server's name differing only in case is a shadow (below), not a look-alike.
        if (server !== self && otherLower !== lower) out.high.push({ rule: 'confusable-name', severity: 'high', subject, key: name, pointer, args: { name, server, other } });
      }
      const sameLower = kind.lower.get(lower) ?? NO_ENTRIES;
      for (let i = 0; i < sameLower.length; i++) {
        const { server, name: other } = sameLower[i]!;
        if (server === self) continue;
        if (other === name) out.medium.push({ rule: 'name-shadows-other-server', severity: 'medium', subject, key: name, pointer, args: { name, server } });
        else out.high.push({ rule: 'name-shadows-other-server', severity: 'high', subject, key: name, pointer, args: { name, server, other } });
      }
    }
    if (subject === 'tools' && !SPEC_TOOL_NAME.test(name)) out.medium.push({ rule: 'non-spec-tool-name', severity: 'medium', subject, key: name, pointer, args: { name } });
    if (RESERVED_JS_NAMES.has(name)) out.medium.push({ rule: 'reserved-js-name', severity: 'medium', subject, key: name, pointer, args: { name } });
    // mixed-script-name comes from the `/name` string itself (see schemaKeyFindings).
  }
}

const NO_ENTRIES: readonly NameEntry[] = [];

/**
 * For VERBATIM_JSON text (characters.ts): no string in it can hold a hit of schemaKeyFindings. Its
 * strings are ASCII, which mixes no script with Latin, and a reserved name as a key is in the
 * text in quotes.
 */
const RESERVED_JS_STRING = new RegExp([...RESERVED_JS_NAMES].map((name) => JSON.stringify(name)).join('|'));

export function quietKeys(json: string): boolean {
  return !RESERVED_JS_STRING.test(json);
}

/** Rules for identifiers inside a definition: the item's `name`, prompt argument names, object keys. */
export function schemaKeyFindings(site: SiteText): Hit[] {
  const hits: Hit[] = [];
  const scripts = mixedScripts(site.text);
  if (scripts.length > 0) hits.push({ rule: 'mixed-script-name', severity: site.role === 'key' ? 'medium' : 'high', identity: site.text, args: { name: site.text, scripts: ['Latin', ...scripts].join(', ') } });
  if (site.role === 'key' && RESERVED_JS_NAMES.has(site.text)) hits.push({ rule: 'reserved-js-name', severity: 'medium', identity: site.text, args: { name: site.text } });
  return hits;
}
