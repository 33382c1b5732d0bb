import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { mixedScripts, skeletonOf } from '../../../../src/core/findings/names.js';
import { snapshotOf, tool, type SnapshotSpec } from '../../../fixtures/findings/snapshot-helper.js';
import { firstLock, summary } from './helpers.js';

describe('names', () => {
  const mail = snapshotOf({ tools: [tool('send_email', 'Sends mail.'), tool('search', 'Search.')], prompts: [{ name: 'summarize' }] });

  it.each<[string, SnapshotSpec, string[]]>([
    ['homoglyph name (A8)', { tools: [tool('send_ema\u0456l', 'x')] }, ['high confusable-name tools:send_ema\u0456l/name', 'high mixed-script-name tools:send_ema\u0456l/name', 'medium non-spec-tool-name tools:send_ema\u0456l/name']],
    ['case-only collision with another server', { tools: [tool('Send_Email', 'x')] }, ['high name-shadows-other-server tools:Send_Email/name']],
    ['exact collision with another server', { tools: [tool('send_email', 'x')] }, ['medium name-shadows-other-server tools:send_email/name']],
    ['fullwidth look-alike', { tools: [tool('ｓｅｎｄ_email', 'x')] }, ['high confusable-name tools:ｓｅｎｄ_email/name', 'medium non-spec-tool-name tools:ｓｅｎｄ_email/name']],
    ['digit for letter', { tools: [tool('send_emai1', 'x')] }, ['high confusable-name tools:send_emai1/name']],
    ['prompt shadowing', { prompts: [{ name: 'summarize' }] }, ['medium name-shadows-other-server prompts:summarize/name']],
    ['non-spec name', { tools: [tool('send email', 'x')] }, ['medium non-spec-tool-name tools:send email/name']],
    ['too long', { tools: [tool('x'.repeat(129), 'x')] }, [`medium non-spec-tool-name tools:${'x'.repeat(129)}/name`]],
    ['reserved JS name (D7)', { tools: [tool('__proto__', 'x')] }, ['medium reserved-js-name tools:__proto__/name']],
    ['invisible character in a name', { tools: [tool('send\u200bmail', 'x')] }, ['high zero-width tools:send\u200bmail/name', 'medium non-spec-tool-name tools:send\u200bmail/name']],
  ])('%s', (_name, spec, expected) => {
    expect(summary(firstLock(spec, { mail }))).toEqual(expected);
  });

  it('flags look-alike names within one server, on both', () => {
    expect(summary(firstLock({ tools: [tool('read_file', 'x'), tool('Read_File', 'y')] }))).toEqual(['high confusable-name tools:Read_File/name', 'high confusable-name tools:read_file/name']);
  });

  it('computes skeletons and scripts', () => {
    expect(skeletonOf('send_ema\u0456l')).toBe(skeletonOf('send_email'));
    expect(skeletonOf('Ｓｅｎｄ')).toBe('send');
    expect(skeletonOf('paypa1')).toBe(skeletonOf('paypal'));
    // A dotless i with a combining dot above looks like i; marks go after decomposition.
    expect(skeletonOf('read_f\u0131\u0307le')).toBe(skeletonOf('read_file'));
    expect(skeletonOf('caf\u00e9')).toBe(skeletonOf('cafe'));
    expect(skeletonOf('exp\u01c0ain')).toBe(skeletonOf('explain'));
    expect(skeletonOf('modern')).toBe(skeletonOf('modem'));
    expect(mixedScripts('send_ema\u0456l')).toEqual(['Cyrillic']);
    expect(mixedScripts('привет')).toEqual([]);
    expect(mixedScripts('p\u03b1ypal_\u0435')).toEqual(['Cyrillic', 'Greek']);
    expect(mixedScripts('send_email')).toEqual([]);
  });

  it('gives an ASCII name the skeleton the full normalisation gives it', () => {
    // The whole recipe, without the ASCII shortcut (the confusables map is left out: no key of it is ASCII).
    const full = (name: string): string =>
      name.normalize('NFKC').replace(/[\p{Default_Ignorable_Code_Point}\p{Cf}]/gu, '').replace(/[I1|]/g, 'l').toLowerCase().replace(/0/g, 'o').replace(/rn/g, 'm');
    const near = fc.constantFrom('I', '1', '|', '0', 'r', 'n', 'rn', 'R', 'N', 'Rn', 'rN', 'i', 'l', 'K', 'S', '\u007f', '\u0000', '\u00ad', '\u200b', '\uff33', '\u0456', 'ſ', 'K');
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.string({ unit: 'binary-ascii', maxLength: 4 }), near), { maxLength: 8 }), (parts) => {
        const name = parts.join('');
        if (/^\p{ASCII}*$/u.test(name)) expect(skeletonOf(name)).toBe(full(name));
        else expect(skeletonOf(name)).toBe(skeletonOf(name.normalize('NFKC')));
      }),
      { numRuns: 1000 },
    );
  });
});
