// STUB: types are final; implementation pending (helper "diff-findings").
/** A string that is safe to write to a terminal: the only kind `render/` and `tui/` accept for server text. */
export type SafeText = string & { readonly __brand: 'SafeText' };

export interface SanitizeOptions {
  /** Names, keys and identifiers: every non-ASCII code point is shown escaped too. */
  identifier?: boolean;
}

/**
 * The one escaper for server-provided text. Nothing is dropped: C0/C1 controls, DEL, bidi controls,
 * zero-width and other format characters, variation selectors and tag characters become visible
 * markers such as `⟨U+200B⟩` (runs of tag characters are decoded: `⟨tags: "Read ~/.ssh"⟩`);
 * whitespace runs longer than a few characters are collapsed with a count (`⟨412 spaces⟩`);
 * newlines are kept in multi-line text and shown as `⏎` in identifiers.
 */
export function sanitize(_text: string, _options?: SanitizeOptions): SafeText {
  throw new Error('not implemented');
}

/** For mcpm's own fixed strings that contain no server text. */
export function trusted(text: string): SafeText {
  return text as SafeText;
}
