/**
 * Keys to commands, in one table the footer and the help screen are built from. Decision keys take
 * exactly one character: a paste, or a terminal's reply to an escape sequence (which a server's text
 * can provoke, to type for the reviewer), arrives as one multi-character chunk and is ignored.
 */
import type { Key } from 'ink';

export type KeyCommand =
  | { type: 'approve' }
  | { type: 'reject' }
  | { type: 'scroll'; by: 'line' | 'page' | 'end'; direction: 1 | -1 }
  | { type: 'focusItem'; delta: 1 | -1 }
  | { type: 'toggleItem' }
  | { type: 'toggleAll' }
  | { type: 'acceptField' }
  | { type: 'help' }
  | { type: 'quit' }
  | { type: 'cancel' }
  | { type: 'type'; text: string }
  | { type: 'erase' }
  | { type: 'interrupt' };

export type Screen = 'review' | 'confirm' | 'help';

export function commandFor(input: string, key: Key, screen: Screen): KeyCommand | null {
  if (key.ctrl && input === 'c') return { type: 'interrupt' };
  if (screen === 'confirm') {
    if (key.escape) return { type: 'cancel' };
    if (key.backspace || key.delete) return { type: 'erase' };
    if (input !== '' && !key.ctrl && !key.meta) return { type: 'type', text: input };
    return null;
  }
  if (key.escape) return screen === 'help' ? { type: 'help' } : { type: 'cancel' };
  if (key.upArrow) return { type: 'scroll', by: 'line', direction: -1 };
  if (key.downArrow) return { type: 'scroll', by: 'line', direction: 1 };
  if (key.pageUp) return { type: 'scroll', by: 'page', direction: -1 };
  if (key.pageDown) return { type: 'scroll', by: 'page', direction: 1 };
  if (key.home) return { type: 'scroll', by: 'end', direction: -1 };
  if (key.end) return { type: 'scroll', by: 'end', direction: 1 };
  if (key.tab) return { type: 'focusItem', delta: key.shift ? -1 : 1 };
  if (key.rightArrow) return { type: 'focusItem', delta: 1 };
  if (key.leftArrow) return { type: 'focusItem', delta: -1 };
  if (key.ctrl || key.meta || [...input].length !== 1) return null;
  switch (input) {
    case 'y':
      return { type: 'approve' };
    case 'n':
      return { type: 'reject' };
    case 'j':
      return { type: 'scroll', by: 'line', direction: 1 };
    case 'k':
      return { type: 'scroll', by: 'line', direction: -1 };
    case 'f':
      return { type: 'scroll', by: 'page', direction: 1 };
    case 'b':
      return { type: 'scroll', by: 'page', direction: -1 };
    case 'g':
      return { type: 'scroll', by: 'end', direction: -1 };
    case 'G':
      return { type: 'scroll', by: 'end', direction: 1 };
    case ' ':
      return { type: 'toggleItem' };
    case 'a':
      return { type: 'toggleAll' };
    case 'r':
      return { type: 'acceptField' };
    case '?':
      return { type: 'help' };
    case 'q':
      return { type: 'quit' };
    default:
      return null;
  }
}

export interface KeyHelp {
  keys: string;
  does: string;
}

/** The one-line footer: the keys a reviewer needs on every screen. */
export function footerKeys(screen: Screen, phase: 'review' | 'launch'): KeyHelp[] {
  if (screen === 'confirm') {
    return [
      { keys: 'type the code', does: 'to approve' },
      { keys: 'backspace', does: 'erase' },
      { keys: 'esc', does: 'back' },
    ];
  }
  if (screen === 'help') {
    return [
      { keys: '?/esc', does: 'back' },
      { keys: 'q', does: 'quit' },
    ];
  }
  if (phase === 'launch') {
    return [
      { keys: 'y', does: 'start it' },
      { keys: 'n', does: 'skip' },
      { keys: '↑↓', does: 'scroll' },
      { keys: '?', does: 'help' },
      { keys: 'q', does: 'quit' },
    ];
  }
  return [
    { keys: 'y', does: 'approve' },
    { keys: 'n', does: 'reject' },
    { keys: '↑↓', does: 'scroll' },
    { keys: 'tab', does: 'item' },
    { keys: 'space', does: 'toggle' },
    { keys: '?', does: 'help' },
    { keys: 'q', does: 'quit' },
  ];
}

/** Everything, for the help screen. */
export const HELP: readonly KeyHelp[] = [
  { keys: 'y', does: 'approve the server shown (the chosen items) and go to the next' },
  { keys: 'n', does: 'reject it: its lock entry stays as it is and the server stays blocked' },
  { keys: '↑ ↓  j k', does: 'scroll a line' },
  { keys: 'PgUp PgDn  b f', does: 'scroll a page' },
  { keys: 'Home End  g G', does: 'go to the top or the bottom' },
  { keys: 'tab ← →  shift-tab', does: 'move between changed items' },
  { keys: 'space', does: 'choose or unchoose the focused item (partial approval)' },
  { keys: 'a', does: 'choose all items, or none' },
  { keys: 'r', does: 'accept changes to the focused item\'s fields from now on (a rule)' },
  { keys: 'q', does: 'quit: decisions made so far are saved, the rest stay drifted' },
  { keys: 'ctrl-c', does: 'interrupt: nothing is saved' },
  { keys: '?  esc', does: 'close this help' },
];
