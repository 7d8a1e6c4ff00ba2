import { createHmac } from 'node:crypto';
import { isPrivateAddress, signature, webhookUrlProblem } from './webhook-http.js';

describe('webhook URLs', () => {
  it.each([
    ['https://hooks.example.org/sieve', null],
    ['http://hooks.example.org:8080/x?y=1', null],
    ['ftp://example.org/hook', 'http:// or https://'],
    ['not a url', 'is not a URL'],
    ['https://user:pass@example.org/', 'user name or password'],
    ['http://localhost:3000/', 'private'],
    ['http://127.0.0.1/', 'private'],
    ['http://169.254.169.254/latest/meta-data/', 'private'],
    ['http://10.1.2.3/', 'private'],
    ['http://[::1]/', 'private'],
    ['http://[fd00::1]/', 'private'],
    ['http://[::ffff:127.0.0.1]/', 'private'],
  ])('%s', (url, problem) => {
    const found = webhookUrlProblem(url, false);
    if (problem === null) expect(found).toBeNull();
    else expect(found).toContain(problem);
  });

  it('lets private addresses through only when allowed', () => {
    expect(webhookUrlProblem('http://127.0.0.1:9/', true)).toBeNull();
  });

  it.each([
    ['8.8.8.8', false],
    ['192.168.1.1', true],
    ['172.20.0.1', true],
    ['100.64.0.1', true],
    ['2001:4860:4860::8888', false],
    ['fe80::1', true],
    ['nonsense', true],
    ['::ffff:8.8.8.8', false],
    ['::ffff:7f00:1', true],
    ['::ffff:a00:1', true],
  ])('%s is private: %s', (address, expected) => {
    expect(isPrivateAddress(address)).toBe(expected);
  });
});

describe('signature', () => {
  it('is the HMAC-SHA256 of "<timestamp>.<body>" in hex', () => {
    expect(signature('k', 1700000000, '{"a":1}')).toBe(`sha256=${createHmac('sha256', 'k').update('1700000000.{"a":1}').digest('hex')}`);
  });
});
