/**
 * Whether `text` is all ASCII: the fast path of the findings (names and words of ASCII need no
 * normalising, and lower-casing them is case folding). No code unit past U+007F, rather than
 * `\p{ASCII}`: V8 builds a class of Unicode properties when it creates the expression, this one
 * costs nothing.
 */
const ASCII_ONLY = /^[^\u0080-\uFFFF]*$/;

export function isAsciiText(text: string): boolean {
  return ASCII_ONLY.test(text);
}
