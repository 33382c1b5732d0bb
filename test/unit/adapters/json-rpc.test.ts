import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import { describe, expect, it } from 'vitest';
import { LATEST_PROTOCOL_VERSION, SUPPORTED_PROTOCOL_VERSIONS } from '@modelcontextprotocol/sdk/types.js';
import { HANDSHAKE_VERSION, HANDSHAKE_VERSIONS, JsonRpcError, JsonRpcPeer, TransportError } from '../../../src/adapters/json-rpc.js';
import { McpmError } from '../../../src/core/errors.js';

/**
 * A transport whose other end is the test: `sent` collects what the peer writes, `deliver` plays the
 * server, `failSends` makes every later write fail as a closed pipe does.
 */
function pair() {
  const sent: JSONRPCMessage[] = [];
  let sendError: Error | undefined;
  const versions: string[] = [];
  const transport: Transport = {
    start: async () => {},
    send: async (m) => {
      if (sendError) throw sendError;
      sent.push(m);
    },
    close: async () => transport.onclose?.(),
    setProtocolVersion: (v) => void versions.push(v),
  };
  const errors: McpmError[] = [];
  const peer = new JsonRpcPeer(transport, 'srv', (e) => errors.push(e));
  const deliver = (m: unknown) => transport.onmessage?.(m as JSONRPCMessage);
  const failSends = (error: Error) => (sendError = error);
  return { sent, transport, peer, errors, deliver, failSends, versions };
}

describe('JsonRpcPeer', () => {
  it('numbers requests and matches responses by id', async () => {
    const { sent, peer, deliver } = pair();
    const a = peer.request('a', {});
    const b = peer.request('b', { x: 1 });
    // From 0, keys in the SDK's order: the bytes a host built on the SDK writes.
    expect(sent.map((m) => JSON.stringify(m))).toEqual(['{"method":"a","params":{},"jsonrpc":"2.0","id":0}', '{"method":"b","params":{"x":1},"jsonrpc":"2.0","id":1}']);
    deliver({ jsonrpc: '2.0', id: 1, result: { b: true } });
    deliver({ jsonrpc: '2.0', id: 0, result: { a: true } });
    expect(await a).toEqual({ a: true });
    expect(await b).toEqual({ b: true });
  });

  it('rejects with the server error', async () => {
    const { peer, deliver } = pair();
    const a = peer.request('server/discover', {});
    deliver({ jsonrpc: '2.0', id: 0, error: { code: -32601, message: 'Method not found' } });
    const error = await a.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(JsonRpcError);
    expect(error).toMatchObject({ method: 'server/discover', code: -32601, message: 'Method not found' });
  });

  it('lets an id:null error answer the one request in flight', async () => {
    const { peer, deliver } = pair();
    const a = peer.request('a', {});
    deliver({ jsonrpc: '2.0', id: null, error: { code: -32700, message: 'Parse error' } });
    await expect(a).rejects.toMatchObject({ code: -32700 });
  });

  it('answers ping, declines other server requests with -32601 and ignores notifications', () => {
    const { sent, deliver, errors } = pair();
    deliver({ jsonrpc: '2.0', id: 's1', method: 'sampling/createMessage', params: {} });
    deliver({ jsonrpc: '2.0', method: 'notifications/message', params: {} });
    deliver({ jsonrpc: '2.0', id: 7, method: 'ping' });
    expect(sent).toEqual([
      { jsonrpc: '2.0', id: 's1', error: { code: -32601, message: 'Method not found' } },
      { result: {}, jsonrpc: '2.0', id: 7 },
    ]);
    expect(errors).toEqual([]);
  });

  it('initializes: initialize, then notifications/initialized, and tells the transport the version', async () => {
    const { sent, peer, deliver, versions } = pair();
    const init = peer.initialize({ protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'c', version: '1' } });
    deliver({ jsonrpc: '2.0', id: 0, result: { protocolVersion: '2025-06-18', capabilities: {}, serverInfo: { name: 's', version: '1' }, extra: 1 } });
    expect(await init).toEqual({ protocolVersion: '2025-06-18', capabilities: {}, serverInfo: { name: 's', version: '1' }, extra: 1 });
    expect(versions).toEqual(['2025-06-18']);
    expect(sent.map((m) => JSON.stringify(m))).toEqual([
      '{"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"c","version":"1"}},"jsonrpc":"2.0","id":0}',
      '{"method":"notifications/initialized","jsonrpc":"2.0"}',
    ]);
  });

  it('asks for and accepts the revisions the SDK does, so the handshake stays the one SDK-built hosts send', () => {
    expect(HANDSHAKE_VERSION).toBe(LATEST_PROTOCOL_VERSION);
    expect(HANDSHAKE_VERSIONS).toEqual(SUPPORTED_PROTOCOL_VERSIONS);
  });

  it.each([['1999-01-01', '"1999-01-01"'], [7, 'that is not a string']])('refuses an initialize answered with protocol version %j', async (version, text) => {
    const { sent, peer, deliver, versions } = pair();
    const init = peer.initialize({});
    deliver({ jsonrpc: '2.0', id: 0, result: { protocolVersion: version } });
    const error = await init.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(McpmError);
    expect(error).toMatchObject({ code: 'SERVER_PROTOCOL', message: `server "srv" answered initialize with protocol version ${text}, which mcpm does not speak` });
    expect(versions).toEqual([]);
    expect(sent).toHaveLength(1);
  });

  it.each([
    [{ jsonrpc: '2.0', id: 9, result: {} }, 'sent a response with an unknown id 9'],
    [{ jsonrpc: '2.0', id: '0', result: {} }, 'sent a response with an unknown id "0"'],
    [{ jsonrpc: '2.0', id: 0, result: {}, error: { code: 1, message: 'x' } }, 'sent a JSON-RPC response with neither or both of "result" and "error"'],
    [{ jsonrpc: '2.0', id: 0, result: [] }, 'answered "a" with a result that is not an object'],
    [{ jsonrpc: '2.0', id: 0, error: { code: 1.5, message: 'x' } }, 'answered "a" with a malformed error'],
  ])('reports a malformed or unmatched response as SERVER_PROTOCOL: %j', (message, text) => {
    const { peer, deliver, errors } = pair();
    peer.request('a', {}).catch(() => {});
    deliver(message);
    expect(errors.map((e) => [e.code, e.message])).toEqual([['SERVER_PROTOCOL', `server "srv" ${text}`]]);
  });

  it('fails pending and later requests with a TransportError naming each method when the connection closes', async () => {
    const { peer, transport } = pair();
    const a = peer.request('a', {});
    await transport.close();
    expect(peer.isLost).toBe(true);
    await expect(a).rejects.toMatchObject({ name: 'TransportError', method: 'a', message: 'server "srv" closed the connection' });
    await expect(peer.request('b', {})).rejects.toMatchObject({ name: 'TransportError', method: 'b' });
    await expect(peer.notify('n')).rejects.toBeInstanceOf(TransportError);
  });

  it.each(['EPIPE', 'ECONNRESET', 'ERR_STREAM_DESTROYED'])('turns a write that fails with %s into a TransportError and a lost connection', async (code) => {
    const { peer, failSends } = pair();
    const pending = peer.request('a', {});
    const cause = Object.assign(new Error(`write ${code}`), { code });
    failSends(cause);
    const failed = await peer.request('tools/list', {}).catch((e: unknown) => e);
    expect(failed).toBeInstanceOf(TransportError);
    expect(failed).toMatchObject({ method: 'tools/list', cause });
    expect((failed as Error).message).toContain(code);
    // The request already written fails too: no answer can come on a broken pipe.
    await expect(pending).rejects.toMatchObject({ name: 'TransportError', method: 'a', cause });
  });

  it('turns a transport that cannot start into a TransportError for "connect"', async () => {
    const cause = new TypeError('fetch failed');
    const transport: Transport = { start: async () => Promise.reject(cause), send: async () => {}, close: async () => {} };
    const peer = new JsonRpcPeer(transport, 'srv', () => {});
    await expect(peer.start()).rejects.toMatchObject({ name: 'TransportError', method: 'connect', cause });
  });

  it('keeps an answer that came before its send settled (HTTP delivers it inside the send)', async () => {
    const transport: Transport = {
      start: async () => {},
      send: async () => {
        transport.onmessage?.({ jsonrpc: '2.0', id: 0, result: { ok: true } } as JSONRPCMessage);
        throw new Error('the SDK could not read it');
      },
      close: async () => {},
    };
    const peer = new JsonRpcPeer(transport, 'srv', () => {});
    expect(await peer.request('a', {})).toEqual({ ok: true });
    expect(peer.isLost).toBe(false);
  });
});
