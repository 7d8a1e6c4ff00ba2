import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';

/** The header a request id travels in, both ways. */
export const REQUEST_ID_HEADER = 'x-request-id';

/**
 * What a client may choose as its request id: short, and safe to put in a log line, a
 * header and a job payload as it is (no spaces, quotes or control characters to forge
 * log fields or split headers with).
 */
export const REQUEST_ID_PATTERN = /^[A-Za-z0-9._-]{1,128}$/;

export interface RequestContext {
  requestId: string;
}

/**
 * The request being served, carried through its async work (guards, services,
 * repositories) without passing it to each call: the logger stamps its lines with the
 * request id from here, and the evaluation queue puts it into the job it adds.
 */
const storage = new AsyncLocalStorage<RequestContext>();

/** The client's X-Request-Id when it is a sane value, else a fresh one. */
export function acceptRequestId(header: string | string[] | undefined): string {
  const value = Array.isArray(header) ? header[0] : header;
  return value !== undefined && REQUEST_ID_PATTERN.test(value) ? value : randomUUID();
}

export function runWithRequestId<T>(requestId: string, fn: () => T): T {
  return storage.run({ requestId }, fn);
}

/** The id of the request this code runs for; undefined outside one (workers, the reconciler, start-up). */
export function currentRequestId(): string | undefined {
  return storage.getStore()?.requestId;
}
