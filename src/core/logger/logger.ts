import type { LoggerService } from '@nestjs/common';
import { type DestinationStream, pino, type Logger } from 'pino';
import { currentRequestId } from './request-context.js';

export const LOGGER = Symbol('LOGGER');

/**
 * Every line logged while serving a request carries its id (see request-context), whichever
 * logger or child logger wrote it, so services need not pass a request logger around.
 */
function requestBindings(): { requestId?: string } {
  const requestId = currentRequestId();
  return requestId === undefined ? {} : { requestId };
}

/**
 * The one structured logger: JSON lines, or readable lines (pino-pretty) when writing to a
 * terminal. LOG_FORMAT=json|pretty overrides the choice. `destination` is a file
 * descriptor, or a stream of JSON lines (tests read what was logged from one).
 */
export function createLogger(level: string, name: string, destination: 1 | 2 | DestinationStream = 1): Logger {
  if (typeof destination !== 'number') return pino({ name, level, base: { service: name }, mixin: requestBindings }, destination);
  const stream = destination === 1 ? process.stdout : process.stderr;
  const format = process.env.LOG_FORMAT ?? (stream.isTTY ? 'pretty' : 'json');
  if (format === 'pretty' && level !== 'silent') {
    return pino({
      name,
      level,
      mixin: requestBindings,
      transport: { target: 'pino-pretty', options: { destination, ignore: 'pid,hostname,service', translateTime: 'HH:MM:ss', singleLine: true } },
    });
  }
  return pino({ name, level, base: { service: name }, mixin: requestBindings }, pino.destination({ fd: destination, sync: false }));
}

/** Lets Nest's own messages go through pino too. */
export class NestPinoLogger implements LoggerService {
  constructor(private readonly logger: Logger) {}
  /** Nest's own start-up chatter ("dependencies initialized", routes) is debug detail. */
  log(message: unknown, context?: string): void {
    this.logger.debug({ context }, String(message));
  }
  error(message: unknown, trace?: string, context?: string): void {
    this.logger.error({ context, trace }, String(message));
  }
  warn(message: unknown, context?: string): void {
    this.logger.warn({ context }, String(message));
  }
  debug(message: unknown, context?: string): void {
    this.logger.debug({ context }, String(message));
  }
  verbose(message: unknown, context?: string): void {
    this.logger.trace({ context }, String(message));
  }
}
