import { describe, expect, it } from 'vitest';
import type { Finding } from '../../../src/core/findings/rules.js';
import type { ItemChange } from '../../../src/core/changes.js';
import { describeFinding, settledNotes } from '../../../src/render/report.js';
import { credentialsInUrlHint } from '../../../src/render/status-text.js';

const finding = (rule: string, severity: Finding['severity'], args: Finding['args']): Finding => ({ rule, severity, subject: 'tools', key: 'send_email', pointer: '/name', args }) as Finding;

describe('describeFinding', () => {
  it('names the other server and name a name finding is about', () => {
    expect(describeFinding(finding('name-shadows-other-server', 'medium', { name: 'send_email', server: 'mail' }))).toBe(
      'medium name-shadows-other-server: tool "send_email" at /name (server "mail" has it too)',
    );
    expect(describeFinding(finding('name-shadows-other-server', 'high', { name: 'send_email', server: 'mail', other: 'Send_Email' }))).toBe(
      'high   name-shadows-other-server: tool "send_email" at /name (server "mail" has "Send_Email" too)',
    );
    // The look-alike letter (U+0456) is shown escaped: the two names do not print alike.
    expect(describeFinding(finding('confusable-name', 'high', { name: 'send_email', other: 'send_emaіl' }))).toBe('high   confusable-name: tool "send_email" at /name (looks like "send_ema\\u{456}l")');
    expect(describeFinding(finding('confusable-name', 'high', { name: 'send_email', server: 'mail', other: 'send_emaіl' }))).toBe(
      'high   confusable-name: tool "send_email" at /name (looks like "send_ema\\u{456}l" of server "mail")',
    );
    expect(describeFinding(finding('mentions-other-server-tool', 'medium', { server: 'mail', tool: 'send_email' }))).toBe(
      'medium mentions-other-server-tool: tool "send_email" at /name (tool "send_email" of server "mail")',
    );
    expect(describeFinding(finding('non-spec-tool-name', 'medium', { name: 'send_email' }))).toBe('medium non-spec-tool-name: tool "send_email" at /name');
  });

  it('a server name that would paint the terminal is escaped', () => {
    const text = describeFinding(finding('name-shadows-other-server', 'medium', { name: 'x', server: 'evil\u001b[2J\u202e' }));
    expect(text).not.toContain('\u001b');
    expect(text).not.toContain('\u202e');
  });
});

describe('credentialsInUrlHint', () => {
  it('for a URL mcpm will not connect with, and nothing else', () => {
    const remote = (url: string) => ({ transport: 'http' as const, url, headerNames: [] });
    const told = 'its URL may hold a user name or password, which mcpm does not connect with: send the credential as a header in the config, then run "mcpm install \'my server\'"';
    expect(credentialsInUrlHint('my server', 'new', remote('https://me:pw-123456@h/mcp'))).toBe(told);
    expect(credentialsInUrlHint('my server', 'new', remote('https://me:2024#pass@h/mcp'))).toBe(told);
    expect(credentialsInUrlHint('my server', 'new', remote('https://h/mcp?key=sk-123456'))).toBeUndefined();
    expect(credentialsInUrlHint('my server', 'new', { transport: 'stdio', command: 'node', args: ['me:pw@h'], envNames: [] })).toBeUndefined();
    expect(credentialsInUrlHint('my server', 'new', undefined)).toBeUndefined();
    // A changed entry is approved, not installed; a locked one that runs is none of these.
    expect(credentialsInUrlHint('my server', 'config-changed', remote('https://me:pw-123456@h/mcp'))).toBe(told.replace('mcpm install', 'mcpm approve'));
    expect(credentialsInUrlHint('my server', 'ok', remote('https://me:pw-123456@h/mcp'))).toBeUndefined();
  });
});

describe('settledNotes', () => {
  it('names the approve command with the server as one word, after "--" when it starts with "-"', () => {
    const added: ItemChange = { subject: 'tools', key: 'b', change: 'added', after: { name: 'b' }, fields: [] };
    const note = (name: string) => settledNotes({ changes: [{ change: added, disposition: 'quarantined' }] }, name)[0];
    expect(note('notes')).toBe('quarantined: new tool "b"; "mcpm run" withholds it until "mcpm approve notes"');
    // The lock's accept rules come from the repository, and so does the name: pasted, neither runs anything.
    expect(note('x $(touch pwned)')).toBe(`quarantined: new tool "b"; "mcpm run" withholds it until "mcpm approve 'x $(touch pwned)'"`);
    expect(note('--config=evil.json')).toBe('quarantined: new tool "b"; "mcpm run" withholds it until "mcpm approve -- --config=evil.json"');
  });
});
