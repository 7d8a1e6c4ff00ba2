import { InvalidArgumentError } from 'commander';
import { describeChallengeTerms, formatTokens, scopes, serverUrl } from './account-commands.js';
import { CliError } from './api-client.js';

describe('--scopes', () => {
  it('takes known scopes, comma-separated, each once', () => {
    expect(scopes('read, submit,read')).toEqual(['read', 'submit']);
    expect(scopes('read,submit,organize,admin')).toEqual(['read', 'submit', 'organize', 'admin']);
  });

  it.each([
    ['', 'give at least one of read, submit, organize, admin'],
    ['read,write', 'unknown scope write; the scopes are read, submit, organize, admin'],
  ])('refuses %j', (value, message) => {
    expect(() => scopes(value)).toThrow(InvalidArgumentError);
    expect(() => scopes(value)).toThrow(message);
  });
});

describe('serverUrl', () => {
  it('drops a trailing slash and refuses what is not http(s)', () => {
    expect(serverUrl('http://127.0.0.1:3000/')).toBe('http://127.0.0.1:3000');
    expect(() => serverUrl('ftp://x')).toThrow(CliError);
    expect(() => serverUrl('sieve.example.org')).toThrow('is not a URL');
  });
});

describe('formatTokens', () => {
  it('shows days, and whether each token is active, expired or revoked', () => {
    const text = formatTokens(
      [
        { id: 't1', name: 'laptop', scopes: ['read', 'submit'], createdAt: '2026-01-02T10:00:00Z', expiresAt: null, lastUsedAt: '2026-01-03T00:00:00Z', revokedAt: null },
        { id: 't2', name: 'ci', scopes: ['read'], createdAt: '2026-01-02T10:00:00Z', expiresAt: '2026-01-10T00:00:00Z', lastUsedAt: null, revokedAt: null },
        { id: 't3', name: 'old', scopes: ['admin'], createdAt: '2025-01-02T10:00:00Z', expiresAt: null, lastUsedAt: null, revokedAt: '2025-02-01T00:00:00Z' },
      ],
      new Date('2026-02-01T00:00:00Z'),
    );
    expect(text.split('\n')).toEqual([
      'id  name    scopes       created     expires     last used   status',
      't1  laptop  read,submit  2026-01-02  never       2026-01-03  active',
      't2  ci      read         2026-01-02  2026-01-10  never       expired',
      't3  old     admin        2025-01-02  never       never       revoked',
      '',
    ]);
    expect(formatTokens([], new Date())).toBe('(no tokens)\n');
  });
});

describe('describeChallengeTerms', () => {
  it('shows the license and the rules, indented', () => {
    expect(describeChallengeTerms({ slug: 'c', title: 'C', rules: 'One account each.\nNo hand labeling.', license: { name: 'CC-BY-4.0', url: 'https://x' } })).toBe(
      'C (c)\nLicense: CC-BY-4.0 (https://x)\nRules:\n  One account each.\n  No hand labeling.\n',
    );
    expect(describeChallengeTerms({ slug: 'c', title: 'C' })).toContain('License: (none stated)');
  });
});
