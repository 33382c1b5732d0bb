import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { changesBetween, emptySnapshot } from '../../../src/core/changes.js';
import { findingsFor } from '../../../src/core/findings/index.js';
import type { Snapshot } from '../../../src/core/snapshot.js';
import { columnsOf, layout, layoutByCells, renderChangesText, type Line, type Style } from '../../../src/render/diff-text.js';
import type { SafeText } from '../../../src/core/sanitize.js';
import { liveNotes, lockedNotes, mailServer } from '../../fixtures/findings/rug-pull.js';
import { expectGolden } from '../../fixtures/findings/golden.js';
import { referenceSnapshot, snapshotOf, tool } from '../../fixtures/findings/snapshot-helper.js';

function review(locked: Snapshot, live: Snapshot, others = new Map<string, Snapshot>()) {
  const changes = changesBetween(locked, live);
  return { changes, findings: findingsFor({ server: 'notes', live, changes, others }) };
}

const ANSI = new RegExp(`${String.fromCharCode(0x1b)}\\[[0-9;]*m`, 'g');

describe('renderChangesText: golden output', () => {
  it('every change kind and the published payloads (color off)', () => {
    const { changes, findings } = review(lockedNotes, liveNotes, new Map([['mail', mailServer]]));
    expectGolden('rug-pull.txt', renderChangesText('notes', changes, findings, { color: false }));
  });

  it('a first lock of a real reference server', () => {
    const live = referenceSnapshot('sequential-thinking');
    const changes = changesBetween(emptySnapshot(), live);
    const findings = findingsFor({ server: 'sequential-thinking', live, changes: null, others: new Map() });
    expectGolden('first-lock-sequential-thinking.txt', renderChangesText('sequential-thinking', changes, findings, { color: false, width: 100 }));
  });

  it('no changes', () => {
    expect(renderChangesText('notes', [], [], { color: false })).toBe('notes: 0 changes, 0 findings\n');
  });
});

describe('renderChangesText: colour', () => {
  const { changes, findings } = review(lockedNotes, liveNotes, new Map([['mail', mailServer]]));
  const plain = renderChangesText('notes', changes, findings, { color: false });
  const color = renderChangesText('notes', changes, findings, { color: true });

  it('is the plain text plus mcpm’s own SGR codes, added after escaping', () => {
    expect(plain).not.toContain('\u001b');
    expect(color).toMatch(ANSI);
    expect(color.replace(ANSI, '')).toBe(plain);
    // the server's ESC bytes (in _meta) are shown as markers in both
    expect(plain).toContain('⟨ESC⟩[2F⟨ESC⟩[1GExport complete.');
    expect(color.replace(ANSI, '')).toContain('⟨ESC⟩[2F⟨ESC⟩[1GExport complete.');
  });

  it('uses red and green for changes and bold red for high findings', () => {
    expect(color).toContain('\u001b[1;31mHIGH');
    expect(color).toContain('\u001b[32m⟨+');
    expect(color).toContain('\u001b[31m⟨-');
  });
});

describe('renderChangesText: text fields', () => {
  function render(before: string, after: string, width = 1000): string {
    const { changes } = review(snapshotOf({ tools: [tool('t', before)] }), snapshotOf({ tools: [tool('t', after)] }));
    return renderChangesText('s', changes, [], { color: false, width });
  }

  it('shows a word diff with byte, code-point and invisible counts', () => {
    const out = render('Adds two numbers.', 'Adds two\u200b numbers. Also reads files.');
    expect(out).toContain('/description: modified  (bytes 17 → 38, code points 17 → 36, invisible 0 → 1)');
    expect(out).toContain('Adds two⟨+⟨U+200B⟩+⟩ numbers.⟨+ Also reads files.+⟩');
  });

  it('collapses long unchanged stretches with a count, never silently', () => {
    const head = 'a'.repeat(100);
    const tail = 'z'.repeat(100);
    const out = render(`${head} old ${tail}`, `${head} new ${tail}`);
    expect(out).toContain(`⟨… 61 unchanged characters …⟩${'a'.repeat(39)} ⟨-old-⟩⟨+new+⟩ ${'z'.repeat(39)}⟨… 61 unchanged characters …⟩`);
  });

  it('past the changes a word diff shows, prints both texts whole: a payload hidden as the 30th change is on screen', () => {
    const words = Array.from({ length: 30 }, (_, i) => `w${i}`);
    const after = words.map((w, i) => (i === 29 ? `${w}.read-id_rsa` : `${w}.`)).join(' ');
    const out = render(words.join(' '), after);
    expect(out).toContain('(30 changes, more than a word diff shows; whole text before and after)');
    expect(out).toContain('w29.read-id_rsa');
    expect(out).not.toContain('elided');
  });

  it('keeps context between two changes, collapsing only the middle', () => {
    const middle = 'm'.repeat(200);
    const out = render(`one ${middle} two`, `ONE ${middle} TWO`);
    expect(out).toContain(`⟨-one-⟩⟨+ONE+⟩ ${'m'.repeat(39)}⟨… 122 unchanged characters …⟩${'m'.repeat(39)} ⟨-two-⟩⟨+TWO+⟩`);
  });

  it('shows look-alike changes code point by code point (NFC/NFD, homoglyphs)', () => {
    expect(render('café', 'cafe\u0301')).toContain('⟨-caf\\u{E9}-⟩⟨+cafe\\u{301}+⟩');
    expect(render('send email', 'send emaіl')).toContain('⟨-email-⟩⟨+ema\\u{456}l+⟩');
    expect(render('read only', 'read onIy')).toContain('⟨-only-⟩⟨+onIy+⟩');
  });

  it('shows a whitespace-only change', () => {
    // spaces look alike, so they are spelled out
    expect(render('a b', 'a  b')).toContain('a⟨-\\u{20}-⟩⟨+\\u{20}\\u{20}+⟩b');
    expect(render('ok', `ok${' '.repeat(400)}`)).toContain('ok⟨+⟨400 spaces⟩+⟩');
  });

  it('wraps long lines at the width, never truncating', () => {
    const words = Array.from({ length: 60 }, (_, i) => `word${i}`).join(' ');
    const out = render('x', words, 40);
    for (const line of out.split('\n')) expect([...line].reduce((n, c) => n + columnsOf(c), 0)).toBeLessThanOrEqual(40);
    for (let i = 0; i < 60; i += 1) expect(out).toContain(`word${i}`);
  });

  it('wraps wide characters by columns', () => {
    const out = render('x', '日本語'.repeat(40), 30);
    for (const line of out.split('\n')) expect([...line].reduce((n, c) => n + columnsOf(c), 0)).toBeLessThanOrEqual(30);
    expect(out.replace(/[^日本語]/g, '')).toBe('日本語'.repeat(40));
  });

  it('shows required changes with what was added or removed', () => {
    const before = tool('t', 'd', {}, { inputSchema: { type: 'object', required: ['a', 'b'] } });
    const after = tool('t', 'd', {}, { inputSchema: { type: 'object', required: ['b', 'a', 'sidenote'] } });
    const { changes } = review(snapshotOf({ tools: [before] }), snapshotOf({ tools: [after] }));
    const out = renderChangesText('s', changes, [], { color: false });
    expect(out).toContain('    /inputSchema/required: modified\n      - ["a", "b"]\n      + ["b", "a", "sidenote"]\n      (added "sidenote")\n');
  });

  it('escapes names, keys and pointers as identifiers', () => {
    const { changes } = review(snapshotOf(), snapshotOf({ tools: [tool('send_ema\u0456l\u001b', 'x', { 'a\u202eb': { type: 'string' } })] }));
    const out = renderChangesText('srv\u001b', changes, [], { color: false });
    expect(out).toContain('srv\\u{1B}: 1 change');
    expect(out).toContain('tool send_ema\\u{456}l\\u{1B}: added');
    expect(out).toContain('"a\\u{202E}b": {');
    expect(out).toContain('"name": "send_ema\\u{456}l\\u{1B}"');
  });
});

describe('renderChangesText: properties', () => {
  const FORBIDDEN = /(?!\n)[\p{Cc}\p{Cf}\p{Co}\p{Cn}\p{Cs}\p{Zl}\p{Zp}\p{Default_Ignorable_Code_Point}]/u;
  const text = fc.oneof(fc.string({ unit: 'binary', maxLength: 40 }), fc.string({ unit: fc.constantFrom('\u001b', '\r', '\n', '\u009b', '\u202e', '\u200b', '\u{E0041}', '\ufe0f', '\ud800', ' ', 'a', 'é', '⟨', '⟩'), maxLength: 40 }));

  it('no server byte reaches the terminal unescaped, whatever the definitions hold', () => {
    fc.assert(
      fc.property(text, text, text, text, (name, before, after, key) => {
        const locked = snapshotOf({ instructions: before, tools: [tool(name || 'x', before, { [key]: { type: 'string', description: before } })] });
        const live = snapshotOf({ instructions: after, tools: [tool(name || 'x', after, { [key]: { type: 'string', description: after }, [`${key}2`]: { default: after } })], prompts: [{ name: after || 'p', description: after }] });
        const { changes, findings } = review(locked, live);
        for (const color of [false, true]) {
          const out = renderChangesText(name, changes, findings, { color, width: 50 }).replace(ANSI, '');
          expect(out).not.toMatch(FORBIDDEN);
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe('layout', () => {
  // Lines of narrow text only (each code unit one column: ASCII, Latin-1, mcpm's marks, a Cyrillic
  // letter), and lines that also hold what is not: wide (CJK, an emoji), astral (narrow and wide),
  // combining marks, a lone surrogate.
  const narrowPieces = ['a', 'word', 'ab cd', ' ', '  ', '\t', 'é', '⟨', '⟩', '…', '→', 'Ж', '\u00ad'];
  const wideOrMarks = ['日', 'ｗ', 'e\u0301', '\u20dd'];
  const astral = ['😀', '𝐀', '\ud800'];
  const styles: Style[] = ['plain', 'removed', 'added', 'high', 'medium', 'low', 'heading', 'note'];
  const spansOf = (pieces: string[]) => fc.array(fc.record({ text: fc.array(fc.constantFrom(...pieces), { maxLength: 30 }).map((p) => p.join('') as SafeText), style: fc.constantFrom(...styles) }), { maxLength: 6 });
  const lineOf = fc
    .record({
      depth: fc.integer({ min: 0, max: 6 }),
      spans: fc.oneof({ arbitrary: spansOf(narrowPieces), weight: 4 }, { arbitrary: spansOf([...narrowPieces, ...wideOrMarks]), weight: 1 }, { arbitrary: spansOf([...narrowPieces, ...wideOrMarks, ...astral]), weight: 1 }),
      hang: fc.option(fc.integer({ min: 0, max: 12 }), { nil: undefined }),
    })
    .map((l): Line => (l.hang === undefined ? { depth: l.depth, spans: l.spans } : l));
  const isNarrow = (line: Line) => !/[\ud800-\udfff]|[\p{Mn}\p{Me}]|[日ｗ😀]/u.test(line.spans.map((s) => s.text).join(''));

  // The layout before narrow lines were laid out by string index: a cell per code point, wrapped by
  // columnsOf (the golden files above were made with it). Every line must come out as it did.
  it('lays out every line as the cell-by-cell layout does, coloured or not', () => {
    const wrapped = { narrow: 0, other: 0 };
    fc.assert(
      fc.property(fc.array(lineOf, { minLength: 1, maxLength: 5 }), fc.integer({ min: 10, max: 100 }), fc.boolean(), (lines, width, color) => {
        for (const line of lines) if (line.spans.reduce((n, s) => n + s.text.length, 0) > 40) wrapped[isNarrow(line) ? 'narrow' : 'other'] += 1;
        expect(layout(lines, { color, width })).toBe(layoutByCells(lines, { color, width }));
      }),
      { numRuns: 2000 },
    );
    // Both ways of laying out are exercised, with lines long enough to wrap.
    expect(wrapped.narrow).toBeGreaterThan(500);
    expect(wrapped.other).toBeGreaterThan(150);
  });
});

describe('renderChangesText: rules from the lock', () => {
  it('shows the accept rules that took a change escaped, on the header\'s line', () => {
    // A rule only needs to match a key the server sends, and the lock's rules come from the repository.
    const [change] = changesBetween(snapshotOf({ tools: [tool('add', 'Adds.')] }), snapshotOf({ tools: [tool('add', 'Adds.', {}, { icons: [] })] }));
    const text = renderChangesText('notes', [change!], [], { color: false }, [{ change: change!, disposition: 'accepted', rules: ['/tools/add\nmcpm: all 1 servers verified/icons'] }]);
    expect(text.split('\n').some((line) => line.startsWith('mcpm: all'))).toBe(false);
    expect(text).toContain('/tools/add⏎mcpm:\\u{20}all');
  });
});
