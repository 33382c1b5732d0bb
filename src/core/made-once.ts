/**
 * A value made at its first use, then kept. For the findings' regular expressions: V8 builds an
 * expression's classes of Unicode properties when it creates the expression (1.5 ms for one of
 * emoji, symbols and Han on a 2-CPU VM; about 3 ms for all of them), and `mcpm run` loads those
 * modules with its relay, while the server starts, for a session that may never judge a string.
 */
export function madeOnce<T>(make: () => T): () => T {
  let made: { value: T } | undefined;
  return () => (made ??= { value: make() }).value;
}
