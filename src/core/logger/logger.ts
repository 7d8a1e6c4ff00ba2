import type { LoggerService } from '@nestjs/common';
import { pino, type Logger } from 'pino';

export const LOGGER = Symbol('LOGGER');

/**
 * The one structured logger: JSON lines, or readable lines (pino-pretty) when writing to a
 * terminal. LOG_FORMAT=json|pretty overrides the choice.
 */
export function createLogger(level: string, name: string, destination: 1 | 2 = 1): Logger {
  const stream = destination === 1 ? process.stdout : process.stderr;
  const format = process.env.LOG_FORMAT ?? (stream.isTTY ? 'pretty' : 'json');
  if (format === 'pretty' && level !== 'silent') {
    return pino({
      name,
      level,
      transport: { target: 'pino-pretty', options: { destination, ignore: 'pid,hostname,service', translateTime: 'HH:MM:ss', singleLine: true } },
    });
  }
  return pino({ name, level, base: { service: name } }, pino.destination({ fd: destination, sync: false }));
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
