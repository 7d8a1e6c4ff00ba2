import { addressKey, clientOf, tokenKey } from './client-key.js';

describe('clientOf', () => {
  const token = 'sieve_abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG';

  it('counts a bearer token by a hash that never contains the token', () => {
    const client = clientOf(`Bearer ${token}`, '10.0.0.1');
    expect(client).toEqual({ kind: 'token', id: tokenKey(token) });
    expect(client.id).toMatch(/^[0-9a-f]{32}$/);
    expect(client.id).not.toContain(token);
    expect(clientOf(`bearer  ${token} `, '10.0.0.2')).toEqual(client);
  });

  it('gives two tokens two budgets', () => {
    expect(clientOf(`Bearer ${token}`, '10.0.0.1').id).not.toBe(clientOf(`Bearer ${token}x`, '10.0.0.1').id);
  });

  it.each([
    ['no Authorization header', undefined],
    ['another scheme', 'Basic YWxpY2U6c2VjcmV0'],
    ['Bearer and nothing', 'Bearer '],
    ['two words', 'Bearer a b'],
  ])('counts by address with %s', (_name, authorization) => {
    expect(clientOf(authorization, '192.0.2.7')).toEqual({ kind: 'ip', id: '192.0.2.7' });
  });
});

describe('addressKey', () => {
  it.each([
    ['192.0.2.7', '192.0.2.7'],
    ['::ffff:192.0.2.7', '192.0.2.7'],
    ['::FFFF:127.0.0.1', '127.0.0.1'],
    ['2001:db8:1:2:3:4:5:6', '2001:db8:1:2::/64'],
    ['2001:0db8:0001:0002:ffff:ffff:ffff:ffff', '2001:db8:1:2::/64'],
    ['2001:db8::1', '2001:db8:0:0::/64'],
    ['::1', '0:0:0:0::/64'],
    ['fe80::1%eth0', 'fe80:0:0:0::/64'],
    [undefined, 'unknown'],
    ['', 'unknown'],
  ])('%s -> %s', (address, key) => {
    expect(addressKey(address)).toBe(key);
  });
});
