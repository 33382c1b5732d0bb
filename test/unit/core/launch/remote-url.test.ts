import { describe, expect, it } from 'vitest';
import { McpmError } from '../../../../src/core/errors.js';
import { parseRemoteUrl } from '../../../../src/core/launch/remote-url.js';

describe('parseRemoteUrl: the one reading of a remote server URL install, run and login connect to', () => {
  const refusal = (text: string): McpmError => {
    try {
      parseRemoteUrl(text, 'server "r"');
    } catch (error) {
      if (error instanceof McpmError) return error;
      throw error;
    }
    throw new Error(`accepted ${text}`);
  };

  it('parses an http or https URL', () => {
    expect(parseRemoteUrl('https://mcp.example.com/mcp?key=1', 'server "r"').host).toBe('mcp.example.com');
    expect(parseRemoteUrl('https://mcp.example.com:8080/mcp?email=me@example.com#/@scope', 'server "r"').port).toBe('8080');
    expect(parseRemoteUrl('http://127.0.0.1:8080/mcp', 'server "r"').port).toBe('8080');
  });

  it('refuses what is not a URL, another scheme, and a user name or password, naming the server and never the password', () => {
    expect(refusal('not a url').message).toBe('server "r": "url" is not a valid URL');
    expect(refusal('ws://mcp.example.com/mcp').message).toBe('server "r": "url" must be http: or https:');
    // The last: a password with a # in it, which the parser reads as host "me", port 2024 and a fragment.
    for (const text of ['https://me:sk-live-123456@mcp.example.com/mcp', 'https://token-123456@mcp.example.com/mcp', 'https://me:2024#pass@mcp.example.com/mcp']) {
      const error = refusal(text);
      expect(error.code).toBe('CONFIG_INVALID');
      expect(error.message).toBe('server "r": "url" has a user name or password in it, which HTTP clients refuse to send');
      expect(error.hint).toMatch(/header/);
    }
  });
});
