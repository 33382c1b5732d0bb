/**
 * The review screen's scroll position, kept beside the review state (core/review.ts knows items,
 * not lines): how far a key scrolls, where the body starts after a focus change, and which item is
 * focused after scrolling.
 */
import { initReviewState, reviewReducer, type ReviewAction, type ReviewModel, type ReviewState } from '../core/review.js';

/** Line geometry of the body the screen drew, so navigation can keep the focused item on screen. */
export interface ReviewLayout {
  /** Per item: first and one-past-last body line. */
  itemStarts: readonly number[];
  itemEnds: readonly number[];
  /** Body lines in all, and how many fit on screen. */
  total: number;
  height: number;
}

export interface ScreenState {
  review: ReviewState;
  /** First body line on screen. */
  scroll: number;
}

export type ScreenAction =
  | Exclude<ReviewAction, { type: 'focusItem' | 'focus' }>
  | { type: 'focusItem'; delta: 1 | -1; layout: ReviewLayout }
  | { type: 'scroll'; delta: number; layout: ReviewLayout };

export function initScreenState(model: Pick<ReviewModel, 'phase' | 'servers'>): ScreenState {
  return { review: initReviewState(model), scroll: 0 };
}

/** reviewReducer, plus the scroll position: an action the review state ignores leaves the screen as it is. */
export function screenReducer(state: ScreenState, action: ScreenAction): ScreenState {
  switch (action.type) {
    case 'scroll': {
      const scroll = clamp(state.scroll + action.delta, 0, maxScroll(action.layout));
      const review = reviewReducer(state.review, { type: 'focus', item: focusAfterScroll(state.review.item, scroll, action.layout) });
      return review === state.review ? state : { review, scroll };
    }
    case 'focusItem': {
      const review = reviewReducer(state.review, { type: 'focusItem', delta: action.delta });
      if (review === state.review) return state;
      return { review, scroll: clamp(action.layout.itemStarts[review.item] ?? state.scroll, 0, maxScroll(action.layout)) };
    }
    default: {
      const review = reviewReducer(state.review, action);
      if (review === state.review) return state;
      // A decision moves on to the next server, shown from its top.
      return { review, scroll: review.current === state.review.current ? state.scroll : 0 };
    }
  }
}

/** The lines a scroll key moves: one, a page less one line (kept for context), or all the way. */
export function scrollDelta(by: 'line' | 'page' | 'end', direction: 1 | -1, layout: ReviewLayout): number {
  const step = by === 'line' ? 1 : by === 'page' ? Math.max(1, layout.height - 1) : layout.total;
  return step * direction;
}

export function maxScroll(layout: ReviewLayout): number {
  return Math.max(0, layout.total - layout.height);
}

function clamp(n: number, lo: number, hi: number): number {
  return Math.max(lo, Math.min(hi, n));
}

/**
 * Keeps the focus while the focused item's heading is on screen; otherwise focuses the first item
 * whose heading is, or else the item that fills the screen. Space then toggles an item the reviewer
 * can see the name of.
 */
function focusAfterScroll(item: number, scroll: number, layout: ReviewLayout): number {
  const bottom = scroll + layout.height;
  const headVisible = (i: number) => {
    const start = layout.itemStarts[i];
    return start !== undefined && start >= scroll && start < bottom;
  };
  if (headVisible(item)) return item;
  for (let i = 0; i < layout.itemStarts.length; i++) if (headVisible(i)) return i;
  for (let i = 0; i < layout.itemStarts.length; i++) {
    if ((layout.itemStarts[i] ?? 0) <= scroll && scroll < (layout.itemEnds[i] ?? 0)) return i;
  }
  return item;
}
