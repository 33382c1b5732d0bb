/**
 * Whether `text` is all ASCII: the fast path of the findings (names and words of ASCII need no
 * normalising, and lower-casing them is case folding). A range of code units, not `\p{ASCII}`: V8
 * builds a class of Unicode properties when it creates the expression, this one costs nothing.
 */
const ASCII_ONLY = /^[\x00-\x7F]*$/;

export function isAsciiText(text: string): boolean {
  return ASCII_ONLY.test(text);
}
