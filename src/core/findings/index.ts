/**
 * Findings for one server: runs the string rules (characters, text, names) over every string that is
 * new (sites), then the name and drift-only rules, and merges and sorts what they found.
 */
import { CHANGE_SUBJECTS, compareCodeUnits, type ChangeSubject, type ItemChange } from '../changes.js';
import type { JsonValue } from '../json-strict.js';
import { itemsJsonText, ITEM_KINDS, type ItemKind, type Snapshot } from '../snapshot.js';
import { characterHits, quietCharacters, VERBATIM_JSON } from './characters.js';
import { annotationFindings, parameterFindings } from './drift.js';
import { nameFindings, nameIndex, quietKeys, schemaKeyFindings, type NamedFindings, type NameIndex } from './names.js';
import { compareSeverity, severityRank, type Finding, type FindingContext, type Hit } from './rules.js';
import { visitSites, type SiteText } from './sites.js';
import { otherServerTools, quietText, textHits, type OtherTools } from './text.js';

interface Target {
  subject: ChangeSubject;
  key: string;
  pointer: string;
  value: JsonValue;
  /** The locked value at the same place: hits found there too are not reported again. */
  before?: JsonValue;
  /** The member itself is new, so its key is new text too. */
  newKey: boolean;
}

/** Every string rule's hits in one string. Exported for the tests of isQuiet, which must cover each family called here. */
export function siteHits(site: SiteText, firstLock: boolean, otherTools: OtherTools): Hit[] {
  return [...characterHits(site.text, site.role), ...textHits(site, firstLock, otherTools), ...(site.role === 'text' ? [] : schemaKeyFindings(site))];
}

/**
 * Whether siteHits finds nothing in any string of `value`, keys included, told from its JSON text
 * as a whole: one native print and a few searches, where walking a definition and judging each of
 * its strings was most of a first lock's cost. Only text whose strings all appear in it as they
 * are (VERBATIM_JSON) is told quiet, and then only when each rule family called by siteHits rules
 * itself out on it. Anything else is walked as before.
 */
export function isQuiet(value: JsonValue, otherTools: OtherTools): boolean {
  return quietJson(JSON.stringify(value), otherTools);
}

/**
 * isQuiet of JSON text whose strings and keys are those of the values judged: written by
 * JSON.stringify or canonicalize, which differ only in the order of keys. No rule family's
 * search spans two strings (none looks for a quote, comma, colon or bracket), so the order does
 * not change what is found.
 */
function quietJson(json: string, otherTools: OtherTools): boolean {
  return VERBATIM_JSON.test(json) && quietCharacters(json) && quietText(json, otherTools) && quietKeys(json);
}

const NO_OTHER_TOOLS: OtherTools = { servers: new Map(), lengths: new Map(), starts: undefined };

/**
 * Whether `value` (a field's new value, at `pointer` of an item of `subject`) holds anything a
 * string rule finds high-severity. An accept rule takes a change without review; not one that
 * says what a poisoned description says (an instruction, hidden characters), whatever field it is in.
 * `newKey`: the member itself is new, so its key is judged too, as findingsFor judges it.
 */
export function holdsHighHit(subject: ChangeSubject, pointer: string, value: JsonValue, newKey = false): boolean {
  // The key is not in the value's text: a new member is walked.
  if (!newKey && isQuiet(value, NO_OTHER_TOOLS)) return false;
  let high = false;
  visitSites(subject, pointer, value, newKey, (site) => {
    if (!high && siteHits(site, false, NO_OTHER_TOOLS).some((hit) => hit.severity === 'high')) high = true;
  });
  return high;
}

/**
 * What the string rules find in a site depends only on its text, role and whether it is an address
 * (the rest is fixed for one server's findings). Schemas repeat the same few strings ("type",
 * "string", "description", "properties") in every tool, so each distinct string is judged once per
 * server: a first lock of many tools stays cheap. Long texts are rarely repeated and would cost a
 * copy to key on, so they are judged each time. Hits are never mutated (findings copy their args).
 */
const MEMO_TEXT_LENGTH = 256;

interface SiteJudge {
  hits(site: SiteText): readonly Hit[];
  /** isQuiet for this server. */
  quiet(value: JsonValue): boolean;
  /** isQuiet for this server, of JSON text (isQuiet prints the value to one such text). */
  quietText(json: string): boolean;
}

function siteJudge(firstLock: boolean, otherTools: OtherTools): SiteJudge {
  // One memo per role and address-ness, keyed by the text itself (no key string built per site).
  const memos = new Map<string, Map<string, Hit[]>>();
  return {
    hits: (site) => {
      if (site.text.length > MEMO_TEXT_LENGTH) return siteHits(site, firstLock, otherTools);
      const kind = site.isAddress ? `${site.role} address` : site.role;
      let memo = memos.get(kind);
      if (memo === undefined) memos.set(kind, (memo = new Map()));
      let hits = memo.get(site.text);
      if (hits === undefined) memo.set(site.text, (hits = siteHits(site, firstLock, otherTools)));
      return hits;
    },
    quiet: (value) => isQuiet(value, otherTools),
    quietText: (json) => quietJson(json, otherTools),
  };
}

function hitKey(site: SiteText, hit: Hit): string {
  return `${hit.rule}\u0000${site.role === 'key' ? 'key' : 'value'}\u0000${hit.identity}`;
}

function scanTarget(target: Target, judge: SiteJudge, out: Finding[]): void {
  // Nothing to report when nothing is found in the new value, whatever the locked one had. A new
  // member's key is judged too (visitSites), and is not in the value's text: such targets are walked.
  if (!target.newKey && judge.quiet(target.value)) return;
  // What the locked text already had, as a multiset, so only new occurrences are reported.
  const seen = new Map<string, number>();
  if (target.before !== undefined) {
    visitSites(target.subject, target.pointer, target.before, false, (site) => {
      for (const hit of judge.hits(site)) seen.set(hitKey(site, hit), (seen.get(hitKey(site, hit)) ?? 0) + 1);
    });
  }
  visitSites(target.subject, target.pointer, target.value, target.newKey, (site, at) => {
    const hits = judge.hits(site);
    if (hits.length === 0) return;
    const pointer = at();
    for (const hit of hits) {
      const k = hitKey(site, hit);
      const left = seen.get(k) ?? 0;
      if (left > 0) {
        seen.set(k, left - 1);
        continue;
      }
      const args = site.role === 'key' ? { ...hit.args, in: 'key' } : hit.args;
      out.push({ rule: hit.rule, severity: hit.severity, subject: target.subject, key: target.key, pointer, args });
    }
  });
}

function targetsForFirstLock(live: Snapshot): Target[] {
  const targets: Target[] = [
    { subject: 'serverInfo', key: '', pointer: '', value: live.serverInfo, newKey: false },
    { subject: 'capabilities', key: '', pointer: '', value: live.capabilities, newKey: false },
  ];
  if (live.instructions !== undefined) targets.push({ subject: 'instructions', key: '', pointer: '', value: live.instructions, newKey: false });
  // Map.forEach and indexed loops on the paths of every item of a first lock, not for-of: run mostly
  // before V8 compiles them, a for-of allocates an iterator result (and an entry) per step.
  for (const subject of ITEM_KINDS) {
    live[subject].forEach((item, key) => targets.push({ subject, key, pointer: '', value: item.definition, newKey: false }));
  }
  return targets;
}

function targetsForChanges(changes: readonly ItemChange[]): Target[] {
  const targets: Target[] = [];
  for (const change of changes) {
    if (change.change === 'removed' || change.after === undefined) continue;
    if (change.change === 'added') {
      targets.push({ subject: change.subject, key: change.key, pointer: '', value: change.after, newKey: false });
      continue;
    }
    for (const field of change.fields) {
      if (field.after === undefined) continue;
      targets.push({ subject: change.subject, key: change.key, pointer: field.pointer, value: field.after, before: field.before, newKey: field.change === 'added' });
    }
  }
  return targets;
}

/** A finding with what it is sorted by, computed once: a first lock of big servers sorts thousands. */
interface Ranked {
  finding: Finding;
  severity: number;
  subject: number;
  /** JSON.stringify(args), the last tie-breaker: made only when two findings get that far. */
  args?: string;
}

function argsText(r: Ranked): string {
  return (r.args ??= JSON.stringify(r.finding.args));
}

function compareRanked(a: Ranked, b: Ranked): number {
  const fa = a.finding;
  const fb = b.finding;
  return (
    a.severity - b.severity ||
    a.subject - b.subject ||
    compareCodeUnits(fa.key, fb.key) ||
    compareCodeUnits(fa.pointer, fb.pointer) ||
    compareCodeUnits(fa.rule, fb.rule) ||
    compareCodeUnits(argsText(a), argsText(b))
  );
}

/** compareRanked on findings themselves: for the few comparisons of mergeSorted. */
function compareFindings(a: Finding, b: Finding): number {
  return compareRanked(ranked(a), ranked(b));
}

function ranked(finding: Finding): Ranked {
  return { finding, severity: severityRank(finding.severity), subject: CHANGE_SUBJECTS.indexOf(finding.subject) };
}

/** Sorted by severity, subject, key, pointer, rule, then args (as JSON text). */
function sortFindings(findings: readonly Finding[]): Finding[] {
  return findings.map(ranked).sort(compareRanked).map((r) => r.finding);
}

/** One finding per rule and place: repeated hits in one string are counted, the worst severity kept. */
function mergeFindings(findings: Finding[]): Finding[] {
  const merged = new Map<string, Finding>();
  // A finding is copied when a second one merges into it, not before: most never merge, and the
  // args of hits are shared (siteJudge) and must not change.
  const copies = new Set<Finding>();
  for (const f of findings) {
    const where = f.args.in === 'key' ? 'key' : 'value';
    const distinct = f.rule === 'mentions-other-server-tool' ? `${f.args.server}\u0000${f.args.tool}` : f.rule === 'confusable-name' || f.rule === 'name-shadows-other-server' ? `${f.args.server ?? ''}\u0000${f.args.other ?? ''}` : f.rule === 'url-added' ? String(f.args.url) : f.rule === 'email-added' ? String(f.args.email) : '';
    const k = `${f.rule}\u0000${f.subject}\u0000${f.key}\u0000${f.pointer}\u0000${where}\u0000${distinct}`;
    let existing = merged.get(k);
    if (!existing) {
      merged.set(k, f);
      continue;
    }
    if (!copies.has(existing)) {
      existing = { ...existing, args: { ...existing.args } };
      copies.add(existing);
      merged.set(k, existing);
    }
    if (compareSeverity(f.severity, existing.severity) < 0) existing.severity = f.severity;
    existing.args.hits = (typeof existing.args.hits === 'number' ? existing.args.hits : 1) + 1;
    // Keep every distinct decoded text or match, so nothing hidden is summarised away.
    for (const field of ['decoded', 'match'] as const) {
      const a = existing.args[field];
      const b = f.args[field];
      if (typeof a === 'string' && typeof b === 'string' && !a.split('\n').includes(b)) existing.args[field] = `${a}\n${b}`;
    }
  }
  return [...merged.values()];
}

/**
 * Findings for one server. On a first lock (`changes === null`) every string of every item and the
 * server-level fields are examined: a server can be poisoned from day one. On drift only added
 * items and changed fields are, and a hit already present in the locked text is not reported
 * again (approval fatigue: a reviewer shown the same hit at every change stops reading); `new-parameter`, `new-free-text-parameter` and the
 * annotation rules apply to drift only. Pure and deterministic: sorted by severity, subject, key,
 * pointer, rule.
 */
export function findingsFor(context: FindingContext): Finding[] {
  const firstLock = context.changes === null;
  const otherTools = otherServerTools(context);
  const out: Finding[] = [];

  const targets = firstLock ? targetsForFirstLock(context.live) : targetsForChanges(context.changes!);
  const judge = siteJudge(firstLock, otherTools);
  // All of a first lock's values (whole values: no member key outside them) told quiet at once
  // (firstLockQuiet): a server whose definitions say nothing any rule looks for then costs a few
  // searches in all.
  if (!(firstLock && firstLockQuiet(context.live, targets, judge))) for (let i = 0; i < targets.length; i++) scanTarget(targets[i]!, judge, out);

  let index: NameIndex | undefined;
  const names = (): NameIndex => (index ??= nameIndex(context));
  // Name findings are one per rule, name and other name or server (nameFindings runs once per
  // item), and no other rule makes their findings: none merges, so they skip mergeFindings. A
  // first lock of servers that share their names has thousands: they are made in order
  // (NamedFindings), not sorted.
  const added = new Map<ItemKind, string[]>(ITEM_KINDS.map((kind) => [kind, []]));
  if (firstLock) {
    for (const kind of ITEM_KINDS) added.set(kind, [...context.live[kind].keys()]);
  } else {
    for (const change of context.changes!) {
      if (change.subject === 'instructions' || change.subject === 'serverInfo' || change.subject === 'capabilities') continue;
      if (change.change === 'added') added.get(change.subject)!.push(change.key);
      if (change.tombstone !== undefined) {
        // Hidden for one listing and back changed must not pass as "first seen".
        out.push({ rule: 'returned-after-removal', severity: change.fields.length > 0 ? 'medium' : 'low', subject: change.subject, key: change.key, pointer: '', args: { changedFields: change.fields.length } });
      }
      if (change.takesBodyOf !== undefined) {
        out.push({ rule: 'name-takes-other-body', severity: 'high', subject: change.subject, key: change.key, pointer: '', args: { from: change.takesBodyOf } });
      }
      if (change.change === 'modified' && change.subject === 'tools') out.push(...parameterFindings(change), ...annotationFindings(change));
    }
  }
  const named: NamedFindings = { high: [], medium: [] };
  // ITEM_KINDS are the last of CHANGE_SUBJECTS, in its order; keys in code-unit order (the default sort).
  for (const kind of ITEM_KINDS) nameFindings(names, kind, added.get(kind)!.sort(), named);
  return mergeSorted(sortFindings(mergeFindings(out)), named.high.length === 0 ? named.medium : named.high.concat(named.medium));
}

/**
 * Whether every value of a first lock's `targets` is quiet, judged as one JSON array: each value's
 * text is in the array's, between a bracket or a comma, so a hit in one would be a hit there. The
 * items' texts are those buildSnapshot printed for their integrities, when it kept them
 * (itemsJsonText: every item of `live`, as targetsForFirstLock has them); the other targets
 * (serverInfo, capabilities, instructions) are printed here.
 */
function firstLockQuiet(live: Snapshot, targets: readonly Target[], judge: SiteJudge): boolean {
  const items = itemsJsonText(live);
  if (items === undefined) return judge.quiet(targets.map((target) => target.value));
  const parts: string[] = [];
  for (let i = 0; i < targets.length; i++) if (!isItemKind(targets[i]!.subject)) parts.push(JSON.stringify(targets[i]!.value));
  parts.push(items);
  return judge.quietText(`[${parts.join(',')}]`);
}

function isItemKind(subject: ChangeSubject): subject is ItemKind {
  return (ITEM_KINDS as readonly string[]).includes(subject);
}

/** Two lists each sorted by compareFindings, as one. */
function mergeSorted(a: Finding[], b: Finding[]): Finding[] {
  if (a.length === 0) return b;
  if (b.length === 0) return a;
  const out: Finding[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) out.push(compareFindings(a[i]!, b[j]!) <= 0 ? a[i++]! : b[j++]!);
  while (i < a.length) out.push(a[i++]!);
  while (j < b.length) out.push(b[j++]!);
  return out;
}
