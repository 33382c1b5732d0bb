/** What `mcpm run` does on drift: withhold the drifted items, or end the session. Its own module so the CLI can check it without loading the guard. */
export type Policy = 'block' | 'refuse';
export const POLICIES: readonly Policy[] = ['block', 'refuse'];
