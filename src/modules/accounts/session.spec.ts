import type { Request } from 'express';
import { sameOrigin, sessionToken } from './session.js';

const request = (headers: Record<string, string>) => ({ headers: { host: 'sieve.example.org', ...headers } }) as unknown as Request;

describe('sameOrigin', () => {
  it.each([
    [{ 'sec-fetch-site': 'same-origin' }, true],
    [{ 'sec-fetch-site': 'none' }, true],
    [{ 'sec-fetch-site': 'same-site' }, false],
    [{ 'sec-fetch-site': 'cross-site' }, false],
    [{ 'sec-fetch-site': 'cross-site', origin: 'https://sieve.example.org' }, false],
    [{ origin: 'https://sieve.example.org' }, true],
    [{ origin: 'https://evil.example' }, false],
    [{ origin: 'https://sieve.example.org.evil.example' }, false],
    [{ origin: 'null' }, false],
    [{}, false],
  ])('%j → %s', (headers, expected) => {
    expect(sameOrigin(request(headers))).toBe(expected);
  });
});

describe('sessionToken', () => {
  it('reads the session cookie among others, and nothing when it is absent or empty', () => {
    expect(sessionToken(request({ cookie: 'a=1; sieve_session=sieve_abc; b=2' }))).toBe('sieve_abc');
    expect(sessionToken(request({ cookie: 'a=1' }))).toBeUndefined();
    expect(sessionToken(request({ cookie: 'sieve_session=' }))).toBeUndefined();
    expect(sessionToken(request({}))).toBeUndefined();
  });
});
