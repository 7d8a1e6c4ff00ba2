import type { IncomingHttpHeaders } from 'node:http';
import { AppError } from '../errors/app-error.js';

export const IDEMPOTENCY_HEADER = 'Idempotency-Key';
/** Set on an answer that repeats the first answer to the same key. */
export const REPLAYED_HEADER = 'Idempotent-Replayed';

const KEY = /^[\x21-\x7e]{1,255}$/;

/**
 * The request's Idempotency-Key (IETF draft-ietf-httpapi-idempotency-key-header):
 * 1 to 255 visible ASCII characters, e.g. a UUID the client makes once per upload and
 * sends again with each retry of it. Undefined when absent; 400 when malformed.
 */
export function idempotencyKeyOf(headers: IncomingHttpHeaders): string | undefined {
  return idempotencyKey(headers[IDEMPOTENCY_HEADER.toLowerCase()], IDEMPOTENCY_HEADER);
}

/** The same key from elsewhere (the web pages' submit form carries one per form shown). */
export function idempotencyKey(value: unknown, field: string): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || !KEY.test(value)) {
    throw AppError.badRequest('invalid_idempotency_key', `The ${field} must be 1 to 255 visible ASCII characters (a UUID made once per upload is a good one)`, [
      { field, message: 'expected 1 to 255 characters from ! to ~' },
    ]);
  }
  return value;
}
