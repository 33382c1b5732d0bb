/**
 * `mcpm accept NAME`: shows and edits a locked server's accept rules, optional items and
 * tombstones. Starts no server and changes no definition; the edits land in the lock, where the
 * pull request that makes them shows them to reviewers, and the entry's integrity covers them.
 */
import { DEFAULT_ACCEPT_RULES, FORBIDDEN_FIELDS } from '../core/accept-rules.js';
import { editEntry, type EntryEdits } from '../core/entry-edit.js';
import { McpmError, type ExitStatus } from '../core/errors.js';
import { jsonQuote } from '../core/json-strict.js';
import type { LockEntry } from '../core/lockfile.js';
import { sanitize, sanitizeLine } from '../core/sanitize.js';
import { nameWord } from '../core/shell-word.js';
import { ITEM_KINDS, ITEM_NOUN } from '../core/snapshot.js';
import type { Deps } from '../deps.js';
import { updateLock } from '../adapters/lock-store.js';
import { writeJson } from '../render/json.js';
import type { GlobalOptions } from '../app/options.js';
import { assertUntampered, loadCheckedLock, loadProject } from '../app/project.js';

export interface AcceptOptions extends GlobalOptions {
  field?: string[];
  removeField?: string[];
  additive?: string;
  serverVersion?: string;
  optional?: string[];
  required?: string[];
  prune?: string[];
  pruneAll?: boolean;
}

export async function accept(name: string, options: AcceptOptions, deps: Deps): Promise<ExitStatus> {
  const edits = editsOf(options);
  const project = await loadProject(options, deps);
  const { lock } = await loadCheckedLock(project);
  if (!lock.servers.has(name)) {
    throw new McpmError('USAGE', `no server named ${jsonQuote(name)} in ${project.lockLabel}`, 'accept rules belong to a locked server; run "mcpm install" or "mcpm approve" first');
  }
  let entry = lock.servers.get(name)!;
  let written = false;
  if (edits) {
    // Checked against the lock as read first, so a refused rule fails before the file is locked.
    editEntry(name, entry, edits);
    const outcome = await updateLock(project.lockFile, (current) => {
      assertUntampered(current.lock, project.lockLabel);
      const now = current.lock.servers.get(name);
      if (!now) throw new McpmError('USAGE', `server ${jsonQuote(name)} left ${project.lockLabel} meanwhile`, 'run the command again');
      entry = editEntry(name, now, edits);
      const servers = new Map(current.lock.servers);
      servers.set(name, entry);
      return { ...current.lock, servers };
    }, { displayName: project.lockLabel });
    written = outcome.written;
  }
  if (options.format === 'json') {
    writeJson(deps.stdout, { name, ...entryRulesJson(entry), lockfile: project.lockLabel, written, exitStatus: 0 });
    return 0;
  }
  deps.stdout.write(describeRules(name, entry));
  if (written) deps.stdout.write(`wrote ${sanitizeLine(project.lockLabel)}\n`);
  return 0;
}

function editsOf(options: AcceptOptions): EntryEdits | null {
  const edits: EntryEdits = {};
  if (options.field?.length) edits.addFields = options.field;
  if (options.removeField?.length) edits.removeFields = options.removeField;
  if (options.additive !== undefined) {
    if (options.additive !== 'drift' && options.additive !== 'quarantine') throw new McpmError('USAGE', '--additive takes "drift" or "quarantine"');
    edits.additive = options.additive;
  }
  if (options.serverVersion !== undefined) {
    if (options.serverVersion !== 'accept' && options.serverVersion !== 'review') throw new McpmError('USAGE', '--server-version takes "accept" or "review"');
    edits.serverVersion = options.serverVersion;
  }
  if (options.optional?.length) edits.optional = options.optional;
  if (options.required?.length) edits.required = options.required;
  if (options.pruneAll) edits.prune = 'all';
  else if (options.prune?.length) edits.prune = options.prune;
  return Object.keys(edits).length > 0 ? edits : null;
}

/** The JSON form (docs/json-output.md): rules with their defaults filled in, optional items, tombstone keys. */
export function entryRulesJson(entry: LockEntry) {
  const rules = entry.accept ?? DEFAULT_ACCEPT_RULES;
  const byKind = (pick: (kind: (typeof ITEM_KINDS)[number]) => string[]) =>
    Object.fromEntries(ITEM_KINDS.map((k) => [k, pick(k)]).filter(([, keys]) => keys!.length > 0));
  return {
    accept: { fields: [...rules.fields], additive: rules.additive, serverVersion: rules.serverVersion },
    optional: byKind((k) => [...(entry.optional?.[k] ?? [])]),
    tombstones: byKind((k) => [...(entry.tombstones?.[k]?.keys() ?? [])]),
  };
}

function describeRules(name: string, entry: LockEntry): string {
  const rules = entry.accept ?? DEFAULT_ACCEPT_RULES;
  const lines = [`accept rules of ${jsonQuote(name)}:`];
  lines.push(rules.fields.length === 0 ? '  fields: none' : `  fields: ${rules.fields.map((f) => jsonQuote(f)).join(', ')}`);
  lines.push(`  new items: ${rules.additive === 'quarantine' ? 'quarantine (not drift; "mcpm run" withholds them until approved)' : 'drift'}`);
  lines.push(`  serverInfo.version alone: ${rules.serverVersion === 'accept' ? 'accepted' : 'reviewed'}`);
  for (const kind of ITEM_KINDS) {
    for (const key of entry.optional?.[kind] ?? []) lines.push(`  optional ${ITEM_NOUN[kind]} ${jsonQuote(key)}`);
  }
  for (const kind of ITEM_KINDS) {
    for (const key of entry.tombstones?.[kind]?.keys() ?? []) lines.push(`  tombstone: ${ITEM_NOUN[kind]} ${jsonQuote(key)} (removed with approval)`);
  }
  lines.push(`never accepted by a rule: ${FORBIDDEN_FIELDS.join(', ')}, and any "description"`);
  // Options first: a name that starts with "-" comes after "--" (nameWord), and nothing can follow it.
  lines.push(`edit: mcpm accept --field PATTERN | --additive quarantine | --optional tool:NAME | --prune tool:NAME ${nameWord(name)}`);
  return `${lines.map((l) => sanitize(l)).join('\n')}\n`;
}
