/**
 * Rewriting one element of a server's `args` in a JSON or JSONC config file, and nothing else:
 * the element's string token is located by character offsets and replaced, so indentation,
 * comments, key order and line endings stay byte for byte (a user's config is theirs; a reformat
 * would bury the one change in the review). Used by `mcpm pin` and `mcpm update`.
 *
 * Only JSON configs with `mcpServers` (Claude Code, Cursor, --config files) or `servers` (VS Code)
 * are edited. Before replacing, the element must still hold the value mcpm read: a file changed in
 * between, or one `mcpm guard` rewrote (whose args are `mcpm run …`), is refused, never guessed at.
 */
import path from 'node:path';
import { McpmError } from '../../core/errors.js';
import { jsonQuote } from '../../core/json-strict.js';
import { valueSpan } from '../../core/json-offsets.js';
import { stripJsonComments } from '../../core/jsonc.js';
import { configFormatOf, parseConfigJson } from '../../core/launch/parse.js';
import { readTextFile, writeTextFile } from '../files.js';

export interface ArgEdit {
  server: string;
  argIndex: number;
  from: string;
  to: string;
}

/** A file as it was before an edit, to put it back if the lock cannot be written. */
export interface Written {
  file: string;
  shown: string;
  before: string;
  after: string;
}

/** Offsets of the string token at `["mcpServers"|"servers", server, "args", index]`, with its value. */
export function locateArg(text: string, shown: string, server: string, index: number): { start: number; end: number; value: string } | undefined {
  const json = parseConfigJson(text, shown, { jsonc: true });
  const rootKey = configFormatOf(json, shown) === 'vscode' ? 'servers' : 'mcpServers';
  const plain = stripJsonComments(text);
  const span = valueSpan(plain, [rootKey, server, 'args', index]);
  if (!span || plain[span.start] !== '"') return undefined;
  return { ...span, value: JSON.parse(plain.slice(span.start, span.end)) as string };
}

/** `text` with each edit applied; McpmError CONFIG_INVALID when an element is missing or holds another value. */
export function applyArgEdits(text: string, shown: string, edits: readonly ArgEdit[]): string {
  const located = edits.map((edit) => {
    const found = locateArg(text, shown, edit.server, edit.argIndex);
    if (!found || found.value !== edit.from) {
      throw new McpmError(
        'CONFIG_INVALID',
        `${shown}: server ${jsonQuote(edit.server)}: args[${edit.argIndex}] is not ${jsonQuote(edit.from)} any more, so mcpm did not edit it`,
        'if "mcpm guard" rewrote this file, run "mcpm guard --undo" first; otherwise run the command again',
      );
    }
    return { ...found, to: edit.to };
  });
  // From the end, so earlier offsets stay valid.
  located.sort((a, b) => b.start - a.start);
  let out = text;
  for (const l of located) out = `${out.slice(0, l.start)}${JSON.stringify(l.to)}${out.slice(l.end)}`;
  return out;
}

/**
 * Applies `edits` to every file of `files` that defines the edited servers (one server may be
 * defined, identically, in several files), writing each atomically. Returns what was written,
 * for restoreFiles. If one file fails, those already written are restored before the error is thrown.
 */
export async function editConfigFiles(
  projectDir: string,
  files: readonly string[],
  edits: readonly ArgEdit[],
): Promise<Written[]> {
  const written: Written[] = [];
  const edited = new Set<string>();
  try {
    for (const shown of files) {
      const file = path.resolve(projectDir, shown);
      const before = await readTextFile(file, shown);
      if (before === null) {
        throw new McpmError('CONFIG_NOT_FOUND', `${shown}: no such config file any more, so mcpm did not edit it`, 'run the command again');
      }
      let json;
      try {
        json = parseConfigJson(before, shown, { jsonc: true });
      } catch {
        // Not JSON (a TOML host config): not a file mcpm edits; a server only defined there is refused below.
        continue;
      }
      const root = json[configFormatOf(json, shown) === 'vscode' ? 'servers' : 'mcpServers'];
      const here = edits.filter((e) => typeof root === 'object' && root !== null && !Array.isArray(root) && Object.hasOwn(root, e.server));
      if (here.length === 0) continue;
      const after = applyArgEdits(before, shown, here);
      for (const e of here) edited.add(e.server);
      if (after === before) continue;
      await writeTextFile(file, shown, after);
      written.push({ file, shown, before, after });
    }
    const missing = edits.find((e) => !edited.has(e.server));
    if (missing) {
      throw new McpmError(
        'CONFIG_INVALID',
        `server ${jsonQuote(missing.server)} is not defined under "mcpServers" or "servers" of ${files.join(', ')}, so mcpm did not edit it`,
        'write the version into that config by hand, then run "mcpm approve"',
      );
    }
  } catch (error) {
    await restoreFiles(written);
    throw error;
  }
  return written;
}

/** Puts back files editConfigFiles wrote, where they still hold what it wrote (best effort). */
export async function restoreFiles(written: readonly Written[]): Promise<void> {
  for (const w of written) {
    try {
      if ((await readTextFile(w.file, w.shown)) === w.after) await writeTextFile(w.file, w.shown, w.before);
    } catch {
      // Left as edited; the caller's message says which file to check.
    }
  }
}
