import { describe, expect, it } from 'vitest';
import type { SafeText } from '../../../src/core/sanitize.js';
import {
  GuardRelay,
  LineFramer,
  LIST_CHANGED_INTERVAL_MS,
  mayBeRequest,
  NoticeLimiter,
  type ToolCallRecord,
} from '../../../src/guard/relay.js';
import { GUARD_ERROR, WireCheck, type Policy } from '../../../src/guard/wire-check.js';
import { ADD, ECHO, lockedEntry } from './helpers.js';

const line = (value: unknown) => Buffer.from(`${typeof value === 'string' ? value : JSON.stringify(value)}\n`);

function harness(policy: Policy = 'block') {
  const toHost: Buffer[] = [];
  const toServer: Buffer[] = [];
  const notices: string[] = [];
  const calls: ToolCallRecord[] = [];
  const ended: { reason: string; status: number }[] = [];
  const scheduled: { callback: () => void; ms: number; cancelled: boolean }[] = [];
  let clock = 1_000_000;
  const wire = new WireCheck({ server: 'notes', lockLabel: 'mcp.lock', entry: lockedEntry(), policy });
  const relay = new GuardRelay(wire, { server: 'notes', lockLabel: 'mcp.lock' }, {
    toHost: (b) => toHost.push(Buffer.from(b)),
    toServer: (b) => toServer.push(Buffer.from(b)),
    notice: (t: SafeText) => notices.push(t),
    toolCall: (r) => calls.push(r),
    end: (reason, status) => ended.push({ reason, status }),
    now: () => clock,
    schedule: (callback, ms) => {
      const entry = { callback, ms, cancelled: false };
      scheduled.push(entry);
      return () => (entry.cancelled = true);
    },
  });
  const hostJson = () => toHost.map((b) => JSON.parse(b.toString()) as Record<string, unknown>);
  return { relay, toHost, toServer, notices, calls, ended, scheduled, hostJson, tick: (ms: number) => (clock += ms) };
}

describe('LineFramer', () => {
  it('hands on each line with its newline, across chunk boundaries', () => {
    const lines: string[] = [];
    const framer = new LineFramer((l) => lines.push(l.toString()));
    framer.push(Buffer.from('{"a":1}\n{"b"'));
    framer.push(Buffer.from(':2}\n\n{"c":3}'));
    expect(lines).toEqual(['{"a":1}\n', '{"b":2}\n', '\n']);
    framer.flush();
    expect(lines.at(-1)).toBe('{"c":3}\n');
  });

  it('hands on a line inside one chunk as a view of that chunk, not a copy', () => {
    const chunk = Buffer.from('one\ntwo\n');
    const lines: Buffer[] = [];
    new LineFramer((l) => lines.push(l)).push(chunk);
    expect(lines[0]!.buffer).toBe(chunk.buffer);
  });

  it('stops at the cap even when no newline ever comes (D4)', () => {
    let tooLong = 0;
    const lines: string[] = [];
    const framer = new LineFramer((l) => lines.push(l.toString()), { maxLineBytes: 8, onTooLong: () => tooLong++ });
    framer.push(Buffer.from('12345678\n'));
    framer.push(Buffer.from('12345'));
    framer.push(Buffer.from('6789'));
    framer.push(Buffer.from('more\n'));
    expect(lines).toEqual(['12345678\n']);
    expect(tooLong).toBe(1);
    expect(framer.isStopped).toBe(true);
  });

  it('cuts long lines in truncate mode and goes on with the next line', () => {
    const lines: [string, boolean][] = [];
    const framer = new LineFramer((l, cut) => lines.push([l.toString(), cut]), { maxLineBytes: 4, overflow: 'truncate' });
    framer.push(Buffer.from('abcdefgh'));
    framer.push(Buffer.from('ij\nok\n'));
    expect(lines).toEqual([
      ['abcd\n', true],
      ['ok\n', false],
    ]);
  });
});

describe('mayBeRequest', () => {
  it('is true for anything with a "method" key, however it is spelled', () => {
    expect(mayBeRequest(line({ jsonrpc: '2.0', id: 1, method: 'tools/call' }))).toBe(true);
    expect(mayBeRequest(Buffer.from('{"\\u006dethod":"tools/call","id":1}\n'))).toBe(true);
    expect(mayBeRequest(line({ jsonrpc: '2.0', id: 's1', result: { roots: [] } }))).toBe(false);
  });
});

describe('host → server', () => {
  it('forwards every host line byte for byte, even malformed ones', () => {
    const h = harness();
    const raw = [
      Buffer.from('{"id":1,  "jsonrpc":"2.0","method":"initialize","params":{}}\r\n'),
      Buffer.from('not json at all "method"\n'),
      Buffer.from('{"jsonrpc":"2.0","id":"s1","result":{}}\n'),
      Buffer.from('{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":1}}\n'),
    ];
    for (const l of raw) h.relay.hostLine(l);
    expect(Buffer.concat(h.toServer).equals(Buffer.concat(raw))).toBe(true);
    expect(h.toHost).toEqual([]);
  });

  it('answers a blocked call itself and never forwards it, audited as blocked', () => {
    const h = harness();
    h.relay.hostLine(line({ jsonrpc: '2.0', id: 0, method: 'initialize', params: { clientInfo: { name: 'claude-ai', version: '0.1.0' } } }));
    h.relay.hostLine(line({ jsonrpc: '2.0', id: 'x', method: 'tools/call', params: { name: 'exfil', arguments: { data: 'secret' } } }));
    expect(h.toServer).toHaveLength(1);
    expect(h.hostJson()).toEqual([
      {
        jsonrpc: '2.0',
        id: 'x',
        error: { code: GUARD_ERROR.BLOCKED, message: expect.stringContaining('tool "exfil" of server "notes": it is not in mcp.lock') },
      },
    ]);
    expect(h.calls).toMatchObject([{ tool: 'exfil', outcome: 'blocked', client: { name: 'claude-ai', version: '0.1.0' }, arguments: { data: 'secret' } }]);
    expect(h.notices).toEqual([expect.stringMatching(/^mcpm: blocked a call to tool "exfil"/)]);
  });

  it('takes blocked calls out of a batch and answers them as a batch', () => {
    const h = harness();
    const ok = { jsonrpc: '2.0', id: 1, method: 'ping' };
    h.relay.hostLine(line([ok, { jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'exfil' } }]));
    expect(h.toServer.map(String)).toEqual([`${JSON.stringify([ok])}\n`]);
    expect(JSON.parse(h.toHost[0]!.toString())).toMatchObject([{ id: 2, error: { code: GUARD_ERROR.BLOCKED } }]);
  });
});

describe('server → host', () => {
  function listTools(h: ReturnType<typeof harness>, id: unknown = 1) {
    h.relay.hostLine(line({ jsonrpc: '2.0', id, method: 'tools/list' }));
  }

  it('forwards a clean list byte for byte, keeping its odd spacing and key order', () => {
    const h = harness();
    listTools(h);
    const raw = Buffer.from(`{"result":{"tools":[${JSON.stringify(ECHO)} , ${JSON.stringify(ADD)}]},  "id":1,"jsonrpc":"2.0"}\n`);
    h.relay.serverLine(raw);
    expect(h.toHost).toEqual([raw]);
  });

  it('rewrites a list with a drifted tool and keeps that tool from being called', () => {
    const h = harness();
    listTools(h);
    h.relay.serverLine(line({ jsonrpc: '2.0', id: 1, result: { tools: [{ ...ADD, description: 'evil' }, ECHO] } }));
    expect(h.hostJson()[0]).toEqual({ jsonrpc: '2.0', id: 1, result: { tools: [ECHO] } });
    h.relay.hostLine(line({ jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'add' } }));
    expect(h.toServer).toHaveLength(1);
    expect(h.hostJson()[1]).toMatchObject({ id: 2, error: { code: GUARD_ERROR.BLOCKED } });
  });

  it('drops lines that are not JSON, not UTF-8, or not JSON-RPC, and says so', () => {
    const h = harness();
    h.relay.serverLine(Buffer.from('Server started on stdio \u001b[31m\n'));
    h.relay.serverLine(Buffer.from([0x7b, 0xff, 0x7d, 0x0a]));
    h.relay.serverLine(line(42));
    h.relay.serverLine(line({ id: 1, result: {} }));
    h.relay.serverLine(Buffer.from('\ufeff{"jsonrpc":"2.0","method":"x"}\n'));
    h.relay.serverLine(Buffer.from('   \n'));
    expect(h.toHost).toEqual([]);
    expect(h.notices).toHaveLength(5);
    expect(h.notices.join('\n')).not.toContain('\u001b');
  });

  it('drops a response to an id the host is not waiting for (no list under a borrowed id)', () => {
    const h = harness();
    h.relay.serverLine(line({ jsonrpc: '2.0', id: 7, result: { tools: [{ name: 'exfil' }] } }));
    listTools(h, 1);
    h.relay.serverLine(line({ jsonrpc: '2.0', id: '1', result: { tools: [{ name: 'exfil' }] } }));
    expect(h.toHost).toEqual([]);
    expect(h.relay.pendingCount).toBe(1);
  });

  it('refuses an inspected response that breaks the strict JSON rules, answering the host with an error', () => {
    const h = harness();
    listTools(h);
    // Duplicate keys: JSON.parse keeps the last "tools", another parser may keep the first.
    h.relay.serverLine(Buffer.from(`{"jsonrpc":"2.0","id":1,"result":{"tools":[{"name":"exfil"}],"tools":[${JSON.stringify(ADD)}]}}\n`));
    expect(h.hostJson()).toEqual([{ jsonrpc: '2.0', id: 1, error: { code: GUARD_ERROR.BAD_RESPONSE, message: expect.stringContaining('strict JSON') } }]);
  });

  it('refuses a list holding an integer the lock would write back as another, naming the field; ids past 2^53 still route', () => {
    const h = harness();
    listTools(h);
    const add = JSON.stringify(ADD).replace('{"type":"number"}', '{"type":"number","maximum":9007199254740993.0}');
    h.relay.serverLine(Buffer.from(`{"jsonrpc":"2.0","id":1,"result":{"tools":[${add},${JSON.stringify(ECHO)}]}}\n`));
    expect(h.hostJson()).toEqual([
      {
        jsonrpc: '2.0',
        id: 1,
        error: { code: GUARD_ERROR.BAD_RESPONSE, message: expect.stringContaining('would be written back as 9007199254740992, a different integer in "/result/tools/0/inputSchema/properties/a/maximum"') },
      },
    ]);
    // Ids are routed as JSON.parse reads them, as a JavaScript host does; an answer that is not inspected is forwarded as sent.
    h.relay.hostLine(Buffer.from('{"jsonrpc":"2.0","id":9007199254740993,"method":"ping"}\n'));
    const answer = Buffer.from('{"jsonrpc":"2.0","id":9007199254740993,"result":{}}\n');
    h.relay.serverLine(answer);
    expect(h.toHost).toHaveLength(2);
    expect(h.toHost[1]).toEqual(answer);
    expect(h.relay.pendingCount).toBe(0);
  });

  it('under policy refuse, a response that breaks the strict JSON rules ends the session too', () => {
    const h = harness('refuse');
    listTools(h);
    h.relay.serverLine(Buffer.from(`{"jsonrpc":"2.0","id":1,"result":{"tools":[{"name":"exfil"}],"tools":[${JSON.stringify(ADD)}]}}\n`));
    expect(h.ended).toEqual([{ reason: expect.stringContaining('policy refuse'), status: 1 }]);
    expect(h.hostJson()).toEqual([{ jsonrpc: '2.0', id: 1, error: { code: GUARD_ERROR.REFUSED, message: expect.stringContaining('strict JSON') } }]);
  });

  it('passes server requests, notifications, progress and ping through untouched', () => {
    const h = harness();
    const raw = [
      line({ jsonrpc: '2.0', id: 's1', method: 'sampling/createMessage', params: {} }),
      line({ jsonrpc: '2.0', method: 'notifications/progress', params: { progressToken: 1, progress: 0.5 } }),
      line({ jsonrpc: '2.0', id: 'p', method: 'ping' }),
      line({ jsonrpc: '2.0', method: 'notifications/message', params: { level: 'info', data: 'x' } }),
    ];
    for (const l of raw) h.relay.serverLine(l);
    expect(h.toHost).toEqual(raw);
  });

  it('forwards an id:null error (a parse-error report) as it is', () => {
    const h = harness();
    const raw = line({ jsonrpc: '2.0', id: null, error: { code: -32700, message: 'Parse error' } });
    h.relay.serverLine(raw);
    expect(h.toHost).toEqual([raw]);
  });

  it('records each tools/call with its outcome, duration and response size', () => {
    const h = harness();
    listTools(h);
    h.relay.serverLine(line({ jsonrpc: '2.0', id: 1, result: { tools: [ADD, ECHO] } }));
    h.relay.hostLine(line({ jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'add', arguments: { a: 1 } } }));
    h.relay.hostLine(line({ jsonrpc: '2.0', id: 3, method: 'tools/call', params: { name: 'echo' } }));
    h.tick(25);
    const answer = line({ jsonrpc: '2.0', id: 2, result: { content: [] } });
    h.relay.serverLine(answer);
    h.relay.serverLine(line({ jsonrpc: '2.0', id: 3, result: { content: [], isError: true } }));
    expect(h.calls).toMatchObject([
      { tool: 'add', arguments: { a: 1 }, outcome: 'ok', durationMs: 25, responseBytes: answer.length },
      { tool: 'echo', outcome: 'error' },
    ]);
  });

  it('paces list_changed floods, and still sends one after the burst', () => {
    const h = harness();
    const note = line({ jsonrpc: '2.0', method: 'notifications/tools/list_changed' });
    h.relay.serverLine(note);
    h.relay.serverLine(note);
    h.relay.serverLine(note);
    expect(h.toHost).toHaveLength(1);
    expect(h.scheduled).toHaveLength(1);
    h.tick(LIST_CHANGED_INTERVAL_MS);
    h.scheduled[0]!.callback();
    expect(h.toHost).toHaveLength(2);
    h.tick(LIST_CHANGED_INTERVAL_MS);
    h.relay.serverLine(note);
    expect(h.toHost).toHaveLength(3);
  });

  it('forgets a cancelled request, so its late answer is dropped', () => {
    const h = harness();
    listTools(h, 5);
    h.relay.hostLine(line({ jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: 5 } }));
    expect(h.relay.pendingCount).toBe(0);
    h.relay.serverLine(line({ jsonrpc: '2.0', id: 5, result: { tools: [] } }));
    expect(h.toHost).toEqual([]);
  });

  it('keys ids by their JSON text: 1 and "1" are different requests', () => {
    const h = harness();
    listTools(h, 1);
    h.relay.hostLine(line({ jsonrpc: '2.0', id: '1', method: 'ping' }));
    h.relay.serverLine(line({ jsonrpc: '2.0', id: '1', result: {} }));
    h.relay.serverLine(line({ jsonrpc: '2.0', id: 1, result: { tools: [{ name: 'exfil' }] } }));
    expect(h.hostJson()).toEqual([
      { jsonrpc: '2.0', id: '1', result: {} },
      { jsonrpc: '2.0', id: 1, result: { tools: [] } },
    ]);
  });

  it('checks list responses inside a batch', () => {
    const h = harness();
    listTools(h, 1);
    h.relay.hostLine(line({ jsonrpc: '2.0', id: 2, method: 'ping' }));
    h.relay.serverLine(line([{ jsonrpc: '2.0', id: 2, result: {} }, { jsonrpc: '2.0', id: 1, result: { tools: [ADD, { name: 'exfil' }] } }]));
    expect(h.hostJson()).toEqual([
      [
        { jsonrpc: '2.0', id: 2, result: {} },
        { jsonrpc: '2.0', id: 1, result: { tools: [ADD] } },
      ],
    ]);
  });

  it('under policy refuse, ends the session and answers every waiting request', () => {
    const h = harness('refuse');
    listTools(h, 1);
    h.relay.hostLine(line({ jsonrpc: '2.0', id: 2, method: 'ping' }));
    h.relay.serverLine(line({ jsonrpc: '2.0', id: 1, result: { tools: [{ ...ADD, description: 'evil' }] } }));
    expect(h.ended).toEqual([{ reason: expect.stringContaining('policy refuse'), status: 1 }]);
    expect(h.hostJson()).toMatchObject([
      { id: 1, error: { code: GUARD_ERROR.REFUSED } },
      { id: 2, error: { code: GUARD_ERROR.REFUSED } },
    ]);
    h.relay.serverLine(line({ jsonrpc: '2.0', method: 'notifications/progress' }));
    h.relay.hostLine(line({ jsonrpc: '2.0', id: 3, method: 'ping' }));
    expect(h.toHost).toHaveLength(2);
    expect(h.toServer).toHaveLength(2);
  });

  it('ends the session with status 3 when a server line is too long', () => {
    const h = harness();
    h.relay.serverLineTooLong();
    expect(h.ended).toEqual([{ reason: expect.stringContaining('16 MiB'), status: 3 }]);
  });
});

describe('NoticeLimiter', () => {
  it('prints a repeated line once per window and counts the rest', () => {
    const out: string[] = [];
    let now = 0;
    const limiter = new NoticeLimiter((l) => out.push(l), () => now);
    for (let i = 0; i < 1000; i++) limiter.notice('mcpm: blocked x' as SafeText);
    expect(out).toEqual(['mcpm: blocked x\n']);
    now += 61_000;
    limiter.notice('mcpm: blocked x' as SafeText);
    expect(out).toEqual(['mcpm: blocked x\n', expect.stringContaining('999 more messages'), 'mcpm: blocked x\n']);
  });

  it('lets a burst through, then refills slowly', () => {
    const out: string[] = [];
    let now = 0;
    const limiter = new NoticeLimiter((l) => out.push(l), () => now, { burst: 3, perSecond: 1, repeatWindowMs: 60_000 });
    for (let i = 0; i < 10; i++) limiter.notice(`m${i}` as SafeText);
    expect(out).toEqual(['m0\n', 'm1\n', 'm2\n']);
    now += 1000;
    limiter.notice('late' as SafeText);
    expect(out.slice(3)).toEqual([expect.stringContaining('7 more messages'), 'late\n']);
    limiter.flush();
    expect(out).toHaveLength(5);
  });
});
