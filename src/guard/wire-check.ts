/**
 * The guard's verdicts on a live session (`mcpm run`), pure: given the lock entry and one parsed
 * message, decide whether it is forwarded as it came, rewritten, answered with an error, or ends
 * the session. No I/O: relay.ts frames the lines, session.ts does the reading and writing.
 *
 * Why in-path at all: a server can flip on its second launch, serve scanners one
 * list and hosts another (cloaking by clientInfo), change its tools mid-session after
 * `notifications/tools/list_changed`, or keep a callable tool out of its list. Only what the host
 * actually receives can be held to the pin, so every list page, every `initialize` (or 2026-07-28
 * `server/discover`) result, and every call is checked here against the locked definitions.
 *
 * The rules, under the default policy `block`:
 * - A listed item is kept only when its key is locked and the definition as served is the locked
 *   one: the same JSON value (jsonEqual), which is to have the locked item integrity, since equal
 *   values have the same RFC 8785 text and no others do. Compared, not hashed: node:crypto would
 *   load at every session's first answer, while the host waits. Drifted and unknown items are
 *   withheld (line jumping: a poisoned description works without a call, so hiding only calls is
 *   not enough).
 * - An item once served drifted stays quarantined for the rest of the session, even if the server
 *   later serves the locked definition again: it has shown it will flip.
 * - instructions, serverInfo and capabilities that differ from the lock are replaced by the locked
 *   ones (absent instructions stay absent). serverInfo is held to the lock wherever the host gets a
 *   copy: also in the `_meta` of a list or any other result, as 2026-07-28 servers send it
 *   (checkServerInfoCopy, for the messages relay.ts does not otherwise inspect).
 * - `tools/call` and `prompts/get` are forwarded only for a tool or prompt that the server listed in
 *   this session with its locked definition, and that is not quarantined: "locked and unchanged as
 *   last seen". A tool that is never listed (hidden but callable) or not yet listed is blocked,
 *   since the guard cannot know what the server would say it is.
 * - `resources/read` is forwarded for a locked resource URI or a URI matching a locked resource
 *   template, unless quarantined. Resources are addressed by URI and are often reached through links
 *   in tool results rather than a listing, so listing in this session is not required for them.
 * - Items the lock has but the server no longer lists are not an attack on the host (it sees less),
 *   so they are not treated as drift here; `mcpm verify` reports them.
 * Under `refuse`, anything that `block` would withhold, replace or reject ends the session instead.
 */
import { diffJson } from '../core/changes.js';
import { escapeRegExp } from '../core/escape-regexp.js';
import { foldedItemMember } from '../core/folded-keys.js';
import { holdsHighHit } from '../core/findings/index.js';
import { acceptedBy, rulesOf, useStringRules } from '../core/judge.js';
import { jsonEqual } from '../core/json-equal.js';
import { isJsonObject, jsonQuote, type JsonObject, type JsonValue } from '../core/json-strict.js';
import type { LockEntry } from '../core/lockfile.js';
import { nameWord } from '../core/shell-word.js';
import { sanitizeLine, trusted, type SafeText } from '../core/sanitize.js';
import { ITEM_KEY, ITEM_NOUN, type ItemKind } from '../core/snapshot.js';

import type { Policy } from './policy.js';

export { POLICIES, type Policy } from './policy.js';

// The guard judges live answers against accept rules (acceptedBy), as verify does: with the string rules.
useStringRules(holdsHighHit);

/**
 * JSON-RPC error codes the guard answers with, from the implementation-defined range -32000..-32019
 * (2026-07-28 reserves -32020..-32099 for the spec). -32001 is avoided: the SDK uses it for timeouts.
 */
export const GUARD_ERROR = {
  /** A call to an item that is not locked, or whose definition drifted. */
  BLOCKED: -32010,
  /** `--policy refuse`: the session was ended because of drift. */
  REFUSED: -32011,
  /** An inspected response (list, initialize) the guard could not read strictly. */
  BAD_RESPONSE: -32012,
  /** The server may not be started at all (not locked, launch changed, config or lock error). */
  NOT_STARTED: -32013,
  /** A remote server could not be reached, or answered an HTTP error, for this request. */
  UPSTREAM: -32014,
  /** A server-initiated request (sampling, elicitation, roots) of a kind `--deny` names. */
  DENIED: -32015,
} as const;

/** Results the guard compares with the lock; every other response is forwarded untouched. */
// Maps, not object literals: methods come off the wire, and `{}["constructor"]` is not undefined.
export const LIST_METHOD_KIND: ReadonlyMap<string, ItemKind> = new Map([
  ['tools/list', 'tools'],
  ['prompts/list', 'prompts'],
  ['resources/list', 'resources'],
  ['resources/templates/list', 'resourceTemplates'],
]);
export const INSPECTED_METHODS: ReadonlySet<string> = new Set(['initialize', 'server/discover', ...LIST_METHOD_KIND.keys()]);

/** Requests that use a listed item; the item is named by this params field. */
export const CALL_METHODS: ReadonlyMap<string, { kind: ItemKind; field: 'name' | 'uri'; verb: string }> = new Map([
  ['tools/call', { kind: 'tools', field: 'name', verb: 'a call to' }],
  ['prompts/get', { kind: 'prompts', field: 'name', verb: 'a request for' }],
  ['resources/read', { kind: 'resources', field: 'uri', verb: 'a read of' }],
] as const);

/** Server notifications after which the host re-lists; the new list is checked like the first. */
export const LIST_CHANGED_METHODS: ReadonlySet<string> = new Set([
  'notifications/tools/list_changed',
  'notifications/prompts/list_changed',
  'notifications/resources/list_changed',
]);

/** The key of each list result holding the items (resources/templates/list says resourceTemplates). */
const RESULT_FIELD: Record<ItemKind, string> = {
  tools: 'tools',
  prompts: 'prompts',
  resources: 'resources',
  resourceTemplates: 'resourceTemplates',
};

/**
 * Where 2026-07-28 puts the server's identity: in the `_meta` of every result (SHOULD), the
 * DiscoverResult's among them. A dual-era server may put it beside an InitializeResult's serverInfo.
 */
export const SERVER_INFO_META = 'io.modelcontextprotocol/serverInfo';

export type WithholdReason = 'drifted' | 'unknown' | 'quarantined' | 'awaiting-approval' | 'unlisted' | 'malformed' | 'ambiguous' | 'misspelled';

export type GuardEvent =
  | { type: 'item-withheld'; kind: ItemKind; key: string | undefined; reason: WithholdReason }
  /** `problem`: for `ambiguous`, why the request could be read in more than one way. */
  | { type: 'call-blocked'; method: string; kind: ItemKind; key: string | undefined; reason: WithholdReason; problem?: string }
  | { type: 'field-replaced'; field: 'instructions' | 'serverInfo' | 'capabilities' }
  | { type: 'bad-response'; method: string; problem: string };

export interface RpcError {
  code: number;
  message: SafeText;
}

export type Verdict =
  | { action: 'forward' }
  /** Send `message` (the same id) in place of the server's line. */
  | { action: 'rewrite'; message: JsonObject; events: GuardEvent[] }
  /** Do not forward; answer the request's id with `error`. */
  | { action: 'reject'; error: RpcError; events: GuardEvent[] }
  /** Do not forward; answer the request's id with `error`, then end the session (policy refuse). */
  | { action: 'end'; error: RpcError; events: GuardEvent[] };

const FORWARD: Verdict = { action: 'forward' };

export interface WireCheckOptions {
  /** The server's name in the config and the lock. */
  server: string;
  entry: LockEntry;
  policy: Policy;
  /** The lock file as messages name it, e.g. `mcp.lock`. */
  lockLabel: string;
  /**
   * How the reviewer reaches this project from anywhere, e.g. `mcpm --host claude-desktop` or
   * `mcpm -C /abs/project`: hosts start servers in arbitrary directories, so a bare `mcpm diff`
   * in a hint would look at the wrong config. Default `mcpm`.
   */
  reviewCommand?: string;
}

/** Whole session state of one guarded server: which items were seen drifted. */
export class WireCheck {
  private readonly quarantined: Record<ItemKind, Set<string>> = {
    tools: new Set(),
    prompts: new Set(),
    resources: new Set(),
    resourceTemplates: new Set(),
  };
  /** Keys the server listed in this session with their locked definitions. */
  private readonly seen: Record<ItemKind, Set<string>> = {
    tools: new Set(),
    prompts: new Set(),
    resources: new Set(),
    resourceTemplates: new Set(),
  };
  private templates: { key: string; pattern: RegExp }[] | undefined;

  constructor(private readonly options: WireCheckOptions) {}

  /** Items withheld so far because they were served drifted, by kind (for tests and reports). */
  quarantinedKeys(kind: ItemKind): ReadonlySet<string> {
    return this.quarantined[kind];
  }

  /**
   * A host request, before it is forwarded. Only the call methods are judged; anything else is
   * forwarded. `ambiguity`: why the host's line could read as another message to the server (a
   * duplicate key, a raw line break, a hybrid); a call in such a line is never forwarded, since
   * the server might run another call than the one judged here.
   */
  checkRequest(method: string, params: JsonValue | undefined, ambiguity?: string): Verdict {
    const call = CALL_METHODS.get(method);
    if (!call) return FORWARD;
    const target = isJsonObject(params) ? params[call.field] : undefined;
    if (ambiguity !== undefined) {
      const key = typeof target === 'string' ? target : undefined;
      return this.refuseOrReject('reject', [{ type: 'call-blocked', method, kind: call.kind, key, reason: 'ambiguous', problem: ambiguity }]);
    }
    if (typeof target !== 'string') {
      // Without a string name the server would have to guess; a guess is not the locked item.
      return this.refuseOrReject('reject', [{ type: 'call-blocked', method, kind: call.kind, key: undefined, reason: 'malformed' }]);
    }
    const reason = this.callReason(call.kind, target);
    if (reason === undefined) return FORWARD;
    return this.refuseOrReject('reject', [{ type: 'call-blocked', method, kind: call.kind, key: target, reason }]);
  }

  /**
   * The server's response to a host request of `method` (one of INSPECTED_METHODS), strictly
   * parsed. Error responses are forwarded: they carry no definitions.
   */
  checkResponse(method: string, message: JsonObject): Verdict {
    if (!INSPECTED_METHODS.has(method) || !Object.hasOwn(message, 'result')) return FORWARD;
    const result = message['result'];
    if (!isJsonObject(result)) return this.badResponse(method, 'its result is not an object');
    const kind = LIST_METHOD_KIND.get(method);
    if (kind) return this.checkList(method, kind, message, result);
    return this.checkServerLevel(method, message, result);
  }

  private callReason(kind: ItemKind, key: string): WithholdReason | undefined {
    const locked = this.options.entry.snapshot[kind];
    if (locked.has(key)) {
      if (this.quarantined[kind].has(key)) return 'drifted';
      return kind === 'resources' || this.seen[kind].has(key) ? undefined : 'unlisted';
    }
    if (kind === 'resources') {
      // A URI the server did not list can still be a locked template's instance (test://item/{id}).
      const template = key.length <= MAX_TEMPLATE_MATCH_LENGTH ? this.lockedTemplates().find((t) => t.pattern.test(key)) : undefined;
      if (template) return this.quarantined.resourceTemplates.has(template.key) ? 'drifted' : undefined;
      if (this.quarantined.resources.has(key)) return 'drifted';
    }
    return this.unlockedReason();
  }

  /** An item the lock does not have: new and waiting for approval under `additive: "quarantine"`. */
  private unlockedReason(): WithholdReason {
    return rulesOf(this.options.entry).additive === 'quarantine' ? 'awaiting-approval' : 'unknown';
  }

  /**
   * Served differently from the lock, but only in fields the entry's accept rules accept (or in
   * serverInfo.version alone): what verify calls ok, the guard forwards as served.
   */
  private isAcceptedDrift(subject: ItemKind | 'serverInfo' | 'capabilities', key: string, locked: JsonValue, served: JsonValue): boolean {
    const rules = rulesOf(this.options.entry);
    if (rules.fields.length === 0 && (subject !== 'serverInfo' || rules.serverVersion !== 'accept')) return false;
    let fields;
    try {
      fields = diffJson(locked, served);
    } catch {
      // Deeper than the walk goes: not a value a reviewer's rule was written for.
      return false;
    }
    return acceptedBy(rules, subject, key, fields) !== undefined;
  }

  private lockedTemplates(): { key: string; pattern: RegExp }[] {
    this.templates ??= [...this.options.entry.snapshot.resourceTemplates.keys()].map((key) => ({
      key,
      pattern: uriTemplatePattern(key),
    }));
    return this.templates;
  }

  private checkList(method: string, kind: ItemKind, message: JsonObject, result: JsonObject): Verdict {
    const field = RESULT_FIELD[kind];
    if (!Object.hasOwn(result, field)) {
      // No list to judge (an input_required answer, say), but a serverInfo copy is held to the lock in any result.
      const events: GuardEvent[] = [];
      const next = this.withLockedServerInfoCopy(result, events);
      if (events.length === 0) return FORWARD;
      if (this.options.policy === 'refuse') return this.refuseOrReject('end', events);
      return { action: 'rewrite', message: withResult(message, next), events };
    }
    const items = result[field];
    if (!Array.isArray(items)) return this.badResponse(method, `its "${field}" is not an array`);

    const locked = this.options.entry.snapshot[kind];
    const keyField = ITEM_KEY[kind];
    const quarantine = this.quarantined[kind];
    // First pass: judge every item and quarantine what drifted, so that a second copy of the same
    // key on this page (a host would pick one of the two in its own way) is withheld as well.
    const verdicts = items.map((item): { key: string | undefined; reason: WithholdReason | undefined } => {
      const key = isJsonObject(item) ? item[keyField] : undefined;
      if (typeof key !== 'string' || !isJsonObject(item)) return { key: undefined, reason: 'malformed' };
      // A member a Go host reads as another (its name, a hint): even a locked item (an older lock) is not served so.
      if (foldedItemMember(item) !== undefined) return { key, reason: 'misspelled' };
      const lockedItem = locked.get(key);
      if (!lockedItem) return { key, reason: this.unlockedReason() };
      if (!jsonEqual(item, lockedItem.definition) && !this.isAcceptedDrift(kind, key, lockedItem.definition, item)) {
        quarantine.add(key);
        return { key, reason: 'drifted' };
      }
      return { key, reason: undefined };
    });
    const events: GuardEvent[] = [];
    const kept: JsonValue[] = [];
    verdicts.forEach(({ key, reason }, index) => {
      const withheld = reason ?? (key !== undefined && quarantine.has(key) ? 'quarantined' : undefined);
      if (withheld === undefined) {
        kept.push(items[index]!);
        this.seen[kind].add(key!);
      } else events.push({ type: 'item-withheld', kind, key, reason: withheld });
    });
    let next = events.length === 0 ? result : withField(result, field, kept);
    next = this.withLockedServerInfoCopy(next, events);
    if (events.length === 0) return FORWARD;
    if (this.options.policy === 'refuse') return this.refuseOrReject('end', events);
    return { action: 'rewrite', message: withResult(message, next), events };
  }

  /**
   * A serverInfo the server put in a `_meta` of a message the guard does not otherwise inspect (a
   * tools/call result, a notification): FORWARD when it is the locked one; else a rewrite whose
   * `message` is the locked serverInfo to put in its place, or the end under policy refuse.
   */
  checkServerInfoCopy(served: JsonValue | undefined): Verdict {
    const events: GuardEvent[] = [];
    if (!this.isLockedServerInfo(served)) events.push({ type: 'field-replaced', field: 'serverInfo' });
    if (events.length === 0) return FORWARD;
    if (this.options.policy === 'refuse') return this.refuseOrReject('end', events);
    return { action: 'rewrite', message: this.options.entry.snapshot.serverInfo, events };
  }

  /** `result` with a served `_meta` serverInfo that is not the locked one replaced (an event added). */
  private withLockedServerInfoCopy(result: JsonObject, events: GuardEvent[]): JsonObject {
    const meta = result['_meta'];
    if (!isJsonObject(meta) || !Object.hasOwn(meta, SERVER_INFO_META) || this.isLockedServerInfo(meta[SERVER_INFO_META])) return result;
    if (!events.some((e) => e.type === 'field-replaced' && e.field === 'serverInfo')) events.push({ type: 'field-replaced', field: 'serverInfo' });
    return withField(result, '_meta', withField(meta, SERVER_INFO_META, this.options.entry.snapshot.serverInfo));
  }

  private isLockedServerInfo(value: JsonValue | undefined): boolean {
    if (jsonEqual(value, this.options.entry.snapshot.serverInfo)) return true;
    return value !== undefined && this.isAcceptedDrift('serverInfo', '', this.options.entry.snapshot.serverInfo, value);
  }

  private checkServerLevel(method: string, message: JsonObject, result: JsonObject): Verdict {
    const snapshot = this.options.entry.snapshot;
    const events: GuardEvent[] = [];
    let next = result;

    const instructions = result['instructions'];
    if (Object.hasOwn(result, 'instructions') ? instructions !== snapshot.instructions : snapshot.instructions !== undefined) {
      events.push({ type: 'field-replaced', field: 'instructions' });
      next = withField(next, 'instructions', snapshot.instructions);
    }

    if (method === 'initialize') {
      // An InitializeResult without serverInfo breaks the spec; the locked one is what the host should see.
      if (!this.isLockedServerInfo(result['serverInfo'])) {
        events.push({ type: 'field-replaced', field: 'serverInfo' });
        next = withField(next, 'serverInfo', snapshot.serverInfo);
      }
      // A dual-era server may put a second copy in _meta; a host may read either.
      next = this.withLockedServerInfoCopy(next, events);
    } else {
      // server/discover: the DiscoverResult's _meta must carry it, so an absent one is added.
      const meta = result['_meta'];
      const served = isJsonObject(meta) ? meta[SERVER_INFO_META] : undefined;
      if (!this.isLockedServerInfo(served)) {
        events.push({ type: 'field-replaced', field: 'serverInfo' });
        const base = isJsonObject(meta) ? meta : (Object.create(null) as JsonObject);
        next = withField(next, '_meta', withField(base, SERVER_INFO_META, snapshot.serverInfo));
      }
    }

    const capabilities = result['capabilities'] ?? (Object.create(null) as JsonObject);
    if (!jsonEqual(capabilities, snapshot.capabilities) && !this.isAcceptedDrift('capabilities', '', snapshot.capabilities, capabilities)) {
      events.push({ type: 'field-replaced', field: 'capabilities' });
      next = withField(next, 'capabilities', snapshot.capabilities);
    }

    if (events.length === 0) return FORWARD;
    if (this.options.policy === 'refuse') return this.refuseOrReject('end', events);
    return { action: 'rewrite', message: withResult(message, next), events };
  }

  /** A response the guard cannot judge (not strict JSON, a result that is not an object, …): rejected, or the end under refuse. */
  badResponse(method: string, problem: string): Verdict {
    return this.refuseOrReject('reject', [{ type: 'bad-response', method, problem }]);
  }

  private refuseOrReject(action: 'reject' | 'end', events: GuardEvent[]): Verdict {
    const first = events[0]!;
    if (this.options.policy === 'refuse') {
      return {
        action: 'end',
        error: { code: GUARD_ERROR.REFUSED, message: trusted(`mcpm ended the session (policy refuse): ${describeEvent(first, this.options)}`) },
        events,
      };
    }
    const code = first.type === 'bad-response' ? GUARD_ERROR.BAD_RESPONSE : GUARD_ERROR.BLOCKED;
    // describeEvent's text is escaped already; sanitising it again would escape its own markers.
    return { action, error: { code, message: trusted(`mcpm ${describeEvent(first, this.options)}`) }, events };
  }
}

/**
 * One event in words, without the `mcpm: ` prefix, e.g. `blocked tool "x" of server "notes": its
 * definition differs from mcp.lock; run "mcpm diff notes" to review`. Names are quoted as printable
 * ASCII (jsonQuote) and the whole text is sanitised, so it can go to a terminal or a host's log.
 */
export function describeEvent(event: GuardEvent, where: Pick<WireCheckOptions, 'server' | 'lockLabel' | 'reviewCommand'>): SafeText {
  const server = `server ${jsonQuote(where.server)}`;
  const review = `run "${where.reviewCommand ?? 'mcpm'} diff ${nameWord(where.server)}" to review`;
  const why = (reason: WithholdReason): string => {
    switch (reason) {
      case 'drifted':
        return `its definition differs from ${where.lockLabel}`;
      case 'quarantined':
        return `it was served with a definition that differs from ${where.lockLabel} earlier in this session`;
      case 'unknown':
        return `it is not in ${where.lockLabel}`;
      case 'awaiting-approval':
        return `it is new and quarantined until approved (run "${where.reviewCommand ?? 'mcpm'} approve ${nameWord(where.server)}")`;
      case 'unlisted':
        return 'the server has not listed it in this session, so mcpm has not seen its definition (list it first)';
      case 'malformed':
        return 'it has no valid name';
      case 'ambiguous':
        return 'the request could be read as another call by the server';
      case 'misspelled':
        return 'it has a member that hosts decoding with Go read as another (its name, description or a hint, spelled in another case)';
    }
  };
  switch (event.type) {
    case 'item-withheld': {
      const what = event.key === undefined ? `a ${ITEM_NOUN[event.kind]}` : `${ITEM_NOUN[event.kind]} ${jsonQuote(event.key)}`;
      return sanitizeLine(`blocked ${what} of ${server}: ${why(event.reason)}; ${review}`);
    }
    case 'call-blocked': {
      const noun = ITEM_NOUN[event.kind];
      const call = CALL_METHODS.get(event.method);
      if (event.reason === 'ambiguous') {
        const target = event.key === undefined ? `a ${noun}` : `${noun} ${jsonQuote(event.key)}`;
        return sanitizeLine(
          `blocked ${call?.verb ?? `${event.method} of`} ${target} of ${server}: the host's line holds ${event.problem ?? 'more than one reading'}, so the server could read another call than the one mcpm checked`,
        );
      }
      const what = event.key === undefined ? `a ${noun} without a valid ${call?.field ?? 'name'}` : `${noun} ${jsonQuote(event.key)}`;
      if (event.key === undefined) {
        return sanitizeLine(`blocked ${call?.verb ?? `${event.method} of`} ${what} of ${server}: the server would have to guess which ${noun} is meant`);
      }
      const next = event.reason === 'unlisted' ? '' : `; ${review}`;
      return sanitizeLine(`blocked ${call?.verb ?? `${event.method} of`} ${what} of ${server}: ${why(event.reason)}${next}`);
    }
    case 'field-replaced':
      return sanitizeLine(`replaced the ${event.field} served by ${server} with the locked ${event.field}: they differ from ${where.lockLabel}; ${review}`);
    case 'bad-response':
      return sanitizeLine(`dropped a ${event.method} response of ${server}: ${event.problem}`);
  }
}

/** A copy of `object` with `key` set (or removed when `value` is undefined), keeping key order. */
function withField(object: JsonObject, key: string, value: JsonValue | undefined): JsonObject {
  const copy = Object.create(null) as JsonObject;
  for (const k of Object.keys(object)) {
    if (k !== key) copy[k] = object[k]!;
    else if (value !== undefined) copy[k] = value;
  }
  if (value !== undefined && !Object.hasOwn(copy, key)) copy[key] = value;
  return copy;
}

function withResult(message: JsonObject, result: JsonObject): JsonObject {
  return withField(message, 'result', result);
}

/**
 * An anchored pattern for the URIs an RFC 6570 template can expand to. Literal text must match
 * exactly; each expression matches what its operator can produce: `{x}` no reserved characters,
 * `{+x}`/`{#x}` anything, `{/x}` path segments, `{.x}` labels, `{;x}`/`{?x}`/`{&x}` parameters.
 * Looser than a full expansion check, never looser than the operator's character set.
 */
export function uriTemplatePattern(template: string): RegExp {
  let source = '';
  let previous = '';
  let rest = template;
  for (;;) {
    const open = rest.indexOf('{');
    const close = open === -1 ? -1 : rest.indexOf('}', open);
    if (open === -1 || close === -1) {
      source += escapeRegExp(rest);
      break;
    }
    if (open > 0) previous = '';
    source += escapeRegExp(rest.slice(0, open));
    const expression = rest.slice(open + 1, close);
    rest = rest.slice(close + 1);
    const part = OPERATOR_PATTERN.get(expression[0] ?? '') ?? '[^/?#]*';
    // `{a}{b}` matches the same URIs as `{a}`; writing the class twice only adds backtracking.
    if (part !== previous) source += part;
    previous = part;
  }
  return new RegExp(`^${source}$`, 's');
}

/**
 * Each repetition starts with a character its class excludes, so a failing match cannot
 * backtrack exponentially (the URI comes from the host, the template from the lock).
 */
const OPERATOR_PATTERN: ReadonlyMap<string, string> = new Map([
  ['+', '.*'],
  ['#', '(?:#.*)?'],
  ['/', '(?:/[^/?#]*)*'],
  ['.', '(?:\\.[^/?#.]*)*'],
  [';', '(?:;[^/?#;]*)*'],
  ['?', '(?:\\?[^#]*)?'],
  ['&', '(?:&[^#]*)?'],
]);

/** Longer URIs are not matched against templates (and so are read only when locked as resources). */
const MAX_TEMPLATE_MATCH_LENGTH = 8192;
