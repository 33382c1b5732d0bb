import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { SafeText } from '../../../src/core/sanitize.js';
import { LARGE_LINE_BYTES, lineSkeleton } from '../../../src/guard/large-line.js';
import { duplicateKey, envelopeOf, hasLineBreaks } from '../../../src/guard/line-check.js';
import { GuardRelay, type AuditEvent, type RelayOptions, type ToolCallRecord } from '../../../src/guard/relay.js';
import { WireCheck } from '../../../src/guard/wire-check.js';
import { ADD, ECHO, lockedEntry } from './helpers.js';

/**
 * Server lines as a hostile server might write them: responses, hybrids, `id: null`, long ids,
 * duplicate keys at any depth, escapes good and bad, raw and escaped line breaks in and out of
 * strings, huge numbers, control bytes; then mutated one character at a time.
 */
// Strings of 6 bytes or more (with quotes) are left out, so most generated strings are; "2.0" is kept.
const LONG = 6;
const stringText = fc.constantFrom(
  '"x"',
  '"hello world"',
  '"\\""',
  '"\\\\"',
  '"{\\"a\\":1}"',
  '"[,]"',
  '"\\u2028"',
  '"\u2028 in"',
  '"\u2029"',
  '"\u0085"',
  '"a\rb"',
  '"tab\there"',
  '"\\x41"',
  '"\\u12"',
  '"\\uD800"',
  '"ünï"',
  '""',
  '"\\\\\\""',
  '"\\/\\b\\f\\n\\r\\t"',
);
const keyText = fc.constantFrom('"a"', '"\\u0061"', '"b"', '"content"', '"content"', '"text"', '"_meta"', '"isError"', '"resultType"', '"long key here"', '"long key here"');
const scalar = fc.constantFrom('1', '-2.5e3', '123456789012345678901234567890', '1e400', 'true', 'null', '"input_required"');
const space = fc.constantFrom('', ' ', '\r', '\t', '\u2028', ' ');
const value = fc.letrec<{ value: string; array: string; object: string }>((tie) => ({
  value: fc.oneof({ depthSize: 'small', withCrossShrink: true }, stringText, scalar, tie('array'), tie('object')),
  array: fc.tuple(fc.array(tie('value'), { maxLength: 3 }), space).map(([items, s]) => `[${s}${items.join(`${s},${s}`)}${s}]`),
  object: fc
    .tuple(fc.array(fc.tuple(keyText, tie('value')), { maxLength: 3 }), space)
    .map(([entries, s]) => `{${s}${entries.map(([k, v]) => `${k}${s}:${s}${v}`).join(`${s},${s}`)}${s}}`),
})).value;
const id = fc.constantFrom('1', '"1"', 'null', '"a long id string"', '2', '1.0');
const member = fc.oneof(
  fc.constant('"jsonrpc":"2.0"'),
  id.map((i) => `"id":${i}`),
  value.map((v) => `"result":${v}`),
  value.map((v) => `"result":{"content":[{"type":"text","text":"a long text"}],"extra":${v}}`),
  fc.constantFrom('"error":{"code":1,"message":"no luck here"}', '"method":"tools/call"', '"method":"a long method name"', '"params":{}', '"result":{"_meta":{"io.modelcontextprotocol/serverInfo":{"name":"evil server"}}}', '"result":{"resultType":"input_required","inputRequests":{"a":{"method":"sampling/createMessage"}}}'),
  fc.tuple(keyText, value).map(([k, v]) => `${k}:${v}`),
);
const message = fc.oneof(
  // Mostly well-formed responses, so that the interesting verdicts come up often.
  fc.tuple(id, value, fc.array(member, { maxLength: 2 })).map(([i, v, extra]) => `{"jsonrpc":"2.0","id":${i},"result":${v}${extra.map((m) => `,${m}`).join('')}}`),
  fc.array(member, { maxLength: 5 }).map((members) => `{${members.join(',')}}`),
  value,
);
const hostile = fc.constantFrom('"', '\\', '\r', '\u2028', '\u0085', '\u0001', '\t', '{', '}', '[', ']', ',', ':', ' ', 'x', '\ufeff');
const mutated = fc.oneof(
  { weight: 3, arbitrary: message },
  fc.tuple(message, fc.nat(), hostile).map(([m, at, c]) => `${m.slice(0, at % (m.length + 1))}${c}${m.slice(at % (m.length + 1))}`),
  fc.tuple(message, fc.nat()).map(([m, at]) => `${m.slice(0, at % (m.length + 1))}${m.slice((at % (m.length + 1)) + 1)}`),
);

function parsed(text: string): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch {
    return { ok: false };
  }
}

/** `full` as `skeleton` reads it: the same, except that some strings of `full` are "" in `skeleton`. */
function sameButBlanked(full: unknown, skeleton: unknown): boolean {
  if (typeof full === 'string' && skeleton === '') return true;
  if (Array.isArray(full)) return Array.isArray(skeleton) && full.length === skeleton.length && full.every((v, i) => sameButBlanked(v, skeleton[i]));
  if (full !== null && typeof full === 'object') {
    if (skeleton === null || typeof skeleton !== 'object' || Array.isArray(skeleton)) return false;
    const a = Object.keys(full);
    const b = Object.keys(skeleton);
    return a.length === b.length && a.every((k, i) => k === b[i] && sameButBlanked((full as Record<string, unknown>)[k], (skeleton as Record<string, unknown>)[k]));
  }
  return Object.is(full, skeleton);
}

describe('lineSkeleton', () => {
  it('reads as the line does: valid JSON alike, the same duplicate key, the same members, no host line break (property over text)', () => {
    let skeletons = 0;
    fc.assert(
      fc.property(mutated, (text) => {
        const skeleton = lineSkeleton(Buffer.from(text), LONG);
        if (skeleton === undefined) return;
        skeletons++;
        const skeletonText = skeleton.toString('utf8');
        expect(hasLineBreaks(text), text).toBe(false);
        const full = parsed(text);
        const read = parsed(skeletonText);
        expect(read.ok, text).toBe(full.ok);
        if (!full.ok || !read.ok) return;
        expect(duplicateKey(skeletonText), text).toBe(duplicateKey(text));
        expect(sameButBlanked(full.value, read.value), text).toBe(true);
        const envelope = envelopeOf(full.value);
        const seen = envelopeOf(read.value);
        expect(seen.kind, text).toBe(envelope.kind);
      }),
      { numRuns: 5000 },
    );
    // The property says something only if skeletons were made.
    expect(skeletons).toBeGreaterThan(500);
  });

  it('leaves out a megabyte-long text and keeps keys, however long', () => {
    const text = 'y'.repeat(1 << 20);
    const line = Buffer.from(JSON.stringify({ jsonrpc: '2.0', id: 3, result: { content: [{ type: 'text', text }], [text]: 1 } }));
    expect(line.length).toBeGreaterThan(LARGE_LINE_BYTES);
    const skeleton = lineSkeleton(line)!.toString();
    expect(skeleton.length).toBe(line.length - text.length);
    expect(JSON.parse(skeleton).result[text]).toBe(1);
  });

  it('has none for a line with a control byte, a bad escape or a line break anywhere', () => {
    const long = 'z'.repeat(5000);
    expect(lineSkeleton(Buffer.from(`{"a":"${long}"}`))).toBeDefined();
    for (const bad of ['\u0000', '\t', '\r', '\u2028', '\u2029', '\u0085', '\\x', '\\u00G0', '\\']) {
      expect(lineSkeleton(Buffer.from(`{"a":"${long}${bad}"}`)), JSON.stringify(bad)).toBeUndefined();
    }
  });
});

function harness(options: RelayOptions) {
  const out = { toHost: [] as string[], toServer: [] as string[], notices: [] as string[], calls: [] as ToolCallRecord[], events: [] as AuditEvent[], ended: [] as string[] };
  const wire = new WireCheck({ server: 'notes', lockLabel: 'mcp.lock', entry: lockedEntry(), policy: 'block' });
  const relay = new GuardRelay(
    wire,
    { server: 'notes', lockLabel: 'mcp.lock' },
    {
      toHost: (b) => out.toHost.push(b.toString('latin1')),
      toServer: (b) => out.toServer.push(b.toString('latin1')),
      notice: (t: SafeText) => out.notices.push(t),
      toolCall: (r) => out.calls.push(r),
      audit: (e) => out.events.push(e),
      end: (reason) => out.ended.push(reason),
      now: () => 1_000_000,
      schedule: () => () => undefined,
    },
    { deny: ['sampling'], ...options },
  );
  // The locked tools listed in this session, so that calls to them go on.
  relay.hostLine(Buffer.from('{"jsonrpc":"2.0","id":"list","method":"tools/list"}\n'));
  relay.serverLine(Buffer.from(`${JSON.stringify({ jsonrpc: '2.0', id: 'list', result: { tools: [ADD, ECHO] } })}\n`));
  out.toHost.length = 0;
  return { relay, out };
}

describe('GuardRelay reading large lines', () => {
  it('forwards, drops and rewrites every server line as the full read does (property over text)', () => {
    let skeletonResponses = 0;
    fc.assert(
      fc.property(mutated, fc.constantFrom('tools/call', 'resources/read', 'tools/list'), (text, method) => {
        const runs = [{ skeleton: { lineBytes: 0, stringBytes: LONG } }, { skeleton: { lineBytes: Number.POSITIVE_INFINITY, stringBytes: LONG } }].map((options) => {
          const { relay, out } = harness(options);
          relay.hostLine(Buffer.from(`${JSON.stringify({ jsonrpc: '2.0', id: 1, method, params: { name: 'add', uri: 'note://1' } })}\n`));
          relay.hostLine(Buffer.from(`${JSON.stringify({ jsonrpc: '2.0', id: 'a long id string', method: 'tools/call', params: { name: 'echo' } })}\n`));
          relay.serverLine(Buffer.from(`${text}\n`));
          return { ...out, pending: relay.pendingCount };
        });
        expect(runs[0], text).toEqual(runs[1]);
        const skeleton = lineSkeleton(Buffer.from(text), LONG);
        const read = skeleton === undefined ? { ok: false as const } : parsed(skeleton.toString());
        if (read.ok && envelopeOf(read.value).kind === 'response') skeletonResponses++;
      }),
      { numRuns: 5000 },
    );
    // Many lines took the skeleton path (or were refused on it for a reason the full read shares).
    expect(skeletonResponses).toBeGreaterThan(150);
  });

  it('forwards a one-megabyte tools/call result byte for byte', () => {
    const { relay, out } = harness({});
    relay.hostLine(Buffer.from('{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"add"}}\n'));
    const answer = Buffer.from(`{"jsonrpc":"2.0","id":1,"result":{"content":[{"type":"text","text":"${'é\\n'.repeat(300_000)}"}]}}\n`);
    relay.serverLine(answer);
    expect(out.toHost).toEqual([answer.toString('latin1')]);
    expect(out.calls).toHaveLength(1);
  });

  it('drops a one-megabyte hybrid and a duplicate key next to a long string', () => {
    const long = 'w'.repeat(1 << 20);
    const { relay, out } = harness({});
    relay.hostLine(Buffer.from('{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"add"}}\n'));
    relay.hostLine(Buffer.from('{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"add"}}\n'));
    relay.serverLine(Buffer.from(`{"jsonrpc":"2.0","id":1,"method":"x","result":{"content":[{"type":"text","text":"${long}"}]}}\n`));
    relay.serverLine(Buffer.from(`{"jsonrpc":"2.0","id":2,"result":{"content":[{"type":"text","text":"${long}","text":"hidden"}]}}\n`));
    expect(out.toHost.every((l) => !l.includes(long))).toBe(true);
  });
});
