import { randomUUID } from 'node:crypto';
import { type ArgumentsHost, Catch, type ExceptionFilter, HttpException } from '@nestjs/common';
import type { Response } from 'express';
import { ZodError } from 'zod';
import type { Logger } from 'pino';
import { AppError, type ErrorDetail } from './app-error.js';
import { RETRY_AFTER_S, unavailableOf } from './unavailable.js';

export interface ErrorBody {
  error: { code: string; message: string; details: ErrorDetail[]; errorId?: string };
}

const HTTP_CODES: Record<number, string> = {
  400: 'bad_request',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not_found',
  405: 'method_not_allowed',
  409: 'conflict',
  413: 'payload_too_large',
  415: 'unsupported_media_type',
  422: 'unprocessable',
  429: 'rate_limited',
};

/** Maps every error to the one error shape. A 5xx carries an errorId that is also in the log. */
@Catch()
export class AppErrorFilter implements ExceptionFilter {
  constructor(private readonly logger: Logger) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    this.reply(exception, host.switchToHttp().getResponse<Response>());
  }

  /** Answers `exception` in the one error shape: for plain Express handlers too, which Nest's filters do not reach. */
  reply(exception: unknown, response: Response): void {
    const [status, body] = errorBodyOf(exception, this.logger);
    if (response.headersSent) {
      response.end();
      return;
    }
    if (status === 503) response.setHeader('Retry-After', String(RETRY_AFTER_S));
    response.status(status).json(body);
  }
}

/** The status and the error shape for anything thrown; an unexpected error is logged with the errorId it answers. */
export function errorBodyOf(exception: unknown, logger: Logger): [number, ErrorBody] {
  if (exception instanceof AppError) {
    return [exception.status, { error: { code: exception.code, message: exception.message, details: exception.details } }];
  }
  if (exception instanceof ZodError) {
    const details = exception.issues.map((i) => ({ field: i.path.join('.') || undefined, message: i.message }));
    return [400, { error: { code: 'invalid_request', message: 'The request is not valid', details } }];
  }
  const unavailable = unavailableOf(exception);
  if (unavailable) {
    logger.warn({ err: exception, code: unavailable.code }, 'a dependency is unavailable');
    return [503, { error: { code: unavailable.code, message: unavailable.message, details: [] } }];
  }
  if (exception instanceof HttpException && exception.getStatus() < 500) {
    const status = exception.getStatus();
    return [status, { error: { code: HTTP_CODES[status] ?? 'bad_request', message: httpMessage(exception), details: [] } }];
  }
  const errorId = randomUUID();
  logger.error({ err: exception, errorId }, 'unhandled error');
  return [500, { error: { code: 'internal', message: `Internal error; quote errorId ${errorId} when reporting it`, details: [], errorId } }];
}

function httpMessage(exception: HttpException): string {
  const res = exception.getResponse();
  const raw = typeof res === 'string' ? res : (res as { message?: unknown }).message;
  const message = Array.isArray(raw) ? raw.join('; ') : typeof raw === 'string' ? raw : exception.message;
  const field = /^Unexpected file field - (.*)$/.exec(message);
  if (field) return `Unexpected file field "${field[1]}": send the file in the multipart field "file"`;
  if (/ in JSON at position \d+|Unexpected end of JSON input/.test(message)) return `The request body is not valid JSON: ${message}`;
  if (exception.getStatus() === 413) {
    // body-parser's http-error carries the limit it applied (the JSON body limit).
    const limit = (exception.cause as { limit?: unknown } | undefined)?.limit;
    return typeof limit === 'number' ? `The request body is larger than ${limit} bytes, the most a JSON body may be` : `${message}: the request is larger than this server accepts`;
  }
  return message;
}
