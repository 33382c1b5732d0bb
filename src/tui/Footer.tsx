/**
 * The bottom of the screen: where the view is, what `y` would write (the integrity shown is the
 * integrity written), any message from mcpm, and the keys.
 */
import { Box } from 'ink';
import type { ReactNode } from 'react';
import { footerKeys, type Screen } from './keymap.js';
import { StyledLine } from './ItemDiff.js';
import { span, wrapSpans, type Line, type Span } from './layout.js';

export interface FooterProps {
  width: number;
  screen: Screen;
  phase: 'review' | 'launch';
  /** First and last body line on screen (1-based) and the total. */
  position: { first: number; last: number; total: number };
  chosen: number;
  items: number;
  /** What approving now writes; null when no item is chosen. */
  integrity: string | null;
  notice: string | null;
}

export function footerLines(props: FooterProps): Line[] {
  const { width, position } = props;
  const lines: Line[] = [];
  const more = position.last < position.total;
  const where: Span[] = [
    span(position.total === 0 ? 'empty' : `lines ${position.first}–${position.last} of ${position.total}`, 'dim'),
    ...(more ? [span('  ↓ more below (j, ↓, PgDn)', 'warn')] : []),
  ];
  lines.push(...wrapSpans(where, width, 2));

  if (props.phase === 'review' && props.screen === 'review') {
    const partial = props.chosen < props.items;
    // Fits 80 columns: "y writes " + 51 characters of integrity + "  2/3 items PARTIAL".
    const what: Span[] = props.integrity
      ? [
          span('y writes '),
          span(props.integrity, 'bold'),
          partial ? span(`  ${props.chosen}/${props.items} items PARTIAL`, 'warn') : span(`  all ${props.items} item${props.items === 1 ? '' : 's'}`),
        ]
      : [span('no item chosen: y approves nothing; n rejects the server', 'warn')];
    lines.push(...wrapSpans(what, width, 2));
  }
  if (props.notice) lines.push(...wrapSpans([span(props.notice, 'warn')], width, 2));

  const keys: Span[] = [];
  for (const k of footerKeys(props.screen, props.phase)) {
    if (keys.length > 0) keys.push(span('  '));
    keys.push(span(k.keys, 'key'), span(` ${k.does}`));
  }
  lines.push(...wrapSpans(keys, width, 0));
  return lines;
}

export function Footer({ lines }: { lines: Line[] }): ReactNode {
  return (
    <Box flexDirection="column">
      {lines.map((line, i) => (
        <StyledLine key={i} line={line} />
      ))}
    </Box>
  );
}
