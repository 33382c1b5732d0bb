/**
 * One changed item as lines: a heading (chosen or not, kind, key, change, severity), then each
 * changed field with its pointer and its diff. Text changed into text is a word diff in the notation
 * of `mcpm diff`, `⟨-old-⟩⟨+new+⟩`, coloured too, so it reads the same without colour. The brackets
 * are mcpm's own: the sanitizer escapes every ⟨ and ⟩ a server sends, so a description cannot fake
 * a marker (as it could with git's `[-old-]{+new+}`). Anything else is the old value after `- ` and
 * the new one after `+ `.
 */
import { Text } from 'ink';
import { createContext, useContext, type ReactNode } from 'react';
import type { ReviewField, ReviewItem } from '../core/review.js';
import { span, wrapSpans, type Line, type Span, type SpanStyle } from './layout.js';

export interface ItemDiffOptions {
  index: number;
  count: number;
  chosen: boolean;
  focused: boolean;
  width: number;
  /** The launch phase has one item and nothing to choose. */
  choosable: boolean;
}

const FIELD_INDENT = 4;
const VALUE_INDENT = 6;

export function itemDiffLines(item: ReviewItem, options: ItemDiffOptions): Line[] {
  const { width } = options;
  const heading: Span[] = [
    span(options.focused ? '▸ ' : '  ', options.focused ? 'focus' : 'plain'),
    ...(options.choosable ? [span(options.chosen ? '[✓] ' : '[ ] ', options.chosen ? 'bold' : 'dim')] : []),
    span(`${options.index + 1}/${options.count} `, 'dim'),
    span(item.kindLabel, options.focused ? 'focus' : 'bold'),
    ...(item.key ? [span(' '), span(item.key, options.focused ? 'focus' : 'bold')] : []),
    span(`  ${item.change}`, item.change === 'added' ? 'added' : item.change === 'removed' ? 'removed' : 'warn'),
    ...(item.severity ? [span(`  ${item.severity.toUpperCase()} finding`, item.severity)] : []),
    ...(options.choosable && !options.chosen ? [span('  (not chosen: keeps the locked definition)', 'dim')] : []),
  ];
  const lines = wrapSpans(heading, width, 4);
  for (const note of item.notes ?? []) lines.push(...wrapSpans([span(' '.repeat(FIELD_INDENT)), span(`· ${note}`, 'dim')], width, FIELD_INDENT + 2));
  for (const field of item.fields) lines.push(...fieldLines(field, width));
  return lines;
}

function fieldLines(field: ReviewField, width: number): Line[] {
  const lines: Line[] = [];
  const head: Span[] = [span(' '.repeat(FIELD_INDENT)), span(field.pointer || '(whole value)', 'bold'), span(`  ${field.change}`, 'dim')];
  for (const note of field.notes) head.push(span(`  · ${note}`, 'dim'));
  lines.push(...wrapSpans(head, width, FIELD_INDENT + 2));

  if (field.words) {
    const spans: Span[] = [span(' '.repeat(VALUE_INDENT))];
    for (const seg of field.words) {
      if (seg.op === 'same') spans.push(span(seg.text));
      else if (seg.op === 'removed') spans.push(span(`⟨-${seg.text}-⟩`, 'removed'));
      else spans.push(span(`⟨+${seg.text}+⟩`, 'added'));
    }
    lines.push(...wrapSpans(spans, width, VALUE_INDENT));
    return lines;
  }
  if (field.before !== undefined) lines.push(...blockLines('- ', field.before, 'removed', width));
  if (field.after !== undefined) lines.push(...blockLines('+ ', field.after, 'added', width));
  return lines;
}

/** Every line of a value after a -/+ marker; wrapped lines hang under the text, not the marker. */
function blockLines(marker: string, text: string, style: SpanStyle, width: number): Line[] {
  const lines: Line[] = [];
  for (const row of text.split('\n')) {
    lines.push(...wrapSpans([span(' '.repeat(VALUE_INDENT)), span(marker, style), span(row, style)], width, VALUE_INDENT + marker.length));
  }
  return lines;
}

const STYLE_PROPS: Record<SpanStyle, { color?: string; bold?: boolean; dimColor?: boolean; inverse?: boolean; underline?: boolean }> = {
  plain: {},
  dim: { dimColor: true },
  bold: { bold: true },
  title: { bold: true, inverse: true },
  added: { color: 'green', bold: true },
  removed: { color: 'red', bold: true },
  high: { color: 'red', bold: true, inverse: true },
  medium: { color: 'yellow', bold: true },
  low: { color: 'cyan' },
  focus: { color: 'cyan', bold: true },
  key: { bold: true, underline: true },
  warn: { color: 'yellow' },
};

/**
 * Whether the screen uses colour (NO_COLOR, FORCE_COLOR=0 and --no-color say no; the command
 * decides, as for all of mcpm's output). Without colour, bold, dim, inverse and underline remain,
 * and the ⟨- -⟩ ⟨+ +⟩ markers carry what red and green would.
 */
export const ColourContext = createContext(true);

function propsOf(style: SpanStyle, colour: boolean): (typeof STYLE_PROPS)[SpanStyle] {
  if (colour) return STYLE_PROPS[style];
  const { color: _dropped, ...rest } = STYLE_PROPS[style];
  return rest;
}

/** One pre-wrapped line. `wrap="wrap"`: if a width measure ever disagreed, Ink wraps rather than cuts. */
export function StyledLine({ line }: { line: Line }): ReactNode {
  const colour = useContext(ColourContext);
  return (
    <Text wrap="wrap">
      {line.length === 0 ? ' ' : line.map((s, i) => (
        <Text key={i} {...propsOf(s.style, colour)}>
          {s.text}
        </Text>
      ))}
    </Text>
  );
}
