/**
 * The lazy import of snapshot-all (it pulls in the MCP SDK) for the commands that contact servers.
 * The young generation is kept small first (young-generation.ts): the SDK's modules, then every
 * listing, are kept to the end of such a command. On a 2-CPU VM whose fresh pages cost 10 µs each,
 * a first lock of 4 servers × 800 tools then touched about 2,000 fewer of them.
 */
import { keepYoungGenerationSmall } from '../adapters/young-generation.js';

export function importSnapshotAll(): Promise<typeof import('./snapshot-all.js')> {
  keepYoungGenerationSmall();
  return import('./snapshot-all.js');
}
