import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { shellWord } from '../../../src/core/shell-word.js';

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
    for (const text of ['notes', "it's", 'a b', "x\nok  notes\t'\\\u001b\u007f", '$HOME `id`']) {
      const r = spawnSync('bash', ['-c', `printf %s ${shellWord(text)}`], { encoding: 'utf8' });
      expect(r.stdout).toBe(text);
    }
  });
});
