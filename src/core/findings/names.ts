/**
 * Name rules: look-alike (confusable and mixed-script) names, names shadowing another server's,
 * names outside the spec's charset, and names that break plain-object maps.
 */
import { compareCodeUnits } from '../changes.js';
import type { ItemKind, Snapshot } from '../snapshot.js';
import type { Finding, FindingContext, Hit, RuleId, Severity } from './rules.js';
import type { SiteText } from './sites.js';

// A small subset of Unicode's confusables (UTS #39) covering the letters that pass for Latin in
// common fonts. Enough for the published attacks (`send_emaіl` with U+0456); not a full skeleton.
const CONFUSABLES: Readonly<Record<string, string>> = {
  а: 'a', в: 'b', е: 'e', о: 'o', р: 'p', с: 'c', у: 'y', х: 'x', і: 'i', ј: 'j', ѕ: 's', ԁ: 'd', ԛ: 'q', ԝ: 'w', ӏ: 'l', һ: 'h', ө: 'o', ү: 'y', к: 'k', м: 'm', н: 'h', т: 't', ь: 'b',
  А: 'A', В: 'B', Е: 'E', К: 'K', М: 'M', Н: 'H', О: 'O', Р: 'P', С: 'C', Т: 'T', Х: 'X', Ѕ: 'S', І: 'I', Ј: 'J', Ү: 'Y', Ԛ: 'Q', Ԝ: 'W',
  ο: 'o', α: 'a', ν: 'v', ι: 'i', κ: 'k', ρ: 'p', τ: 't', υ: 'u', χ: 'x', γ: 'y', ϲ: 'c', ϳ: 'j',
  Α: 'A', Β: 'B', Ε: 'E', Ζ: 'Z', Η: 'H', Ι: 'I', Κ: 'K', Μ: 'M', Ν: 'N', Ο: 'O', Ρ: 'P', Τ: 'T', Υ: 'Y', Χ: 'X',
  ı: 'i', ɩ: 'i', ℓ: 'l', ɡ: 'g', ɑ: 'a', ʏ: 'y', ꭰ: 'D', Ꭺ: 'A', Ꭼ: 'E', Ꮋ: 'H', Ꮯ: 'C', Ꮪ: 'S', Ꭲ: 'T', Ꮃ: 'W', Ꮤ: 'W',
  ꓐ: 'B', ꓑ: 'P', ꓒ: 'd', ꓓ: 'D', ꓔ: 'T', ꓖ: 'G', ꓗ: 'K', ꓚ: 'C', ꓜ: 'Z', ꓝ: 'F', ꓞ: 'F', ꓟ: 'M', ꓠ: 'N', ꓡ: 'L', ꓢ: 'S', ꓣ: 'R', ꓤ: 'R', ꓦ: 'V', ꓧ: 'H', ꓪ: 'W', ꓫ: 'X', ꓬ: 'Y', ꓮ: 'A', ꓰ: 'E', ꓲ: 'I', ꓳ: 'O', ꓴ: 'U',
};

/**
 * A look-alike key for names: NFKC (fullwidth and compatibility forms), invisible characters
 * dropped, look-alike letters mapped to Latin, I/1 → l, 0 → o, rn → m, lower case. Two names with
 * the same skeleton look the same to a reviewer.
 */
export function skeletonOf(name: string): string {
  // ASCII is its own NFKC form, holds no default-ignorable or format character and no key of
  // CONFUSABLES: only the last line applies to it, as most names are.
  let s = name;
  if (!ASCII.test(name)) {
    s = s.normalize('NFKC').replace(/[\p{Default_Ignorable_Code_Point}\p{Cf}]/gu, '');
    s = [...s].map((c) => CONFUSABLES[c] ?? c).join('');
  }
  return s.replace(/[I1|]/g, 'l').toLowerCase().replace(/0/g, 'o').replace(/rn/g, 'm');
}

const ASCII = /^\p{ASCII}*$/u;

const LOOKALIKE_SCRIPTS = ['Cyrillic', 'Greek', 'Armenian', 'Cherokee', 'Coptic', 'Lisu', 'Canadian_Aboriginal'] as const;
const SCRIPT_TESTS = LOOKALIKE_SCRIPTS.map((script) => [script, new RegExp(`\\p{Script=${script}}`, 'u')] as const);
const LATIN_LETTER = /\p{Script=Latin}/u;

/** The look-alike scripts mixed with Latin letters in a name, or [] when it is single-script. */
export function mixedScripts(name: string): string[] {
  // Every look-alike script is outside ASCII, where most names are: one test instead of eight.
  if (ASCII.test(name) || !LATIN_LETTER.test(name)) return [];
  return SCRIPT_TESTS.filter(([, re]) => re.test(name)).map(([script]) => script);
}

const SPEC_TOOL_NAME = /^[A-Za-z0-9_.-]{1,128}$/;
const RESERVED_JS_NAMES = new Set(['__proto__', 'constructor', 'prototype']);
const NAMED_KINDS: readonly ItemKind[] = ['tools', 'prompts'];

/** One snapshot's names of one kind, grouped by what they are compared on. */
interface KindNames {
  exact: ReadonlySet<string>;
  /** Lower-cased name → the names, in code-unit order. */
  lower: ReadonlyMap<string, readonly string[]>;
  /** Skeleton → the names, in code-unit order. */
  skeleton: ReadonlyMap<string, readonly string[]>;
  /** Name → its skeleton. */
  skeletons: ReadonlyMap<string, string>;
}

/**
 * What nameFindings compares names with: each name is looked up in maps keyed by its lower-cased
 * form and its skeleton, so a first lock of many big servers is linear in the number of names, not
 * quadratic. Kept per snapshot: every server's findings compare with the same other snapshots.
 */
export interface NameIndex {
  own: ReadonlyMap<ItemKind, KindNames>;
  /** The other configured servers (this one left out) in code-unit order. */
  others: readonly { server: string; names: ReadonlyMap<ItemKind, KindNames> }[];
}

const indexed = new WeakMap<Snapshot, ReadonlyMap<ItemKind, KindNames>>();

function group(names: readonly string[], keyOf: (name: string) => string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const name of names) {
    const key = keyOf(name);
    const list = out.get(key);
    if (list) list.push(name);
    else out.set(key, [name]);
  }
  return out;
}

function namesOf(snapshot: Snapshot): ReadonlyMap<ItemKind, KindNames> {
  let names = indexed.get(snapshot);
  if (names === undefined) {
    names = new Map(
      NAMED_KINDS.map((kind) => {
        // The default sort orders strings by UTF-16 code units, as compareCodeUnits does, natively.
        const sorted = [...snapshot[kind].keys()].sort();
        const skeletons = new Map(sorted.map((name) => [name, skeletonOf(name)]));
        return [kind, { exact: new Set(sorted), lower: group(sorted, (name) => name.toLowerCase()), skeleton: group(sorted, (name) => skeletons.get(name)!), skeletons }];
      }),
    );
    indexed.set(snapshot, names);
  }
  return names;
}

export function nameIndex(context: FindingContext): NameIndex {
  return {
    own: namesOf(context.live),
    others: [...context.others]
      .filter(([server]) => server !== context.server)
      .sort(([a], [b]) => compareCodeUnits(a, b))
      .map(([server, snapshot]) => ({ server, names: namesOf(snapshot) })),
  };
}

/** Adds the name's findings to `out`. `names` builds the NameIndex on first use and returns the same one after. */
export function nameFindings(names: () => NameIndex, subject: ItemKind, name: string, out: Finding[]): void {
  const pointer = subject === 'tools' || subject === 'prompts' ? '/name' : '';
  const at = (rule: RuleId, severity: Severity, args: Record<string, string | number>): Finding => ({ rule, severity, subject, key: name, pointer, args });

  if (subject === 'tools' && !SPEC_TOOL_NAME.test(name)) out.push(at('non-spec-tool-name', 'medium', { name }));
  if (RESERVED_JS_NAMES.has(name)) out.push(at('reserved-js-name', 'medium', { name }));
  // mixed-script-name comes from the `/name` string itself (see schemaKeyFindings).
  if (!NAMED_KINDS.includes(subject)) return;

  const index = names();
  const own = index.own.get(subject)!;
  const skeleton = own.skeletons.get(name) ?? skeletonOf(name);
  for (const other of own.skeleton.get(skeleton) ?? []) {
    if (other !== name) out.push(at('confusable-name', 'high', { name, other }));
  }
  const lower = name.toLowerCase();
  for (const { server, names: theirs } of index.others) {
    const kind = theirs.get(subject)!;
    if (kind.exact.has(name)) out.push(at('name-shadows-other-server', 'medium', { name, server }));
    for (const other of kind.lower.get(lower) ?? []) {
      if (other !== name) out.push(at('name-shadows-other-server', 'high', { name, server, other }));
    }
    for (const other of kind.skeleton.get(skeleton) ?? []) {
      if (other !== name && other.toLowerCase() !== lower) out.push(at('confusable-name', 'high', { name, server, other }));
    }
  }
}

/** Rules for identifiers inside a definition: the item's `name`, prompt argument names, object keys. */
export function schemaKeyFindings(site: SiteText): Hit[] {
  const hits: Hit[] = [];
  const scripts = mixedScripts(site.text);
  if (scripts.length > 0) hits.push({ rule: 'mixed-script-name', severity: site.role === 'key' ? 'medium' : 'high', identity: site.text, args: { name: site.text, scripts: ['Latin', ...scripts].join(', ') } });
  if (site.role === 'key' && RESERVED_JS_NAMES.has(site.text)) hits.push({ rule: 'reserved-js-name', severity: 'medium', identity: site.text, args: { name: site.text } });
  return hits;
}
