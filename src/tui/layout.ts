/**
 * Lines of styled text, wrapped to the terminal width before Ink sees them, so the screen can be
 * scrolled a line at a time and never grows past the window (Ink repaints the whole terminal once
 * its output is as tall as the window). Widths come from `string-width`, the same measure Ink uses:
 * wide CJK characters take two columns, combining marks none, and a grapheme cluster is never split.
 * Wrapping only ever moves text to the next line; nothing is cut (a server would put what it wants unseen past the edge).
 */
import stringWidth from 'string-width';

export type SpanStyle =
  | 'plain'
  | 'dim'
  | 'bold'
  | 'title'
  | 'added'
  | 'removed'
  | 'high'
  | 'medium'
  | 'low'
  | 'focus'
  | 'key'
  | 'warn';

export interface Span {
  /** Escaped server text (SafeText) or mcpm's own words; never raw server text. */
  text: string;
  style: SpanStyle;
}

export type Line = Span[];

const segmenter = new Intl.Segmenter();

export function span(text: string, style: SpanStyle = 'plain'): Span {
  return { text, style };
}

interface Cell {
  text: string;
  width: number;
  style: SpanStyle;
}

/**
 * Wraps spans to `width` columns. A `\n` starts a new line. Lines break after a space when one is
 * on the line, else inside the word; continuation lines start with `indent` spaces (a hanging indent,
 * dropped when the window is too narrow for it). Spaces are kept, also at the end of a line.
 */
export function wrapSpans(spans: readonly Span[], width: number, indent = 0): Line[] {
  const columns = Math.max(1, Math.floor(width));
  const hang = indent < columns / 2 ? indent : 0;
  const lines: Line[] = [];
  let cells: Cell[] = [];
  let used = 0;
  let lead = 0; // cells at the start of `cells` that are the hanging indent

  const startLine = (carry: Cell[], continued: boolean) => {
    cells = [];
    used = 0;
    lead = 0;
    if (continued && hang > 0) {
      cells.push({ text: ' '.repeat(hang), width: hang, style: 'plain' });
      used = hang;
      lead = 1;
    }
    for (const c of carry) {
      cells.push(c);
      used += c.width;
    }
  };
  const flush = () => lines.push(toLine(cells));

  startLine([], false);
  for (const s of spans) {
    for (const { segment } of segmenter.segment(s.text)) {
      if (segment === '\n' || segment === '\r\n') {
        flush();
        startLine([], true);
        continue;
      }
      const w = stringWidth(segment);
      if (used + w > columns && cells.length > lead) {
        // Break after the last space on the line, carrying the partial word over.
        let cut = -1;
        for (let i = cells.length - 1; i >= lead; i--) {
          if (cells[i]!.text === ' ') {
            cut = i;
            break;
          }
        }
        let carry: Cell[] = [];
        if (cut >= lead && cut < cells.length - 1) {
          const tail = cells.slice(cut + 1);
          const tailWidth = tail.reduce((n, c) => n + c.width, 0);
          if (hang + tailWidth + w <= columns) {
            carry = tail;
            cells = cells.slice(0, cut + 1);
          }
        }
        flush();
        startLine(carry, true);
      }
      cells.push({ text: segment, width: w, style: s.style });
      used += w;
    }
  }
  flush();
  return lines;
}

function toLine(cells: readonly Cell[]): Line {
  const line: Line = [];
  for (const c of cells) {
    const last = line[line.length - 1];
    if (last && last.style === c.style) last.text += c.text;
    else line.push({ text: c.text, style: c.style });
  }
  return line;
}

/** The text of a line without styles, as a terminal would show it. */
export function lineText(line: Line): string {
  return line.map((s) => s.text).join('');
}
