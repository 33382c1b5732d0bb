import { describe, expect, it } from 'vitest';
import { spawnServer } from '../../../src/adapters/process.js';
import { StdioTransport } from '../../../src/adapters/stdio-transport.js';
import type { McpmError } from '../../../src/core/errors.js';
import { tempDirAndServersPerTest } from './helpers.js';

let dir: string;
const started = tempDirAndServersPerTest((d) => (dir = d));

interface Outcome {
  messages: unknown[];
  fatal: McpmError | undefined;
  transport: StdioTransport;
}

/** Runs `node -e script` behind a StdioTransport until stdout closes or the transport stops it. */
async function run(script: string, maxMessageBytes?: number): Promise<Outcome> {
  const proc = await spawnServer({ name: 'srv', command: process.execPath, args: ['-e', script], env: { PATH: process.env.PATH ?? '' }, projectDir: dir });
  started.push(proc);
  const messages: unknown[] = [];
  let fatal: McpmError | undefined;
  const transport = new StdioTransport(proc, { maxMessageBytes, onFatal: (e) => (fatal = e) });
  const closed = new Promise<void>((resolve) => (transport.onclose = resolve));
  transport.onmessage = (m) => messages.push(JSON.parse(JSON.stringify(m)));
  await transport.start();
  await closed;
  return { messages, fatal, transport };
}

describe('StdioTransport framing', () => {
  it('splits on \\n, drops a trailing \\r, and joins a message split across writes', async () => {
    const { messages, fatal } = await run(`
      process.stdout.write('{"jsonrpc":"2.0","method":"a"}\\r\\n{"jsonrpc":');
      setTimeout(() => process.stdout.write('"2.0","method":"b"}\\n\\n'), 50);`);
    expect(fatal).toBeUndefined();
    expect(messages).toEqual([{ jsonrpc: '2.0', method: 'a' }, { jsonrpc: '2.0', method: 'b' }]);
  });

  it('ignores non-JSON-RPC lines but keeps the first few, truncated', async () => {
    const { messages, fatal, transport } = await run(`
      for (let i = 0; i < 7; i++) console.log('log line ' + i + ' ' + 'x'.repeat(300));
      console.log('[ 1, 2 ]');
      console.log('{"jsonrpc":"2.0","method":"ok"}');`);
    expect(fatal).toBeUndefined();
    expect(messages).toEqual([{ jsonrpc: '2.0', method: 'ok' }]);
    expect(transport.noiseCount).toBe(8);
    expect(transport.noise).toHaveLength(5);
    expect(transport.noise[0]).toBe(`log line 0 ${'x'.repeat(189)}`);
  });

  it('accepts a message of exactly the cap and stops one byte over it', async () => {
    const line = (n: number) => `'{"jsonrpc":"2.0","method":"m","params":{"p":"' + 'x'.repeat(${n}) + '"}}'`;
    const overhead = '{"jsonrpc":"2.0","method":"m","params":{"p":""}}'.length;
    const ok = await run(`console.log(${line(1000 - overhead)})`, 1000);
    expect(ok.fatal).toBeUndefined();
    expect(ok.messages).toHaveLength(1);
    const over = await run(`console.log(${line(1001 - overhead)})`, 1000);
    expect(over.fatal?.code).toBe('SERVER_MESSAGE_TOO_LARGE');
    expect(over.fatal?.message).toBe('server "srv" sent a message over 1000 bytes (limit); it was stopped');
  });

  it('stops a newline-free flood at the cap and kills the server', async () => {
    const { fatal } = await run(`const b = Buffer.alloc(65536, 123); const w = () => { while (process.stdout.write(b)); process.stdout.once('drain', w); }; w();`, 1024 * 1024);
    expect(fatal?.code).toBe('SERVER_MESSAGE_TOO_LARGE');
    expect(started[0]!.exitInfo ?? (await started[0]!.exited)).toEqual({ code: null, signal: 'SIGKILL' });
  });

  it('treats invalid UTF-8 as a protocol error', async () => {
    const { fatal } = await run(`process.stdout.write(Buffer.from([0x7b, 0xff, 0x7d, 0x0a])); setInterval(() => {}, 1000);`);
    expect(fatal?.code).toBe('SERVER_PROTOCOL');
    expect(fatal?.message).toBe('server "srv" wrote invalid UTF-8 on stdout');
  });

  it('treats JSON that breaks the strict rules as a protocol error, not as noise', async () => {
    const { fatal, messages } = await run(`console.log('{"jsonrpc":"2.0","method":"a","method":"b"}'); setInterval(() => {}, 1000);`);
    expect(messages).toEqual([]);
    expect(fatal?.code).toBe('SERVER_PROTOCOL');
    expect(fatal?.message).toMatch(/^server "srv" sent JSON that mcpm refuses to interpret: .*duplicate/i);
  });

  it.each([
    ['an integer past 2^53', '{"jsonrpc":"2.0","method":"a","params":{"n":9007199254740993}}', /would be written back as 9007199254740992/],
    ['an escaped lone surrogate', '{"jsonrpc":"2.0","method":"a","params":{"s":"\\ud800"}}', /lone surrogate/],
    ['nesting past the limit', `{"jsonrpc":"2.0","method":"a","params":${'['.repeat(200)}${']'.repeat(200)}}`, /nesting deeper than/],
  ])('refuses %s in a compact line, as the strict parser does', async (_what, line, pattern) => {
    const { fatal, messages } = await run(`console.log(${JSON.stringify(line)}); setInterval(() => {}, 1000);`);
    expect(messages).toEqual([]);
    expect(fatal?.code).toBe('SERVER_PROTOCOL');
    expect(fatal?.message).toMatch(pattern);
  });

  it('keeps "__proto__" as an ordinary key', async () => {
    const proc = await spawnServer({
      name: 'srv',
      command: process.execPath,
      args: ['-e', `console.log('{"jsonrpc":"2.0","method":"m","params":{"__proto__":{"polluted":true}}}')`],
      env: {},
      projectDir: dir,
    });
    started.push(proc);
    const received: Array<{ params: Record<string, unknown> }> = [];
    const transport = new StdioTransport(proc, { onFatal: () => {} });
    const closed = new Promise<void>((resolve) => (transport.onclose = resolve));
    transport.onmessage = (m) => received.push(m as unknown as { params: Record<string, unknown> });
    await transport.start();
    await closed;
    expect(Object.keys(received[0]!.params)).toEqual(['__proto__']);
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  });

  it('writes one JSON line per message', async () => {
    const proc = await spawnServer({
      name: 'srv',
      command: process.execPath,
      args: ['-e', `process.stdin.once('data', (d) => process.stdout.write(JSON.stringify({ jsonrpc: '2.0', method: 'echo', params: { got: d.toString() } }) + '\\n'))`],
      env: {},
      projectDir: dir,
    });
    started.push(proc);
    const transport = new StdioTransport(proc, { onFatal: () => {} });
    const got = new Promise<unknown>((resolve) => (transport.onmessage = resolve));
    await transport.start();
    await transport.send({ jsonrpc: '2.0', id: 1, method: 'ping' });
    expect(JSON.parse(JSON.stringify(await got))).toEqual({ jsonrpc: '2.0', method: 'echo', params: { got: '{"jsonrpc":"2.0","id":1,"method":"ping"}\n' } });
    await transport.close();
    expect(proc.exitInfo).toBeDefined();
  });
});
