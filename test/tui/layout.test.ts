import stringWidth from 'string-width';
import { describe, expect, it } from 'vitest';
import type { Key } from 'ink';
import { commandFor } from '../../src/tui/keymap.js';
import { lineText, span, wrapSpans } from '../../src/tui/layout.js';

const texts = (spans: Parameters<typeof wrapSpans>[0], width: number, indent = 0) => wrapSpans(spans, width, indent).map(lineText);

describe('wrapSpans', () => {
  it('breaks after spaces, hangs continuation lines, keeps every character', () => {
    const text = 'the quick brown fox jumps over the lazy dog';
    const lines = texts([span(text)], 12, 2);
    expect(lines).toEqual(['the quick ', '  brown fox ', '  jumps ', '  over the ', '  lazy dog']);
    expect(lines.map((l, i) => (i === 0 ? l : l.slice(2))).join('')).toBe(text);
    for (const l of lines) expect(stringWidth(l)).toBeLessThanOrEqual(12);
  });

  it('breaks inside a word longer than the line', () => {
    expect(texts([span('abcdefghij')], 4)).toEqual(['abcd', 'efgh', 'ij']);
  });

  it('counts wide characters as two columns and never splits a grapheme', () => {
    const lines = texts([span('日本語テキスト'), span('e\u0301e\u0301e\u0301')], 5);
    for (const l of lines) expect(stringWidth(l)).toBeLessThanOrEqual(5);
    expect(lines.join('')).toBe('日本語テキストe\u0301e\u0301e\u0301');
    expect(lines.some((l) => l.startsWith('\u0301'))).toBe(false);
    const family = '👨‍👩‍👧';
    expect(texts([span(`ab${family}${family}`)], 3).join('')).toBe(`ab${family}${family}`);
  });

  it('starts a line at each newline and keeps styles per span', () => {
    const lines = wrapSpans([span('one\ntwo', 'added'), span(' three', 'removed')], 80, 2);
    expect(lines.map(lineText)).toEqual(['one', '  two three']);
    expect(lines[1]!.map((s) => s.style)).toEqual(['plain', 'added', 'removed']);
  });

  it('drops the hanging indent when the window is too narrow for it', () => {
    expect(texts([span('abcdef')], 3, 4)).toEqual(['abc', 'def']);
  });
});

const key = (over: Partial<Key> = {}): Key =>
  ({
    upArrow: false, downArrow: false, leftArrow: false, rightArrow: false, pageDown: false, pageUp: false, home: false, end: false,
    return: false, escape: false, ctrl: false, shift: false, tab: false, backspace: false, delete: false, meta: false,
    super: false, hyper: false, capsLock: false, numLock: false, ...over,
  }) as Key;

describe('commandFor', () => {
  it('maps the review keys', () => {
    expect(commandFor('y', key(), 'review')).toEqual({ type: 'approve' });
    expect(commandFor('n', key(), 'review')).toEqual({ type: 'reject' });
    expect(commandFor('j', key(), 'review')).toEqual({ type: 'scroll', by: 'line', direction: 1 });
    expect(commandFor('', key({ upArrow: true }), 'review')).toEqual({ type: 'scroll', by: 'line', direction: -1 });
    expect(commandFor('', key({ tab: true }), 'review')).toEqual({ type: 'focusItem', delta: 1 });
    expect(commandFor('', key({ tab: true, shift: true }), 'review')).toEqual({ type: 'focusItem', delta: -1 });
    expect(commandFor('', key({ leftArrow: true }), 'review')).toEqual({ type: 'focusItem', delta: -1 });
    expect(commandFor(' ', key(), 'review')).toEqual({ type: 'toggleItem' });
    expect(commandFor('q', key(), 'review')).toEqual({ type: 'quit' });
    expect(commandFor('?', key(), 'review')).toEqual({ type: 'help' });
    expect(commandFor('c', key({ ctrl: true }), 'review')).toEqual({ type: 'interrupt' });
  });

  it('ignores multi-character chunks (pastes, terminal replies)', () => {
    expect(commandFor('yy', key(), 'review')).toBeNull();
    expect(commandFor('[6;1R', key(), 'review')).toBeNull();
  });

  it('turns keys into typed characters on the confirm screen', () => {
    expect(commandFor('y', key(), 'confirm')).toEqual({ type: 'type', text: 'y' });
    expect(commandFor('n', key(), 'confirm')).toEqual({ type: 'type', text: 'n' });
    expect(commandFor('', key({ backspace: true }), 'confirm')).toEqual({ type: 'erase' });
    expect(commandFor('', key({ escape: true }), 'confirm')).toEqual({ type: 'cancel' });
  });
});
