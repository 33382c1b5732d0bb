import { describe, expect, it } from 'vitest';
import { initScreenState, maxScroll, screenReducer, scrollDelta, type ReviewLayout, type ScreenAction, type ScreenState } from '../../src/tui/scroll.js';
import { drifted, reviewModel, snap, tool } from './helpers.js';

/** A drifted server with three modified tools: three items. */
const three = (name: string) => drifted(name, snap([tool('a', 'A.'), tool('b', 'B.'), tool('c', 'C.')]), snap([tool('a', 'A!'), tool('b', 'B!'), tool('c', 'C!')]));

// Item headings on lines 5, 20 and 40 of a 46-line body; 10 lines on screen.
const layout: ReviewLayout = { itemStarts: [5, 20, 40], itemEnds: [20, 40, 45], total: 46, height: 10 };

function run(state: ScreenState, ...actions: ScreenAction[]): ScreenState {
  return actions.reduce(screenReducer, state);
}

describe('screenReducer', () => {
  it('moves between items, wrapping, and scrolls to the focused one', () => {
    let s = initScreenState(reviewModel(three('a')));
    s = run(s, { type: 'focusItem', delta: 1, layout });
    expect([s.review.item, s.scroll]).toEqual([1, 20]);
    s = run(s, { type: 'focusItem', delta: 1, layout });
    expect([s.review.item, s.scroll]).toEqual([2, 36]); // clamped to total - height
    s = run(s, { type: 'focusItem', delta: 1, layout });
    expect([s.review.item, s.scroll]).toEqual([0, 5]);
    s = run(s, { type: 'focusItem', delta: -1, layout });
    expect(s.review.item).toBe(2);
  });

  it('clamps scrolling and keeps the focused heading on screen', () => {
    let s = initScreenState(reviewModel(three('a')));
    s = run(s, { type: 'scroll', delta: -3, layout });
    expect(s.scroll).toBe(0);
    s = run(s, { type: 'scroll', delta: 4, layout });
    expect([s.scroll, s.review.item]).toEqual([4, 0]); // lines 4–13: item 0's heading (line 5) is on screen
    s = run(s, { type: 'scroll', delta: 8, layout });
    expect([s.scroll, s.review.item]).toEqual([12, 1]); // lines 12–21: heading of item 1 (line 20)
    s = run(s, { type: 'scroll', delta: 10, layout });
    expect([s.scroll, s.review.item]).toEqual([22, 1]); // lines 22–31: no heading; item 1 fills the screen
    s = run(s, { type: 'scroll', delta: 1000, layout });
    expect([s.scroll, s.review.item]).toEqual([36, 2]);
  });

  it('shows the next server from its top after a decision, and keeps the position otherwise', () => {
    let s = run(initScreenState(reviewModel(three('a'), three('b'))), { type: 'scroll', delta: 12, layout }, { type: 'toggleItem' });
    expect([s.scroll, s.review.item, s.review.current]).toEqual([12, 1, 0]);
    s = run(s, { type: 'approve' });
    expect([s.scroll, s.review.item, s.review.current]).toEqual([0, 0, 1]);
  });

  it('does not scroll on the help screen, nor after the end', () => {
    const help = run(initScreenState(reviewModel(three('a'))), { type: 'help' });
    expect(run(help, { type: 'scroll', delta: 5, layout }, { type: 'focusItem', delta: 1, layout })).toBe(help);
    const done = run(initScreenState(reviewModel(three('a'))), { type: 'quit' });
    expect(run(done, { type: 'scroll', delta: 5, layout })).toBe(done);
  });
});

describe('scrollDelta', () => {
  it('moves a line, a page less one line, or to either end', () => {
    expect(scrollDelta('line', -1, layout)).toBe(-1);
    expect(scrollDelta('page', 1, layout)).toBe(9);
    expect(scrollDelta('page', 1, { ...layout, height: 1 })).toBe(1);
    expect(scrollDelta('end', 1, layout)).toBe(46);
    expect(maxScroll(layout)).toBe(36);
    expect(maxScroll({ ...layout, total: 3 })).toBe(0);
  });
});
