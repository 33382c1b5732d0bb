import { parse } from 'smol-toml';
import { describe, expect, it } from 'vitest';
import { tomlStatements, tomlString } from '../../../../src/adapters/hosts/toml-text.js';

const keys = (text: string) => tomlStatements(text).map((s) => `${s.kind}:${s.key.join('.')}`);

describe('tomlStatements', () => {
  it('finds headers and key/value pairs, not what looks like them inside strings', () => {
    const text = [
      'a = "x # not a comment"',
      "b = '''",
      '[not.a.table]',
      "'''",
      'c = """',
      '[nor.this]',
      'quote "" inside """',
      '[t]  # a table',
      "'quoted key'.\"dotted\" = 1",
      '[[arr]]',
      'd = [',
      '  "x", # comment with ]',
      '  [1, 2],',
      ']',
      'e = { f = "}", g = [1] }',
      '[ "spaced" . key ]',
    ].join('\n');
    expect(() => parse(text)).not.toThrow();
    expect(keys(text)).toEqual(['keyval:a', 'keyval:b', 'keyval:c', 'table:t', 'keyval:quoted key.dotted', 'array-table:arr', 'keyval:d', 'keyval:e', 'table:spaced.key']);
  });

  it('statements span whole lines, line break included', () => {
    const text = 'a = 1 # c\n\n[t]\r\nb = [\n 1,\n]\nlast = 2';
    const spans = tomlStatements(text).map((s) => text.slice(s.start, s.end));
    expect(spans).toEqual(['a = 1 # c\n', '[t]\r\n', 'b = [\n 1,\n]\n', 'last = 2']);
  });

  it('a basic-string key with escapes is decoded', () => {
    expect(keys('[mcp_servers."a\\u0041\\"b"]\n')).toEqual(['table:mcp_servers.aA"b']);
  });

  it('a multi-line basic string may end with quotes and hold escaped quotes', () => {
    const text = 'a = """x\\""""\n[t]\n';
    expect(() => parse(text)).not.toThrow();
    expect(keys(text)).toEqual(['keyval:a', 'table:t']);
  });
});

describe('tomlString', () => {
  it('writes any string as a basic string TOML reads back the same, DEL and controls included', () => {
    for (const value of ['a\u007fb', 'q"\\\n\t\u0000', 'é😀', '\u2028']) expect(parse(`v = ${tomlString(value)}`)['v']).toBe(value);
  });
});
