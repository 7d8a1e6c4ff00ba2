import type { LoggerService } from '@nestjs/common';
import { pino, type Logger } from 'pino';

export const LOGGER = Symbol('LOGGER');

/** The one structured logger: JSON lines on stdout (stderr for the CLI). */
export function createLogger(level: string, name: string, destination: 1 | 2 = 1): Logger {
  return pino({ name, level, base: { service: name } }, pino.destination({ fd: destination, sync: false }));
}

/** Lets Nest's own messages go through pino too. */
export class NestPinoLogger implements LoggerService {
  constructor(private readonly logger: Logger) {}
  log(message: unknown, context?: string): void {
    this.logger.info({ context }, String(message));
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
