import type { z } from 'zod';
import { AppError } from '../errors/app-error.js';

/** Parses a request body or query with a zod schema; a mismatch is a 400 listing each field. */
export function parseInput<T>(schema: z.ZodType<T>, input: unknown, what: 'body' | 'query' = 'body'): T {
  const parsed = schema.safeParse(input ?? {});
  if (!parsed.success) {
    const details = parsed.error.issues.map((i) => ({ field: i.path.join('.') || undefined, message: i.message }));
    const first = details[0];
    throw AppError.badRequest('invalid_request', `Invalid request ${what}: ${first.field ? `${first.field}: ` : ''}${first.message}`, details);
  }
  return parsed.data;
}
