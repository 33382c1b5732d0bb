import { spawnSync } from 'node:child_process';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { sanitize } from '../../../src/core/sanitize.js';
import { nameWord, shellWord } from '../../../src/core/shell-word.js';

/** Names and paths whose characters sanitize would show as markers, which pasted would be part of the word. */
const MARKED = ['a\u2028b', 'next\u0085line', 'csi\u009b2J', 'right\u202eleft', 'zero\u200bwidth', '\u0301mark first', 'nb\u00a0sp', 'ten          spaces', '\u27e8U+0041\u27e9', 'tag\u{E0041}', 'pua\u{F0000}'];

describe('shellWord', () => {
  it('leaves safe words bare and single-quotes the rest', () => {
    expect(shellWord('notes')).toBe('notes');
    expect(shellWord('/p/a-b_c@1.2')).toBe('/p/a-b_c@1.2');
    expect(shellWord("it's mine")).toBe(`'it'\\''s mine'`);
  });

  it('writes a name with control characters on one line (ANSI-C quoting), so no hint can fake a line', () => {
    const word = shellWord("x\nok  notes\t'\\\u001b");
    expect(word).toBe("$'x\\nok  notes\\t\\'\\\\\\x1b'");
    expect([...word].some((c) => c < ' ' || c === '\u007f')).toBe(false);
  });

  it('gives words a shell reads back as the same text', () => {
    for (const text of ['notes', "it's", 'a b', "x\nok  notes\t'\\\u001b\u007f", '$HOME `id`', '=x.json', 'José/日本/🙂', ...MARKED]) {
      // Bytes, in the C locale: the word must not depend on the shell's locale.
      const r = spawnSync('bash', ['-c', `printf %s ${shellWord(text)}`], { env: { ...process.env, LC_ALL: 'C' } });
      expect(r.stdout.equals(Buffer.from(text, 'utf8')), text).toBe(true);
    }
  });

  it('quotes a leading "=", which zsh reads as a command lookup', () => {
    expect(shellWord('=x.json')).toBe(`'=x.json'`);
    expect(shellWord('a=b')).toBe('a=b');
  });

  it('prints as it is: sanitize leaves every word unchanged, so a pasted hint names the same file', () => {
    for (const text of MARKED) {
      const word = shellWord(text);
      expect(word.startsWith("$'"), text).toBe(true);
      expect(sanitize(word)).toBe(word);
    }
    fc.assert(
      fc.property(fc.string({ unit: fc.oneof(fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }), fc.constantFrom(' ', '\n', '\u2028', '\u0301', '\u27e8', '\u00a0', "'", '=')) }), (text) => {
        const word = shellWord(text);
        expect(sanitize(word)).toBe(word);
      }),
    );
  });

  it('nameWord puts a name that starts with "-" after "--": quoting cannot keep a parser from reading it as an option', () => {
    expect(nameWord('notes')).toBe('notes');
    expect(nameWord('my notes')).toBe(`'my notes'`);
    expect(nameWord('--allowlist=repo.json')).toBe('-- --allowlist=repo.json');
    expect(nameWord("-C vendor's")).toBe(`-- '-C vendor'\\''s'`);
  });
});
