// STUB: implementation pending.
import type { Deps } from '../deps.js';
import type { ExitStatus } from '../core/errors.js';
import type { GlobalOptions } from './options.js';

export async function ls(_options: GlobalOptions & Record<string, unknown>, _deps: Deps): Promise<ExitStatus> {
  throw new Error('not implemented');
}
