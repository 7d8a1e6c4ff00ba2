import { QueryFailedError } from 'typeorm';
import { AppError } from './app-error.js';

/** How long a client is told to wait before retrying after a 503. */
export const RETRY_AFTER_S = 5;

/** Socket-level failures: the other end is not there, or went away. */
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EPIPE', 'EAI_AGAIN', 'ENOTFOUND']);

/**
 * PostgreSQL's own "not now" answers: connection exceptions (class 08), the server
 * shutting down or starting (57P01-57P03), and a database that takes no connections
 * (55000, as `ALLOW_CONNECTIONS false` answers).
 */
function isPostgresUnavailable(code: string | undefined): boolean {
  return code !== undefined && (code.startsWith('08') || ['57P01', '57P02', '57P03', '55000'].includes(code));
}

/** pg's messages for a connection that broke or never came, which carry no code. */
const PG_MESSAGES = /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|Connection terminated unexpectedly|the database system is (starting up|shutting down)/i;

/**
 * The 503 an error stands for when a dependency is down (not a bug of ours, not the
 * client's): the database, or storage (an S3 client's error carries `$metadata`). Null
 * for anything else. Requests are refused quickly and clearly while it lasts, and the
 * pools reconnect by themselves when it is back.
 */
export function unavailableOf(error: unknown): AppError | null {
  if (!(error instanceof Error)) return null;
  const driver = error instanceof QueryFailedError ? (error.driverError as Error & { code?: string }) : (error as Error & { code?: string });
  const code = driver.code;
  const network = (code !== undefined && NETWORK_CODES.has(code)) || (error instanceof AggregateError && error.errors.some((e: unknown) => NETWORK_CODES.has((e as { code?: string }).code ?? '')));
  if ('$metadata' in error) {
    const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
    if (network || status === undefined || status >= 500) return new AppError(503, 'storage_unavailable', `Storage is not reachable right now (${error.message}); nothing was kept: retry in a few seconds`);
    return null;
  }
  if (network || isPostgresUnavailable(code) || PG_MESSAGES.test(driver.message)) {
    return new AppError(503, 'database_unavailable', 'The database is not reachable right now; nothing was changed: retry in a few seconds');
  }
  return null;
}
