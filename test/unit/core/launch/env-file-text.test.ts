import { describe, expect, it } from 'vitest';
import { parseEnvFileText } from '../../../../src/core/launch/env-file-text.js';

const parsed = (text: string) => Object.fromEntries(parseEnvFileText(text));

describe('parseEnvFileText: an env file as VS Code reads it', () => {
  it.each([
    ['NAME=value and NAME: value alike', 'A=1\nB: 2\nC:3', { A: '1', B: '2', C: '3' }],
    ['export, spaces, blank lines and comment lines', '  export  A = x y  \n\n# B=2\n   #C=3', { A: 'x y' }],
    ['a comment after the value, not inside quotes', 'A=1 # one\nB="2 # two" # x\nC=a#b', { A: '1', B: '2 # two', C: 'a' }],
    ['one pair of the same quotes removed; \\n and \\r in double quotes only', 'A="x\\ny"\nB=\'x\\ny\'\nC=`q`\nD="x\'', { A: 'x\ny', B: 'x\\ny', C: 'q', D: '"x\'' }],
    ['the separator is the first = or : outside quotes', 'A=b=c\nURL=http://h:1\n"K=1"=v', { A: 'b=c', URL: 'http://h:1', '"K=1"': 'v' }],
    ['a line without a separator, or with an empty name, says nothing', 'JUST\n=x\n:y', {}],
    ['CRLF and CR line breaks', 'A=1\r\nB=2\rC=3', { A: '1', B: '2', C: '3' }],
    ['the last of a name given twice', 'A=1\nA=2', { A: '2' }],
  ])('%s', (_what, text, expected) => {
    expect(parsed(text)).toEqual(expected);
  });

  it('reads a double-quoted value over several lines as VS Code does, line by line (dotenv would take the lines after it into the value)', () => {
    expect(parsed('NOTE="multi\nNODE_OPTIONS=--require ./payload.cjs\n"')).toEqual({ NOTE: '"multi', NODE_OPTIONS: '--require ./payload.cjs' });
  });
});
