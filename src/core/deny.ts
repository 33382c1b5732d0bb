/**
 * Server-initiated requests that `mcpm run --deny` (or a server's `"mcpm": {"deny": […]}` in its
 * config entry) answers with an error instead of passing them to the host. These are the requests
 * through which a server reaches past its tools: sampling runs the host's model on the server's
 * prompt, elicitation asks the user a question in the server's words, roots lists the user's
 * directories. Pure: the CLI, the config parser and the guard share it.
 */
export const DENY_KINDS = ['sampling', 'elicitation', 'roots'] as const;
export type DenyKind = (typeof DENY_KINDS)[number];

/** `sampling/createMessage` → `sampling`; undefined for a method of no deniable kind (ping, …). */
export function denyKindOf(method: string): DenyKind | undefined {
  const slash = method.indexOf('/');
  const prefix = slash === -1 ? method : method.slice(0, slash);
  return (DENY_KINDS as readonly string[]).includes(prefix) ? (prefix as DenyKind) : undefined;
}

/**
 * Values of `--deny` (repeatable, each comma-separated) or of the config's `deny` array → the kinds,
 * sorted and without repeats; or the first word that is not a kind (an empty word included).
 */
export function parseDenyList(values: readonly string[]): { kinds: DenyKind[] } | { invalid: string } {
  const kinds = new Set<DenyKind>();
  for (const value of values) {
    for (const word of value.split(',')) {
      const kind = word.trim();
      if (!(DENY_KINDS as readonly string[]).includes(kind)) return { invalid: kind };
      kinds.add(kind as DenyKind);
    }
  }
  return { kinds: DENY_KINDS.filter((k) => kinds.has(k)) };
}
