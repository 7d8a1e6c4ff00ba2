import { createHash, randomBytes, scrypt, timingSafeEqual } from 'node:crypto';

const PREFIX = 'sieve_';
const LOOKUP_CHARS = 16;
const SECRET_CHARS = 43;
const TOKEN_PATTERN = new RegExp(`^${PREFIX}([A-Za-z0-9_-]{${LOOKUP_CHARS}})([A-Za-z0-9_-]{${SECRET_CHARS}})$`);

/** scrypt's cost: N = 2^14, r = 8, p = 1 (16 MiB, tens of milliseconds per check). */
const KDF = { N: 16_384, r: 8, p: 1, keyLength: 32, maxmem: 64 * 1024 * 1024 };

export interface NewToken {
  token: string;
  lookup: string;
  secret: string;
}

/** A new bearer token: a 96-bit lookup and a 256-bit secret, base64url, with a recognizable prefix. */
export function newToken(): NewToken {
  const lookup = randomBytes(12).toString('base64url');
  const secret = randomBytes(32).toString('base64url');
  return { token: PREFIX + lookup + secret, lookup, secret };
}

/** The lookup and secret of a well-formed token; null for anything else. */
export function parseToken(token: string): { lookup: string; secret: string } | null {
  const match = TOKEN_PATTERN.exec(token);
  return match ? { lookup: match[1], secret: match[2] } : null;
}

function derive(secret: string, salt: Buffer, params: { N: number; r: number; p: number }): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    scrypt(secret, salt, KDF.keyLength, { ...params, maxmem: KDF.maxmem }, (err, key) => (err ? reject(err) : resolve(key))),
  );
}

/** The stored form of a secret: `scrypt$N$r$p$salt$hash`, with a fresh random salt. */
export async function hashSecret(secret: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await derive(secret, salt, KDF);
  return ['scrypt', KDF.N, KDF.r, KDF.p, salt.toString('base64url'), key.toString('base64url')].join('$');
}

/** Whether `secret` matches its stored hash, compared in constant time. */
export async function verifySecret(secret: string, stored: string): Promise<boolean> {
  const [kind, n, r, p, salt, hash] = stored.split('$');
  if (kind !== 'scrypt' || !salt || !hash) return false;
  const expected = Buffer.from(hash, 'base64url');
  const key = await derive(secret, Buffer.from(salt, 'base64url'), { N: Number(n), r: Number(r), p: Number(p) });
  return key.length === expected.length && timingSafeEqual(key, expected);
}

/** A short fingerprint of a token for in-memory caches and rate-limit keys (never stored). */
export function fingerprint(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('base64url');
}
