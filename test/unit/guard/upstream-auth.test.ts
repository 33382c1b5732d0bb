import { describe, expect, it } from 'vitest';
import type { BearerAuth } from '../../../src/adapters/oauth/provider.js';
import { authorizationProblem, renewAuth, withBearer } from '../../../src/guard/http-upstream.js';

function bearer(token: string | undefined, renewed: string | undefined): BearerAuth & { calls: (string | undefined)[] } {
  let current = token;
  const calls: (string | undefined)[] = [];
  return {
    calls,
    header: () => (current === undefined ? undefined : `Bearer ${current}`),
    renew: async (_response, sent) => {
      calls.push(sent);
      current = renewed;
      return renewed !== undefined;
    },
  };
}

describe("mcpm run's bearer token", () => {
  it('is added to the configured headers; a configured Authorization header wins, as in the SDK', () => {
    expect(withBearer({ 'x-a': '1' }, bearer('t1', undefined))).toEqual({ 'x-a': '1', authorization: 'Bearer t1' });
    expect(withBearer({ Authorization: 'Bearer fixed' }, bearer('t1', undefined))).toEqual({ Authorization: 'Bearer fixed' });
    expect(withBearer({ 'x-a': '1' }, undefined)).toEqual({ 'x-a': '1' });
    expect(withBearer({}, bearer(undefined, undefined))).toEqual({});
  });

  it('is renewed after a 401 with what was sent; never for the config\'s own header, nor without a login', async () => {
    const auth = bearer('t1', 't2');
    expect(await renewAuth(auth, new Response(null, { status: 401 }), { authorization: 'Bearer t1' })).toBe(true);
    expect(auth.calls).toEqual(['Bearer t1']);
    expect(auth.header()).toBe('Bearer t2');
    expect(await renewAuth(bearer('t1', 't2'), new Response(null, { status: 401 }), { Authorization: 'Bearer fixed' })).toBe(false);
    expect(await renewAuth(undefined, new Response(null, { status: 401 }), {})).toBe(false);
    expect(await renewAuth(bearer('t1', undefined), new Response(null, { status: 401 }), { authorization: 'Bearer t1' })).toBe(false);
  });

  it('tells the host which command signs in', () => {
    expect(authorizationProblem(401, 'mcpm --host cursor login notes')).toBe(
      'requires authorization (HTTP 401); sign in with "mcpm --host cursor login notes", or set the header in the config, e.g. "Authorization": "Bearer ${TOKEN}"',
    );
  });
});
