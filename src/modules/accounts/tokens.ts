import { createHash, randomBytes } from 'node:crypto';

const PREFIX = 'sieve_';

/** A new bearer token: 32 random bytes, base64url, with a recognizable prefix. */
export function newToken(): string {
  return PREFIX + randomBytes(32).toString('base64url');
}

/**
 * Tokens are 256-bit random values, so a single SHA-256 is enough to store them safely
 * (no dictionary to guess from); the lookup stays one indexed equality.
 */
export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

export function looksLikeToken(token: string): boolean {
  return token.startsWith(PREFIX) && /^[A-Za-z0-9_-]{20,200}$/.test(token);
}
