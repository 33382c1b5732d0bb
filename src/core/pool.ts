/**
 * Runs `work` on every item, at most `concurrency` at a time, in item order as far as starting
 * goes. Servers and registry lookups are contacted this way so that `--concurrency` bounds both.
 */
export async function forEachConcurrently<T>(items: readonly T[], concurrency: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await work(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(Math.max(1, concurrency), items.length) }, worker));
}
