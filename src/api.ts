import type { Server } from 'node:http';
import type { INestApplication, Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { Logger } from 'pino';
import { AppModule } from './app.module.js';
import type { Config } from './core/config/config.js';
import { AppErrorFilter } from './core/errors/app-error.filter.js';
import { NestPinoLogger } from './core/logger/logger.js';
import { setUploadCeiling } from './modules/submissions/upload-limits.js';

export const API_PREFIX = 'api/v1';

/** Builds the HTTP API (not yet listening); `extra` modules join the same container (`sieve start` adds the worker). */
export async function createApi(config: Config, databaseUrl: string, logger: Logger, extra: Type[] = []): Promise<INestApplication> {
  setUploadCeiling(config.maxUploadBytes);
  const app = await NestFactory.create<NestExpressApplication>(AppModule.forRoot({ config, databaseUrl, logger }, extra), {
    logger: new NestPinoLogger(logger),
    bodyParser: false,
  });
  app.useBodyParser('json', { limit: '64kb' });
  app.setGlobalPrefix(API_PREFIX, { exclude: ['healthz', 'readyz'] });
  app.useGlobalFilters(new AppErrorFilter(logger));
  app.disable('x-powered-by');
  // Idle keep-alive connections stay open longer than clients and proxies keep theirs
  // (Node's 5 s default lets a busy event loop close a socket a client is about to reuse).
  const server = app.getHttpServer() as Server;
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  return app;
}
