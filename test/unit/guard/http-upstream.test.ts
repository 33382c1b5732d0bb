import { describe, expect, it } from 'vitest';
import { SseParser } from '../../../src/adapters/sse.js';

describe('SseParser', () => {
  it('dispatches on a blank line, joins data lines with LF, and handles CRLF, CR and split chunks', () => {
    const parser = new SseParser(1024);
    expect(parser.feed('event: message\r\nid: 1\r\ndata: {"a":\r\ndata: 1}\r')).toEqual([]);
    expect(parser.feed('\n\r\n: comment\rdata:{"b":2}\r\r\n')).toEqual([
      { type: 'message', data: '{"a":\n1}' },
      { type: '', data: '{"b":2}' },
    ]);
  });

  it('ignores events without data and keeps an unfinished event for the next chunk', () => {
    const parser = new SseParser(1024);
    expect(parser.feed('event: ping\n\ndata: {"c"')).toEqual([]);
    expect(parser.feed(':3}\n\n')).toEqual([{ type: '', data: '{"c":3}' }]);
  });

  it('stops an event that grows past the cap, with or without a newline (D4)', () => {
    expect(() => new SseParser(10).feed(`data: ${'x'.repeat(20)}\n`)).toThrow();
    expect(() => new SseParser(10).feed(`data: ${'x'.repeat(20)}`)).toThrow();
  });
});
