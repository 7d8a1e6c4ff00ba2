import { bearerMatches } from './metrics-token.guard.js';

describe('bearerMatches', () => {
  const secret = 'scrape-secret-0123456789abcdef';

  it('accepts the secret as a bearer token', () => {
    expect(bearerMatches(`Bearer ${secret}`, secret)).toBe(true);
    expect(bearerMatches(`bearer ${secret} `, secret)).toBe(true);
  });

  it.each([
    ['no header', undefined],
    ['an empty header', ''],
    ['another scheme', `Basic ${secret}`],
    ['the secret alone', secret],
    ['a prefix of the secret', `Bearer ${secret.slice(0, -1)}`],
    ['more than the secret', `Bearer ${secret}x`],
    ['an empty token', 'Bearer '],
    ['two tokens', `Bearer ${secret} ${secret}`],
  ])('refuses %s', (_what, header) => {
    expect(bearerMatches(header, secret)).toBe(false);
  });
});
