/**
 * Re-review: the approval state machine behind `mcpm approve` (the Ink TUI and `--yes` drive the
 * same reducer), the review model the TUI renders, and the pure function that turns a set of chosen
 * items into the Snapshot that gets locked.
 *
 * The model carries no raw server text: every string in it went through `sanitize` here, so the
 * components can only print escaped text (no escape sequence or bidi control from a server can
 * repaint or reorder the review). What is approved is what was shown:
 * a decision records the integrity displayed for exactly the chosen items, and the command checks
 * that the snapshot it writes has that integrity.
 *
 * The state knows items, not lines: what is on screen and how far it scrolls is the TUI's
 * (tui/scroll.ts), so `--yes` runs this reducer with no terminal at all.
 */
import type { Integrity } from './canonical.js';
import { emptySnapshot, pointerOf, SUBJECT_NOUN, type ChangeSubject, type FieldChange, type ItemChange } from './changes.js';
import { compareSeverity, type Finding, type Severity } from './findings/rules.js';
import type { JsonObject, JsonValue } from './json-strict.js';
import { launchDifferencesText, launchEquals, type LaunchSpec } from './launch/identity.js';
import { describeLaunch } from './launch-text.js';
import type { JudgedChange } from './judge.js';
import { refusalOf, surfacePointerTokens } from './accept-rules.js';
import type { LockEntry } from './lockfile.js';
import { sanitize, trusted, type SafeText } from './sanitize.js';
import { type ItemKind, type Snapshot, type SnapshotItem } from './snapshot.js';
import { boundedWordDiff, looksAlike, SHOWN_WORD_CHANGES } from './word-diff.js';

// ---------------------------------------------------------------------------------------------
// What is reviewed: one entry per server, one item per changed thing

/** The statuses approve walks; everything else needs no review (ok) or cannot be approved (stale, error). */
export type ReviewStatus = 'drifted' | 'new' | 'config-changed';

/** A changed item is one of the snapshot's subjects, or the launch definition from the config. */
export type ReviewSubject = ChangeSubject | 'launch';

/** The raw inputs of one server's review, as the command computed them. Never shown directly. */
export interface ReviewSource {
  name: string;
  status: ReviewStatus;
  /** The launch definition the config has now. */
  launch: LaunchSpec;
  locked: LockEntry | undefined;
  live: Snapshot;
  /** changesBetween(locked snapshot or emptySnapshot(), live), annotated; an absent optional item left out. */
  changes: ItemChange[];
  findings: Finding[];
  /** For a locked server: what each change means for review (judge.ts), in `changes` order. */
  judged?: JudgedChange[];
}

/** What a reviewable item stands for: the launch definition, or one ItemChange. */
export type PlanItem = { subject: 'launch' } | { subject: ChangeSubject; change: ItemChange };

/**
 * The server's reviewable items, in the order the TUI shows them and decisions index them: the
 * launch definition first when it changed (a new server has no old launch to keep, so its launch
 * is written with any approval), then every change in changesBetween's order (subject, key).
 */
export function planItems(source: Pick<ReviewSource, 'status' | 'locked' | 'launch' | 'changes'>): PlanItem[] {
  const items: PlanItem[] = [];
  if (source.locked && !launchEquals(source.locked.launch, source.launch)) items.push({ subject: 'launch' });
  for (const change of source.changes) items.push({ subject: change.subject, change });
  return items;
}

/**
 * The snapshot a partial approval locks: `base` (the locked snapshot) with only the chosen changes
 * taken from `live`. An added or modified item gets its live definition, a removed one is dropped;
 * server-level subjects (serverInfo, capabilities, instructions) are replaced whole. Items that were
 * not chosen keep their locked definition (or stay absent), so the server stays drifted for them.
 */
export function approvedSnapshot(base: Snapshot, live: Snapshot, chosen: readonly ItemChange[]): Snapshot {
  const next: Snapshot = {
    serverInfo: base.serverInfo,
    capabilities: base.capabilities,
    tools: new Map(base.tools),
    prompts: new Map(base.prompts),
    resources: new Map(base.resources),
    resourceTemplates: new Map(base.resourceTemplates),
  };
  if (base.instructions !== undefined) next.instructions = base.instructions;
  for (const change of chosen) {
    switch (change.subject) {
      case 'serverInfo':
        next.serverInfo = live.serverInfo;
        break;
      case 'capabilities':
        next.capabilities = live.capabilities;
        break;
      case 'instructions':
        if (live.instructions === undefined) delete next.instructions;
        else next.instructions = live.instructions;
        break;
      default: {
        const kind: ItemKind = change.subject;
        const item: SnapshotItem | undefined = live[kind].get(change.key);
        if (item) next[kind].set(change.key, item);
        else next[kind].delete(change.key);
      }
    }
  }
  return next;
}

/** What approving `chosen` (indices into planItems) writes: the snapshot and the launch definition. */
export interface Approval {
  snapshot: Snapshot;
  launch: LaunchSpec;
  /** Every item was chosen: the live snapshot itself is written, and the server will verify as ok. */
  complete: boolean;
}

/**
 * The last approval made for each source. The screen asks for the integrity of the chosen items
 * and the command then writes their approval: the same snapshot object both times, so its integrity
 * (the canonical text of every definition, megabytes for a large server) is computed once. One per
 * source: a reviewer toggling items makes a snapshot per choice.
 */
const lastApproval = new WeakMap<ReviewSource, { key: string; approval: Approval }>();

export function approvalOf(source: ReviewSource, chosen: readonly number[]): Approval {
  const items = planItems(source);
  const picked = new Set(chosen.filter((i) => Number.isInteger(i) && i >= 0 && i < items.length));
  const key = choiceKey(picked);
  const last = lastApproval.get(source);
  if (last?.key === key) return last.approval;
  const approval = newApproval(source, items, picked);
  lastApproval.set(source, { key, approval });
  return approval;
}

/** A set of chosen items as text, whatever their order and repeats: what an approval and its integrity are kept by. */
function choiceKey(chosen: Iterable<number>): string {
  return [...new Set(chosen)].sort((a, b) => a - b).join(',');
}

function newApproval(source: ReviewSource, items: readonly PlanItem[], picked: ReadonlySet<number>): Approval {
  const complete = picked.size === items.length;
  // A new server has no locked launch to keep; a config-changed one keeps the old one unless chosen.
  let launch = source.locked?.launch ?? source.launch;
  const changes: ItemChange[] = [];
  for (const i of picked) {
    const item = items[i]!;
    if ('change' in item) changes.push(item.change);
    else launch = source.launch;
  }
  // With a lock, the approved snapshot is always built from it: changes not offered (an absent
  // optional item) keep their locked definitions even when every offered one is chosen.
  if (complete && !source.locked) return { snapshot: source.live, launch: source.launch, complete };
  if (complete) launch = source.launch;
  return { snapshot: approvedSnapshot(source.locked?.snapshot ?? emptySnapshot(), source.live, changes), launch, complete };
}

// ---------------------------------------------------------------------------------------------
// The review model: everything the TUI shows, already sanitised

export type ChangeKind = 'added' | 'removed' | 'modified';

/** A run of text in a word diff. */
export interface DiffSegment {
  op: 'same' | 'added' | 'removed';
  text: SafeText;
}

/** One changed field of an item (path by path for schemas), or the item as a whole when added or removed. */
export interface ReviewField {
  /** JSON pointer inside the item; '' is the whole value. Escaped as an identifier. */
  pointer: SafeText;
  change: ChangeKind;
  /** Text changed into text: the word diff of the escaped forms. */
  words?: DiffSegment[];
  /** Otherwise the escaped JSON (or text) before and after, shown as -/+ blocks. */
  before?: SafeText;
  after?: SafeText;
  /** mcpm's remarks: lengths in code points, "looks identical once escaped". */
  notes: SafeText[];
}

export interface ReviewItem {
  subject: ReviewSubject;
  /** "tool", "prompt", "launch", … */
  kindLabel: SafeText;
  /** The item's key (tool name, uri) as an identifier; '' for server-level subjects and launch. */
  key: SafeText;
  change: ChangeKind;
  /** Its changed fields, made (word diffs and all) when first read, once. */
  readonly fields: readonly ReviewField[];
  /** The most severe finding on this item, if any. */
  severity: Severity | null;
  /** mcpm's remarks on the item: a rename, a return after removal, an accepted or quarantined change. */
  notes?: SafeText[];
  /** Accept rules ("accept this field from now on") for the item's changed fields that a rule may cover. */
  acceptable?: string[];
}

export interface ReviewFinding {
  rule: SafeText;
  severity: Severity;
  /** Index into items of the item it is about, or null. */
  item: number | null;
  /** "tool \"search\" at /description" */
  where: SafeText;
  /** Rule arguments, `name: value`, escaped (decoded hidden text, URLs, …). */
  details: SafeText[];
}

export interface ReviewServer {
  name: SafeText;
  status: ReviewStatus;
  /** Version recorded in the lock (serverInfo.version), null for a new server. */
  pinnedVersion: SafeText | null;
  liveVersion: SafeText;
  /** The launch definition the config has now, and the locked one when it differs. */
  launch: SafeText;
  previousLaunch: SafeText | null;
  lockedIntegrity: Integrity | null;
  /** Sorted: high first. */
  findings: ReviewFinding[];
  items: ReviewItem[];
  /** The integrity of the snapshot written when exactly these items are approved. Pure. */
  integrityFor(chosen: readonly number[]): Integrity;
}

export interface ReviewModel {
  /**
   * 'review' approves definitions for the lock. 'launch' is asked before a server whose command
   * changed is started at all (running an unreviewed command is the MCPoison attack): approving
   * there only allows mcpm to start it for review; nothing is written.
   */
  phase: 'review' | 'launch';
  servers: ReviewServer[];
}

const SUBJECT_LABEL: Record<ReviewSubject, string> = { ...SUBJECT_NOUN, launch: 'launch' };

/**
 * Builds what the TUI shows for one server. `integrityOf` is snapshotIntegrity (passed in so this
 * module stays testable without the hashing code).
 */
export function buildReviewServer(source: ReviewSource, integrityOf: (snapshot: Snapshot) => Integrity): ReviewServer {
  const plan = planItems(source);
  // By identity and by place, looked up once per item and per finding: 5,000 changed tools stay linear.
  const judged = new Map(source.judged?.map((j) => [j.change, j]));
  const items: ReviewItem[] = plan.map((p) => ('change' in p ? itemFromChange(p.change, judged.get(p.change)) : launchItem(source)));
  const places = new Map<string, number>();
  plan.forEach((p, i) => {
    const place = 'change' in p ? `${p.subject}\u0000${p.change.key}` : undefined;
    if (place !== undefined && !places.has(place)) places.set(place, i);
  });
  const indexOf = (subject: ChangeSubject, key: string) => places.get(`${subject}\u0000${key}`) ?? -1;
  const findings = [...source.findings]
    .sort((a, b) => compareSeverity(a.severity, b.severity))
    .map((f): ReviewFinding => {
      const index = indexOf(f.subject, f.key);
      return {
        rule: sanitize(f.rule, { identifier: true }),
        severity: f.severity,
        item: index >= 0 ? index : null,
        where: whereOf(f.subject, f.key, f.pointer),
        details: Object.keys(f.args)
          .sort()
          .map((k) => sanitize(`${k}: ${String(f.args[k])}`)),
      };
    });
  for (const f of findings) {
    if (f.item === null) continue;
    const item = items[f.item]!;
    if (item.severity === null || compareSeverity(f.severity, item.severity) < 0) item.severity = f.severity;
  }
  const cache = new Map<string, Integrity>();
  return {
    name: sanitize(source.name, { identifier: true }),
    status: source.status,
    pinnedVersion: source.locked ? versionOf(source.locked.snapshot.serverInfo) : null,
    liveVersion: versionOf(source.live.serverInfo),
    launch: describeLaunch(source.launch),
    previousLaunch: source.locked && !launchEquals(source.locked.launch, source.launch) ? describeLaunch(source.locked.launch) : null,
    lockedIntegrity: source.locked?.integrity ?? null,
    findings,
    items,
    integrityFor(chosen) {
      const key = choiceKey(chosen);
      let integrity = cache.get(key);
      if (integrity === undefined) {
        integrity = integrityOf(approvalOf(source, chosen).snapshot);
        cache.set(key, integrity);
      }
      return integrity;
    },
  };
}

function versionOf(serverInfo: JsonObject): SafeText {
  const v = serverInfo.version;
  return typeof v === 'string' ? sanitize(v, { identifier: true }) : trusted('(no version)');
}

function whereOf(subject: ChangeSubject, key: string, pointer: string): SafeText {
  // Identifier mode escapes spaces too, so only the server's parts go through it.
  let text = SUBJECT_LABEL[subject];
  if (key) text += ` "${sanitize(key, { identifier: true })}"`;
  if (pointer) text += ` at ${sanitize(pointer, { identifier: true })}`;
  return trusted(text);
}

function launchItem(source: ReviewSource): ReviewItem {
  const before = source.locked ? describeLaunch(source.locked.launch) : undefined;
  const after = describeLaunch(source.launch);
  const field: ReviewField = { pointer: trusted(''), change: before ? 'modified' : 'added', notes: [] };
  withWords(field, before, after);
  // What differs, in words: two launches may print alike (a URL's query values masked).
  if (source.locked) field.notes.push(sanitize(`differ: ${launchDifferencesText(source.locked.launch, source.launch)}`));
  return { subject: 'launch', kindLabel: trusted('launch'), key: trusted(''), change: field.change, fields: [field], severity: null };
}

function itemFromChange(change: ItemChange, judged: JudgedChange | undefined): ReviewItem {
  // Made when first read, by the screen that shows them: `approve --yes` shows none, and the word
  // diffs of 5,000 changed tools take seconds to make.
  let fields: ReviewField[] | undefined;
  const item: ReviewItem = {
    subject: change.subject,
    kindLabel: trusted(SUBJECT_LABEL[change.subject]),
    key: sanitize(change.key, { identifier: true }),
    change: change.change,
    get fields() {
      return (fields ??= fieldsOf(change));
    },
    severity: null,
  };
  const notes = itemNotes(change, judged);
  if (notes.length > 0) item.notes = notes;
  const acceptable = acceptableFields(change);
  if (acceptable.length > 0) item.acceptable = acceptable;
  return item;
}

function fieldsOf(change: ItemChange): ReviewField[] {
  // A rename or a return is shown as the diff from the old definition, not as a new item.
  const diffed = change.change === 'modified' || change.renamedFrom !== undefined || change.tombstone !== undefined;
  return diffed && change.fields.length > 0
    ? change.fields.map(fieldFromChange)
    : [fieldFromChange({ pointer: '', change: change.change, before: change.before, after: change.after })];
}

/**
 * The accept rules a reviewer may add for a modified item's fields: each field's own pointer, for
 * this item only, when a rule may cover it. A key that is itself `*` or `**` would read as a
 * wildcard, so its fields are not offered.
 */
function acceptableFields(change: ItemChange): string[] {
  if (change.change !== 'modified' || change.subject === 'instructions') return [];
  const out: string[] = [];
  for (const field of change.fields) {
    const tokens = surfacePointerTokens(change.subject, change.key, field.pointer);
    if (tokens.some((t) => t === '*' || t === '**')) continue;
    const pattern = pointerOf(tokens);
    if (refusalOf(pattern) === undefined && !out.includes(pattern)) out.push(pattern);
  }
  return out;
}

function itemNotes(change: ItemChange, judged: JudgedChange | undefined): SafeText[] {
  const name = (key: string) => sanitize(key, { identifier: true });
  const notes: SafeText[] = [];
  if (change.renamedFrom !== undefined) notes.push(trusted(`renamed from ${name(change.renamedFrom)}`));
  if (change.renamedTo !== undefined) notes.push(trusted(`renamed to ${name(change.renamedTo)}`));
  if (change.tombstone !== undefined) notes.push(trusted('returned: its removal was approved before; diffed against its last approved definition'));
  if (change.takesBodyOf !== undefined) notes.push(trusted(`now has the definition ${name(change.takesBodyOf)} had`));
  if (judged?.disposition === 'accepted') notes.push(trusted(`accepted by ${[...new Set(judged.rules ?? [])].map((r) => sanitize(r, { identifier: true })).join(', ')}; no review needed`));
  if (judged?.disposition === 'quarantined') notes.push(trusted('quarantined: mcpm run withholds it until approved'));
  return notes;
}

function fieldFromChange(field: FieldChange): ReviewField {
  const out: ReviewField = { pointer: sanitize(field.pointer, { identifier: true }), change: field.change, notes: [] };
  const { before, after } = field;
  if (typeof before === 'string' && typeof after === 'string') {
    const b = sanitize(before);
    const a = sanitize(after);
    out.notes.push(trusted(`${codePoints(before)} → ${codePoints(after)} characters`));
    if (b === a) {
      // The escaper is not injective for text that already contains its own markers: say so rather than show "no change".
      out.notes.push(trusted('the old and new text look identical once escaped; the raw code points differ'));
    }
    withWords(out, b, a);
    return out;
  }
  if (before !== undefined) out.before = displayValue(before);
  if (after !== undefined) out.after = displayValue(after);
  if (typeof after === 'string' && before === undefined) out.notes.push(trusted(`${codePoints(after)} characters`));
  return out;
}

function codePoints(text: string): number {
  let n = 0;
  for (const _ of text) n++;
  return n;
}

/** Strings as their text (multi-line kept), anything else as indented JSON; escaped either way. */
function displayValue(value: JsonValue): SafeText {
  return sanitize(typeof value === 'string' ? value : JSON.stringify(value, null, 2));
}

/**
 * Word diff of two already-escaped texts (so an inserted zero-width space shows as its marker),
 * bounded per field (core/word-diff.ts): null when too different; `elided` changes not shown.
 */
export function wordDiff(before: SafeText, after: SafeText): { words: DiffSegment[]; elided: number } | null {
  const diff = boundedWordDiff(before, after);
  if (!diff) return null;
  // A piece of escaped text is escaped text: the tokenizer splits on word and space boundaries only.
  const words: DiffSegment[] = diff.parts.map((p) => ({ op: p.op, text: p.text as SafeText }));
  // A removed piece and the one added in its place that look alike are shown code point by code
  // point, as mcpm diff shows them (`ex\u{430}mple`), not as two words that read the same.
  for (let i = 0; i + 1 < words.length; i++) {
    const [removed, added] = [words[i]!, words[i + 1]!];
    if (removed.op !== 'removed' || added.op !== 'added' || !looksAlike(removed.text, added.text)) continue;
    removed.text = sanitize(removed.text, { identifier: true });
    added.text = sanitize(added.text, { identifier: true });
  }
  return { words, elided: diff.elided };
}

/**
 * The word diff of a field, or its text before and after: also when a word diff would leave
 * changes out, since a change not shown is one an attacker can hide among harmless ones.
 */
function withWords(field: ReviewField, before: SafeText | undefined, after: SafeText): void {
  const diff = before === undefined ? null : wordDiff(before, after);
  if (diff && diff.elided === 0) {
    field.words = diff.words;
    return;
  }
  if (diff) field.notes.push(trusted(`${SHOWN_WORD_CHANGES + diff.elided} changes: whole text before and after`));
  if (before !== undefined) field.before = before;
  field.after = after;
}

// ---------------------------------------------------------------------------------------------
// Decisions and the reducer

export interface Decision {
  /** Index into model.servers. */
  server: number;
  verdict: 'approved' | 'rejected';
  /** Approved items (indices into the server's items), ascending; empty when rejected. */
  items: number[];
  /** The integrity shown on screen when approving: the command writes a snapshot with exactly this integrity. */
  integrity: Integrity | null;
  /** Approved with "accept this field from now on": the accept rules to add to the entry. */
  acceptFields?: string[];
}

/** How many characters of the new integrity (after `sha256-`) the reviewer types to approve a high-severity change. */
export const CONFIRM_LENGTH = 4;

export interface ReviewServerState {
  itemCount: number;
  /** Per item, the accept rules `r` can add (ReviewItem.acceptable). */
  acceptable: readonly (readonly string[])[];
  highFindings: number;
  integrityFor(chosen: readonly number[]): Integrity;
}

export interface ReviewState {
  phase: ReviewModel['phase'];
  servers: readonly ReviewServerState[];
  /** The server shown; equal to servers.length once every server is decided. */
  current: number;
  /** Per server, which items are chosen; all of them to start with. */
  chosen: readonly (readonly boolean[])[];
  /** The focused item of the current server: what toggling chooses or unchooses. */
  item: number;
  screen: 'review' | 'confirm' | 'help';
  /** Characters typed on the confirm screen. */
  typed: string;
  /** A short message from mcpm (never server text) for the footer. */
  notice: SafeText | null;
  decisions: readonly Decision[];
  /** Per server, the accept rules chosen with `r`, written with its approval. */
  acceptFields: readonly (readonly string[])[];
  /** Every server was decided, or the reviewer quit. */
  finished: boolean;
  quit: boolean;
}

export type ReviewAction =
  | { type: 'approve'; /** `--yes`: the flag is the deliberate act, no typed confirmation. */ confirmed?: boolean }
  | { type: 'reject' }
  | { type: 'toggleItem'; item?: number }
  | { type: 'toggleAll' }
  /** Add (or take back) accept rules for the focused item's changed fields. */
  | { type: 'acceptField' }
  | { type: 'focusItem'; delta: 1 | -1 }
  /** Focus this item (the TUI's choice after scrolling); an index out of range keeps the focus. */
  | { type: 'focus'; item: number }
  | { type: 'type'; text: string }
  | { type: 'erase' }
  | { type: 'cancel' }
  | { type: 'help' }
  | { type: 'quit' };

export function initReviewState(model: Pick<ReviewModel, 'phase' | 'servers'>): ReviewState {
  const servers = model.servers.map((s) => ({
    itemCount: s.items.length,
    acceptable: s.items.map((i) => i.acceptable ?? []),
    highFindings: s.findings.filter((f) => f.severity === 'high').length,
    integrityFor: (chosen: readonly number[]) => s.integrityFor(chosen),
  }));
  return {
    phase: model.phase,
    servers,
    current: 0,
    chosen: servers.map((s) => Array.from({ length: s.itemCount }, () => true)),
    item: 0,
    screen: 'review',
    typed: '',
    notice: null,
    decisions: [],
    acceptFields: servers.map(() => []),
    finished: servers.length === 0,
    quit: false,
  };
}

/** Indices of the chosen items of server `index`. */
export function chosenItems(state: ReviewState, index = state.current): number[] {
  const out: number[] = [];
  (state.chosen[index] ?? []).forEach((on, i) => {
    if (on) out.push(i);
  });
  return out;
}

/** The integrity approving the current selection would write: what the footer shows. */
export function pendingIntegrity(state: ReviewState): Integrity | null {
  const server = state.servers[state.current];
  if (!server) return null;
  const chosen = chosenItems(state);
  return chosen.length === 0 && server.itemCount > 0 ? null : server.integrityFor(chosen);
}

/** The characters to type on the confirm screen: the first CONFIRM_LENGTH of the integrity after `sha256-`. */
export function confirmCode(state: ReviewState): string {
  const integrity = pendingIntegrity(state);
  return integrity ? integrity.slice('sha256-'.length, 'sha256-'.length + CONFIRM_LENGTH) : '';
}

export function reviewReducer(state: ReviewState, action: ReviewAction): ReviewState {
  if (state.finished) return state;
  const server = state.servers[state.current];
  if (!server) return { ...state, finished: true };

  switch (action.type) {
    case 'quit':
      return { ...state, finished: true, quit: true, notice: null };

    case 'help':
      if (state.screen === 'confirm') return state;
      return { ...state, screen: state.screen === 'help' ? 'review' : 'help', notice: null };

    case 'cancel':
      return state.screen === 'review' ? { ...state, notice: null } : { ...state, screen: 'review', typed: '', notice: null };

    case 'reject':
      if (state.screen !== 'review') return state;
      return decide(state, { server: state.current, verdict: 'rejected', items: [], integrity: null });

    case 'approve': {
      if (state.screen === 'help') return state;
      const chosen = chosenItems(state);
      if (server.itemCount > 0 && chosen.length === 0) {
        return { ...state, notice: trusted('no item is chosen: press space to choose one, or n to reject the server') };
      }
      const integrity = server.integrityFor(chosen);
      if (state.phase === 'review' && server.highFindings > 0 && !action.confirmed) {
        // A second, typed confirmation: a held-down "y", or one a terminal types in reply to a server's
        // escape sequence, cannot approve.
        if (state.screen === 'review') return { ...state, screen: 'confirm', typed: '', notice: null };
        return state;
      }
      return decide(state, { server: state.current, verdict: 'approved', items: chosen, integrity });
    }

    case 'type': {
      if (state.screen !== 'confirm') return state;
      // One key at a time: a paste or a terminal's reply to an escape sequence arrives as one chunk.
      if ([...action.text].length !== 1) {
        return { ...state, typed: '', notice: trusted('pasted text is ignored here: type the characters one by one') };
      }
      const typed = (state.typed + action.text).slice(0, CONFIRM_LENGTH);
      if (typed.length < CONFIRM_LENGTH) return { ...state, typed, notice: null };
      if (typed === confirmCode(state)) {
        const chosen = chosenItems(state);
        return decide(state, { server: state.current, verdict: 'approved', items: chosen, integrity: server.integrityFor(chosen) });
      }
      return { ...state, typed: '', notice: sanitize(`"${typed}" does not match; type the ${CONFIRM_LENGTH} characters shown, or esc to go back`) };
    }

    case 'erase':
      return state.screen === 'confirm' ? { ...state, typed: state.typed.slice(0, -1), notice: null } : state;

    case 'toggleItem': {
      if (state.screen !== 'review' || server.itemCount === 0) return state;
      const index = action.item ?? state.item;
      if (index < 0 || index >= server.itemCount) return state;
      const chosen = state.chosen.map((row, s) => (s === state.current ? row.map((on, i) => (i === index ? !on : on)) : row));
      return { ...state, chosen, notice: null };
    }

    case 'toggleAll': {
      if (state.screen !== 'review' || server.itemCount === 0) return state;
      const all = (state.chosen[state.current] ?? []).every(Boolean);
      const chosen = state.chosen.map((row, s) => (s === state.current ? row.map(() => !all) : row));
      return { ...state, chosen, notice: null };
    }

    case 'acceptField': {
      if (state.screen !== 'review' || state.phase !== 'review') return state;
      const offered = server.acceptable[state.item] ?? [];
      if (offered.length === 0) return { ...state, notice: trusted('no field of this item can be accepted by a rule (descriptions, schemas, hints never are)') };
      const current = state.acceptFields[state.current] ?? [];
      const taking = offered.some((p) => !current.includes(p));
      const next = taking ? [...new Set([...current, ...offered])] : current.filter((p) => !offered.includes(p));
      const acceptFields = state.acceptFields.map((row, i) => (i === state.current ? next : row));
      // The patterns are mcpm's own pointers, escaped as identifiers.
      const shown = offered.map((p) => sanitize(p, { identifier: true })).join(', ');
      return { ...state, acceptFields, notice: trusted(taking ? `on approval, accept from now on: ${shown}` : `no longer accepting: ${shown}`) };
    }

    case 'focusItem': {
      if (state.screen !== 'review' || server.itemCount === 0) return state;
      const item = (state.item + action.delta + server.itemCount) % server.itemCount;
      return { ...state, item, notice: null };
    }

    case 'focus': {
      if (state.screen !== 'review') return state;
      const item = action.item >= 0 && action.item < server.itemCount ? action.item : state.item;
      return { ...state, item, notice: null };
    }
  }
}

function decide(state: ReviewState, decision: Decision): ReviewState {
  const current = state.current + 1;
  // Only the rules of items approved: a rule kept for an item left out would let the next install
  // take that item's change, which the reviewer just declined.
  const acceptable = state.servers[state.current]?.acceptable ?? [];
  const approvedFields = new Set(decision.items.flatMap((i) => acceptable[i] ?? []));
  const fields = (state.acceptFields[state.current] ?? []).filter((p) => approvedFields.has(p));
  const decided = decision.verdict === 'approved' && fields.length > 0 ? { ...decision, acceptFields: [...fields] } : decision;
  return {
    ...state,
    decisions: [...state.decisions, decided],
    current,
    item: 0,
    screen: 'review',
    typed: '',
    notice: null,
    finished: current >= state.servers.length,
  };
}

/**
 * `--yes`: approves every server of the model in order, exactly as pressing `y` (and confirming)
 * would, so the TUI and the flag share one state machine.
 */
export function approveAll(model: Pick<ReviewModel, 'phase' | 'servers'>): Decision[] {
  let state = initReviewState(model);
  while (!state.finished) {
    const before = state.current;
    state = reviewReducer(state, { type: 'approve', confirmed: true });
    if (state.current === before) throw new Error('Assertion failed: approve did not advance');
  }
  return [...state.decisions];
}
