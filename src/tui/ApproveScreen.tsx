/**
 * The review screen. A fixed title (server, status, versions, findings count), a scrolling body
 * (launch command, findings first, then every changed item with its diff) and a fixed footer
 * (position, what `y` writes, keys). Keys become screenReducer actions (reviewReducer's, plus
 * scrolling); the component renders state and hands the decisions back with `exit(decisions)`: it
 * never writes anything itself.
 *
 * Every string from the model is SafeText, escaped by the command; this file adds only mcpm's words.
 */
import { Box, useApp, useInput, useStdout, type Key } from 'ink';
import { useEffect, useMemo, useReducer, useRef, useState, type ReactNode } from 'react';
import { chosenItems, confirmCode, CONFIRM_LENGTH, pendingIntegrity, type ReviewModel, type ReviewServer, type ReviewState } from '../core/review.js';
import { Footer, footerLines } from './Footer.js';
import { ColourContext, itemDiffLines, StyledLine } from './ItemDiff.js';
import { commandFor, HELP } from './keymap.js';
import { span, wrapSpans, type Line, type Span } from './layout.js';
import { initScreenState, maxScroll, screenReducer, scrollDelta, type ReviewLayout, type ScreenState } from './scroll.js';

/** Ctrl-C: the command leaves every file as it was and exits 130. */
export class ApproveInterrupted extends Error {
  override readonly name = 'ApproveInterrupted';
  constructor() {
    super('interrupted');
  }
}

export interface ApproveScreenProps {
  model: ReviewModel;
  /** Fixed size (tests); otherwise the terminal's, followed on resize. */
  size?: { columns: number; rows: number };
  /**
   * Keys arriving this soon after a server appears, or after a key dropped so, are dropped: a key
   * typed ahead while servers were being contacted, a second `y` of a double press, or a `y` held
   * down must not approve a server nobody has seen.
   */
  inputGuardMs?: number;
  /** Colours on (default) or off; the command decides (NO_COLOR, FORCE_COLOR, --no-color). */
  color?: boolean;
}

export const DEFAULT_INPUT_GUARD_MS = 300;

export function ApproveScreen({ color = true, ...props }: ApproveScreenProps): ReactNode {
  return (
    <ColourContext.Provider value={color}>
      <Review {...props} />
    </ColourContext.Provider>
  );
}

function Review({ model, size: fixedSize, inputGuardMs = DEFAULT_INPUT_GUARD_MS }: Omit<ApproveScreenProps, 'color'>): ReactNode {
  const { exit } = useApp();
  const [view, dispatch] = useReducer(keyReducer, model, initScreenState);
  const state = view.review;
  const { columns, rows } = useTerminalSize(fixedSize);
  const server = model.servers[state.current];

  const chosenRow = state.chosen[state.current];
  const body = useMemo(
    () => (server ? bodyFor(model.phase, server, state, columns) : { lines: [], itemStarts: [], itemEnds: [] }),
    // The body depends on the server, the chosen items, the focus, the screen and the width; not on scrolling.
    [model.phase, server, chosenRow, state.item, state.screen, state.typed, columns],
  );

  const title = server ? titleLines(model, state, server, columns) : [];
  const integrity = pendingIntegrity(state);
  const footerFor = (first: number, last: number) =>
    footerLines({
      width: columns,
      screen: state.screen,
      phase: model.phase,
      position: { first, last, total: body.lines.length },
      chosen: chosenItems(state).length,
      items: server?.items.length ?? 0,
      integrity,
      notice: state.notice,
    });
  // One line is left free: Ink clears the whole terminal on every frame once output fills the window.
  const budget = Math.max(3, rows - 1);
  const height = Math.max(1, budget - title.length - footerFor(1, 1).length);
  const layout: ReviewLayout = { itemStarts: body.itemStarts, itemEnds: body.itemEnds, total: body.lines.length, height };
  const scroll = Math.min(view.scroll, maxScroll(layout));
  const visible = body.lines.slice(scroll, scroll + height);
  const footer = footerFor(body.lines.length === 0 ? 0 : scroll + 1, scroll + visible.length);

  const shownAt = useRef(0);
  useEffect(() => {
    shownAt.current = Date.now();
  }, [state.current]);

  useEffect(() => {
    if (state.finished) exit([...state.decisions]);
  }, [state.finished, state.decisions, exit]);

  useInput(
    (input: string, key: Key) => {
      if (key.ctrl && input === 'c') {
        exit(new ApproveInterrupted());
        return;
      }
      if (Date.now() - shownAt.current < inputGuardMs) {
        // A key held down repeats every few tens of milliseconds: each repeat dropped starts the
        // wait again, so only a key pressed after a pause reaches the server just shown.
        shownAt.current = Date.now();
        return;
      }
      dispatch({ type: 'key', input, key, layout });
    },
    { isActive: !state.finished },
  );

  // The last frame stays in the terminal: a one-line summary rather than a stale screen.
  if (!server || state.finished) return <StyledLine line={[span(summaryOf(model, state), 'bold')]} />;
  return (
    <Box flexDirection="column" width={columns}>
      {title.map((line, i) => (
        <StyledLine key={`t${i}`} line={line} />
      ))}
      {visible.map((line, i) => (
        <StyledLine key={`b${scroll + i}`} line={line} />
      ))}
      {Array.from({ length: height - visible.length }, (_, i) => (
        <StyledLine key={`e${i}`} line={[]} />
      ))}
      <Footer lines={footer} />
    </Box>
  );
}

interface KeyEvent {
  type: 'key';
  input: string;
  key: Key;
  layout: ReviewLayout;
}

/**
 * Maps a key to a screenReducer action against the state it arrives in (not the state of the last
 * render: a key typed right after `y` opened the confirm screen is a typed character, not a second `y`).
 */
function keyReducer(state: ScreenState, event: KeyEvent): ScreenState {
  const command = commandFor(event.input, event.key, state.review.screen);
  if (!command || command.type === 'interrupt') return state;
  const { layout } = event;
  switch (command.type) {
    case 'scroll':
      return screenReducer(state, { type: 'scroll', delta: scrollDelta(command.by, command.direction, layout), layout });
    case 'focusItem':
      return screenReducer(state, { type: 'focusItem', delta: command.delta, layout });
    default:
      return screenReducer(state, command);
  }
}

function useTerminalSize(fixed: { columns: number; rows: number } | undefined): { columns: number; rows: number } {
  const { stdout } = useStdout();
  const read = () => ({ columns: stdout.columns || 80, rows: stdout.rows || 24 });
  const [size, setSize] = useState(read);
  useEffect(() => {
    if (fixed) return;
    const onResize = () => setSize(read());
    stdout.on('resize', onResize);
    return () => {
      stdout.off('resize', onResize);
    };
  }, [stdout, fixed]);
  return fixed ?? size;
}

const STATUS_LABEL = { drifted: 'DRIFTED', new: 'NEW', 'config-changed': 'LAUNCH CHANGED' } as const;

function titleLines(model: ReviewModel, state: ReviewState, server: ReviewServer, width: number): Line[] {
  const high = server.findings.filter((f) => f.severity === 'high').length;
  const spans: Span[] = [
    span(model.phase === 'launch' ? ' start a changed command? ' : ' mcpm approve ', 'title'),
    span(` ${state.current + 1}/${model.servers.length}  `, 'dim'),
    span(server.name, 'bold'),
    span(`  ${STATUS_LABEL[server.status]}`, server.status === 'new' ? 'warn' : 'removed'),
  ];
  if (model.phase === 'review') {
    spans.push(span('  '), ...versionSpans(server));
    if (server.findings.length > 0) {
      spans.push(span(`  ${server.findings.length} finding${server.findings.length === 1 ? '' : 's'}`, high > 0 ? 'removed' : 'warn'));
      if (high > 0) spans.push(span(` (${high} HIGH)`, 'high'));
    }
  }
  return wrapSpans(spans, width, 2);
}

function versionSpans(server: ReviewServer): Span[] {
  if (server.pinnedVersion === null) return [span('version '), span(server.liveVersion, 'bold')];
  if (server.pinnedVersion === server.liveVersion) return [span('version '), span(server.liveVersion, 'bold'), span(' (unchanged)', 'dim')];
  return [span('version '), span(server.pinnedVersion, 'removed'), span(' → '), span(server.liveVersion, 'added')];
}

interface Body {
  lines: Line[];
  itemStarts: number[];
  itemEnds: number[];
}

function bodyFor(phase: ReviewModel['phase'], server: ReviewServer, state: ReviewState, width: number): Body {
  if (state.screen === 'help') return { lines: helpLines(width), itemStarts: [], itemEnds: [] };
  if (state.screen === 'confirm') return { lines: confirmLines(server, state, width), itemStarts: [], itemEnds: [] };
  const lines: Line[] = [];
  const add = (spans: Span[], indent = 10) => lines.push(...wrapSpans(spans, width, indent));

  add([span('launch    ', 'dim'), span(server.launch)]);
  if (server.previousLaunch !== null) add([span('locked    ', 'dim'), span(server.previousLaunch, 'removed')]);
  if (phase === 'launch') {
    lines.push([]);
    add(
      [
        span(
          'The command that starts this server changed since it was locked, and mcpm has not run it. ' +
            'y starts it so that what it serves can be reviewed next; n leaves it unstarted and blocked. Nothing is written yet.',
          'warn',
        ),
      ],
      0,
    );
  } else {
    add([span('lock      ', 'dim'), server.lockedIntegrity ? span(server.lockedIntegrity, 'dim') : span('not in the lock yet', 'warn')]);
    lines.push([]);
    add([span('FINDINGS', 'bold'), span(server.findings.length === 0 ? '  none' : `  ${server.findings.length}`, 'dim')], 2);
    for (const f of server.findings) {
      add([span('  '), span(` ${f.severity.toUpperCase()} `, f.severity), span(' '), span(f.rule, 'bold'), span('  '), span(f.where)], 4);
      for (const d of f.details) add([span('      '), span(d, 'dim')], 8);
    }
  }
  lines.push([]);
  const chosenRow = state.chosen[state.current] ?? [];
  const chosenCount = chosenRow.filter(Boolean).length;
  const count = `  ${server.items.length} item${server.items.length === 1 ? '' : 's'}`;
  add([span('CHANGES', 'bold'), span(phase === 'review' ? `${count}, ${chosenCount} chosen` : count, 'dim')], 2);
  const itemStarts: number[] = [];
  const itemEnds: number[] = [];
  server.items.forEach((item, index) => {
    itemStarts.push(lines.length);
    lines.push(
      ...itemDiffLines(item, {
        index,
        count: server.items.length,
        chosen: chosenRow[index] ?? true,
        focused: index === state.item,
        width,
        choosable: phase === 'review',
      }),
    );
    itemEnds.push(lines.length);
  });
  lines.push([span('(end of changes)', 'dim')]);
  return { lines, itemStarts, itemEnds };
}

function confirmLines(server: ReviewServer, state: ReviewState, width: number): Line[] {
  const lines: Line[] = [];
  const add = (spans: Span[], indent = 2) => lines.push(...wrapSpans(spans, width, indent));
  const high = server.findings.filter((f) => f.severity === 'high');
  add([span(' HIGH ', 'high'), span(' '), span(server.name, 'bold'), span(` has ${high.length} high-severity finding${high.length === 1 ? '' : 's'}:`)]);
  for (const f of high) add([span('  '), span(f.rule, 'bold'), span('  '), span(f.where)], 4);
  lines.push([]);
  const chosen = chosenItems(state).length;
  add([span(`Approving ${chosen} of ${server.items.length} items locks these definitions, and hosts will pass them to the model. It writes`)]);
  const integrity = pendingIntegrity(state) ?? '';
  const code = confirmCode(state);
  add([span('  sha256-'), span(code, 'key'), span(integrity.slice('sha256-'.length + code.length))], 4);
  lines.push([]);
  add([span(`To approve, type the ${CONFIRM_LENGTH} characters after "sha256-" (`), span(code, 'key'), span('), case matters:')]);
  const typed = state.typed + '·'.repeat(Math.max(0, CONFIRM_LENGTH - state.typed.length));
  add([span('  > '), span(typed, 'bold')]);
  lines.push([]);
  add([span('esc goes back to the review.', 'dim')]);
  return lines;
}

function helpLines(width: number): Line[] {
  const lines: Line[] = [];
  lines.push(...wrapSpans([span('KEYS', 'bold')], width));
  const pad = Math.max(...HELP.map((h) => h.keys.length)) + 2;
  for (const h of HELP) lines.push(...wrapSpans([span(`  ${h.keys.padEnd(pad)}`, 'key'), span(h.does)], width, pad + 2));
  lines.push([]);
  lines.push(
    ...wrapSpans(
      [
        span(
          'A server with high-severity findings asks for a second, typed confirmation. ' +
            'What is written is exactly what was shown: the footer names the integrity that y writes.',
          'dim',
        ),
      ],
      width,
    ),
  );
  return lines;
}

function summaryOf(model: ReviewModel, state: ReviewState): string {
  const approved = state.decisions.filter((d) => d.verdict === 'approved').length;
  const rejected = state.decisions.length - approved;
  const left = model.servers.length - state.decisions.length;
  const verb = model.phase === 'launch' ? 'to start' : 'approved';
  return `${verb}: ${approved}, ${model.phase === 'launch' ? 'skipped' : 'rejected'}: ${rejected}${left > 0 ? `, not reviewed: ${left}` : ''}`;
}
