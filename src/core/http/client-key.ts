import { createHash } from 'node:crypto';
import { isIPv6 } from 'node:net';
import { bearerToken } from './bearer.js';

/** Whose budget a request spends: a bearer token's, or (without one) its client address's. */
export interface Client {
  kind: 'token' | 'ip';
  /** Safe to store and log: a hash of the token, or the (normalized) address. */
  id: string;
}

/**
 * A request with a bearer token is counted per token, whether or not the token turns out
 * valid (the rate limit runs before authentication, so a flood never reaches the
 * database); the token is only kept as a hash. Anything else is counted per address.
 */
export function clientOf(authorization: string | undefined, address: string | undefined): Client {
  const token = bearerToken(authorization);
  if (token !== undefined) return { kind: 'token', id: tokenKey(token) };
  return { kind: 'ip', id: addressKey(address) };
}

/**
 * 128 bits of a SHA-256 over the token with a label of its own, so the key differs from
 * the token hash the database stores (a Redis dump cannot be joined with the accounts).
 */
export function tokenKey(token: string): string {
  return createHash('sha256').update('sieve rate limit\0').update(token, 'utf8').digest('hex').slice(0, 32);
}

/**
 * IPv4 as is (also when written as an IPv4-mapped IPv6 address); IPv6 by its /64, the
 * block one host usually holds, so a client cannot rotate through its own addresses.
 */
export function addressKey(address: string | undefined): string {
  if (!address) return 'unknown';
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return mapped[1];
  if (!isIPv6(address)) return address;
  return `${expandIPv6(address).slice(0, 4).join(':')}::/64`;
}

/** The eight 16-bit groups of an IPv6 address, in lower-case hex without leading zeros. */
function expandIPv6(address: string): string[] {
  const [head, tail] = address.split('%')[0].split('::') as [string, string | undefined];
  const groups = (part: string | undefined) => (part ? part.split(':') : []);
  const left = groups(head);
  const right = groups(tail);
  const all = tail === undefined ? left : [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right];
  return all.map((g) => parseInt(g, 16).toString(16));
}
