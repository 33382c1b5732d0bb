/**
 * `mcpm accept`'s edits of one lock entry, pure: accept rules, optional marks, tombstones. The
 * definitions are never touched, and the entry's integrity is recomputed over the result.
 */
import { assertAcceptable, DEFAULT_ACCEPT_RULES, type AcceptRules } from './accept-rules.js';
import { McpmError } from './errors.js';
import { jsonQuote } from './json-strict.js';
import { nameWord } from './shell-word.js';
import { entryIntegrity, type LockEntry } from './lockfile.js';
import { ITEM_KINDS, type ItemKind } from './snapshot.js';

export interface EntryEdits {
  addFields?: readonly string[];
  removeFields?: readonly string[];
  additive?: AcceptRules['additive'];
  serverVersion?: AcceptRules['serverVersion'];
  /** Items as `tool:NAME`, `prompt:NAME`, `resource:URI`, `template:URI`. */
  optional?: readonly string[];
  required?: readonly string[];
  /** Tombstones to drop, as items; `all` drops every one. */
  prune?: readonly string[] | 'all';
}

const ITEM_PREFIX: ReadonlyMap<string, ItemKind> = new Map([
  ['tool', 'tools'],
  ['prompt', 'prompts'],
  ['resource', 'resources'],
  ['template', 'resourceTemplates'],
]);

/** `tool:NAME` → ['tools', 'NAME']; USAGE for anything else. */
export function parseItemRef(ref: string): [ItemKind, string] {
  const colon = ref.indexOf(':');
  const kind = colon > 0 ? ITEM_PREFIX.get(ref.slice(0, colon)) : undefined;
  if (kind === undefined || colon === ref.length - 1) {
    throw new McpmError('USAGE', `${jsonQuote(ref)} names no item`, 'name items as tool:NAME, prompt:NAME, resource:URI or template:URI');
  }
  return [kind, ref.slice(colon + 1)];
}

/** The entry with the edits applied and its integrity recomputed. Throws ACCEPT_RULE_REFUSED or USAGE, naming the server. */
export function editEntry(name: string, entry: LockEntry, edits: EntryEdits): LockEntry {
  const rules: AcceptRules = { ...(entry.accept ?? DEFAULT_ACCEPT_RULES), fields: [...(entry.accept?.fields ?? [])] };
  for (const pattern of edits.addFields ?? []) {
    assertAcceptable(pattern);
    rules.fields.push(pattern);
  }
  const removing = new Set(edits.removeFields ?? []);
  for (const pattern of removing) {
    if (!rules.fields.includes(pattern)) throw new McpmError('USAGE', `server ${jsonQuote(name)} has no accept rule ${jsonQuote(pattern)}`, `run "mcpm accept ${nameWord(name)}" to list its rules`);
  }
  rules.fields = [...new Set(rules.fields.filter((f) => !removing.has(f)))].sort();
  if (edits.additive) rules.additive = edits.additive;
  if (edits.serverVersion) rules.serverVersion = edits.serverVersion;

  const optional = new Map<ItemKind, Set<string>>(ITEM_KINDS.map((k) => [k, new Set(entry.optional?.[k] ?? [])]));
  for (const ref of edits.optional ?? []) {
    const [kind, key] = parseItemRef(ref);
    // Held to its locked definition when present, so it must have one.
    if (!entry.snapshot[kind].has(key)) throw new McpmError('USAGE', `server ${jsonQuote(name)} has no locked ${ref}`, 'an item can be marked optional once it is locked (mcpm approve)');
    optional.get(kind)!.add(key);
  }
  for (const ref of edits.required ?? []) {
    const [kind, key] = parseItemRef(ref);
    optional.get(kind)!.delete(key);
  }

  const tombstones = new Map(ITEM_KINDS.map((k) => [k, new Map(entry.tombstones?.[k] ?? [])]));
  if (edits.prune === 'all') for (const items of tombstones.values()) items.clear();
  else {
    for (const ref of edits.prune ?? []) {
      const [kind, key] = parseItemRef(ref);
      if (!tombstones.get(kind)!.delete(key)) throw new McpmError('USAGE', `server ${jsonQuote(name)} has no tombstone for ${ref}`, `run "mcpm accept ${nameWord(name)}" to list them`);
    }
  }

  const next: LockEntry = { ...entry };
  delete next.accept;
  delete next.optional;
  delete next.tombstones;
  next.accept = rules;
  const marks: NonNullable<LockEntry['optional']> = {};
  const dead: NonNullable<LockEntry['tombstones']> = {};
  for (const kind of ITEM_KINDS) {
    const keys = [...optional.get(kind)!].sort();
    if (keys.length > 0) marks[kind] = keys;
    const items = tombstones.get(kind)!;
    if (items.size > 0) dead[kind] = items;
  }
  if (Object.keys(marks).length > 0) next.optional = marks;
  if (Object.keys(dead).length > 0) next.tombstones = dead;
  next.integrity = entryIntegrity(next);
  return next;
}
