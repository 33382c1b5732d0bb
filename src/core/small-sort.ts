/**
 * In-place sorts for the short lists a first lock sorts by the thousand (an object's keys, the
 * servers that share a name): V8's Array.prototype.sort sets up close to a kilobyte of work space
 * per call, which for a first lock's listings was a third of all it allocated.
 */

/** Lists up to this long are sorted by insertion; longer ones by Array.prototype.sort. */
const BY_INSERTION = 16;

/**
 * `list` sorted in place, stably, as `list.sort(compare)` sorts it; without `compare`, strings in
 * UTF-16 code-unit order, as `list.sort()` sorts them (RFC 8785's order).
 */
export function sortInPlace<T>(list: T[], compare?: (a: T, b: T) => number): T[] {
  if (list.length > BY_INSERTION) return compare === undefined ? list.sort() : list.sort(compare);
  // The default order's function is made once, not per call (a first lock sorts keys by the thousand).
  const after = compare === undefined ? (afterInCodeUnits as (a: T, b: T) => boolean) : (a: T, b: T) => compare(a, b) > 0;
  for (let i = 1; i < list.length; i++) {
    const item = list[i]!;
    let j = i - 1;
    for (; j >= 0 && after(list[j]!, item); j--) list[j + 1] = list[j]!;
    list[j + 1] = item;
  }
  return list;
}

/** Whether `a` sorts after `b` in UTF-16 code-unit order (for the strings sortInPlace sorts without `compare`). */
function afterInCodeUnits(a: unknown, b: unknown): boolean {
  return (a as string) > (b as string);
}
