/**
 * The trusted base of a CI run: `--base REF`, or the target branch the CI names for a pull or merge
 * request. Entries of the lock that the base does not have as they are become 'unreviewed'.
 */
import { unreviewedEntries, withBase } from '../core/base.js';
import { parseLock, type Lock } from '../core/lockfile.js';
import type { ServerStatus } from '../core/status.js';
import type { Project } from './project.js';
import { keepYoungGenerationSmallFor } from '../adapters/young-generation.js';

/** `--base`, else GitHub Actions' GITHUB_BASE_REF, else GitLab's CI_MERGE_REQUEST_TARGET_BRANCH_NAME (both set only for pull and merge requests). */
export function baseRefOf(options: { base?: string }, env: Readonly<Record<string, string | undefined>>): string | undefined {
  const given = [options.base, env['GITHUB_BASE_REF'], env['CI_MERGE_REQUEST_TARGET_BRANCH_NAME']];
  return given.find((ref): ref is string => ref !== undefined && ref !== '');
}

/** The statuses with every entry added or changed against the base marked 'unreviewed'; unchanged without a base. */
export async function applyBase(
  project: Pick<Project, 'lockFile' | 'lockLabel'>,
  lock: Lock,
  statuses: readonly ServerStatus[],
  ref: string | undefined,
): Promise<ServerStatus[]> {
  if (ref === undefined) return [...statuses];
  const { readLockAtRef } = await import('../adapters/git-base.js');
  const text = await readLockAtRef(project.lockFile, ref, project.lockLabel);
  if (text !== null) keepYoungGenerationSmallFor(text);
  const base = text === null ? { servers: new Map(), eol: '\n' as const } : parseLock(text, `${project.lockLabel} at ${ref}`);
  return withBase(statuses, unreviewedEntries(lock, base));
}
