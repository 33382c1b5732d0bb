import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import { describe, expect, it } from 'vitest';
import { ConnectionClosedError, JsonRpcError, JsonRpcPeer } from '../../../src/adapters/json-rpc.js';
import type { McpmError } from '../../../src/core/errors.js';

/** A transport whose other end is the test: `sent` collects what the peer writes, `deliver` plays the server. */
function pair() {
  const sent: JSONRPCMessage[] = [];
  const transport: Transport = {
    start: async () => {},
    send: async (m) => void sent.push(m),
    close: async () => transport.onclose?.(),
  };
  const errors: McpmError[] = [];
  const peer = new JsonRpcPeer(transport, 'srv', (e) => errors.push(e));
  const deliver = (m: unknown) => transport.onmessage?.(m as JSONRPCMessage);
  return { sent, transport, peer, errors, deliver };
}

describe('JsonRpcPeer', () => {
  it('numbers requests and matches responses by id', async () => {
    const { sent, peer, deliver } = pair();
    const a = peer.request('a', {});
    const b = peer.request('b', { x: 1 });
    expect(sent).toEqual([
      { jsonrpc: '2.0', id: 1, method: 'a', params: {} },
      { jsonrpc: '2.0', id: 2, method: 'b', params: { x: 1 } },
    ]);
    deliver({ jsonrpc: '2.0', id: 2, result: { b: true } });
    deliver({ jsonrpc: '2.0', id: 1, result: { a: true } });
    expect(await a).toEqual({ a: true });
    expect(await b).toEqual({ b: true });
  });

  it('rejects with the server error', async () => {
    const { peer, deliver } = pair();
    const a = peer.request('server/discover', {});
    deliver({ jsonrpc: '2.0', id: 1, error: { code: -32601, message: 'Method not found' } });
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

  it('declines server requests with -32601 and ignores notifications', () => {
    const { sent, deliver, errors } = pair();
    deliver({ jsonrpc: '2.0', id: 's1', method: 'sampling/createMessage', params: {} });
    deliver({ jsonrpc: '2.0', method: 'notifications/message', params: {} });
    expect(sent).toEqual([{ jsonrpc: '2.0', id: 's1', error: { code: -32601, message: 'Method not found' } }]);
    expect(errors).toEqual([]);
  });

  it.each([
    [{ jsonrpc: '2.0', id: 9, result: {} }, 'sent a response with an unknown id 9'],
    [{ jsonrpc: '2.0', id: '1', result: {} }, 'sent a response with an unknown id "1"'],
    [{ jsonrpc: '2.0', id: 1, result: {}, error: { code: 1, message: 'x' } }, 'sent a JSON-RPC response with neither or both of "result" and "error"'],
    [{ jsonrpc: '2.0', id: 1, result: [] }, 'answered "a" with a result that is not an object'],
    [{ jsonrpc: '2.0', id: 1, error: { code: 1.5, message: 'x' } }, 'answered "a" with a malformed error'],
  ])('reports a malformed or unmatched response as SERVER_PROTOCOL: %j', (message, text) => {
    const { peer, deliver, errors } = pair();
    peer.request('a', {}).catch(() => {});
    deliver(message);
    expect(errors.map((e) => [e.code, e.message])).toEqual([['SERVER_PROTOCOL', `server "srv" ${text}`]]);
  });

  it('rejects pending requests when the connection closes or the peer detaches', async () => {
    const { peer, transport } = pair();
    const a = peer.request('a', {});
    await transport.close();
    await expect(a).rejects.toBeInstanceOf(ConnectionClosedError);
    await expect(peer.request('b', {})).rejects.toBeInstanceOf(ConnectionClosedError);
  });
});
