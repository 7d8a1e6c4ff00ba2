import type { Server } from 'node:http';
import type { INestApplication, Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { Logger } from 'pino';
import { AppModule } from './app.module.js';
import type { Config } from './core/config/config.js';
import { AppErrorFilter } from './core/errors/app-error.filter.js';
import { NestPinoLogger } from './core/logger/logger.js';
import { sweepStaleUploads } from './core/http/temp-file.storage.js';
import { DOCS_ASSETS_PATH, swaggerUiAssets } from './core/openapi/swagger-ui.js';
import { requestIds } from './core/http/request-id.middleware.js';
import { QUEUE_BACKEND, type QueueBackend } from './core/queue/queue-backend.js';
import { QUEUE_BOARD_PATH, queueBoard } from './core/queue/queue-board.js';
import { adminOnly } from './core/queue/queue-board-access.js';
import { AccountsService } from './modules/accounts/accounts.service.js';
import { TokenChecks } from './modules/accounts/token-checks.js';
import { httpLatency } from './modules/metrics/http-latency.middleware.js';
import { MetricsService } from './modules/metrics/metrics.service.js';
import { WEB_PATHS } from './modules/web/web-pages.js';

export const API_PREFIX = 'api/v1';
/** Every route that takes JSON takes at most this much (uploads are multipart, capped by MAX_UPLOAD_BYTES). */
export const JSON_BODY_LIMIT = '64kb';

/** Builds the HTTP API (not yet listening); `extra` modules join the same container (`sieve start` adds the worker). */
export async function createApi(config: Config, databaseUrl: string, logger: Logger, extra: Type[] = []): Promise<INestApplication> {
  // Temp files of uploads a crashed process was receiving (a live one is far younger).
  const stale = await sweepStaleUploads(config.uploadTmpDir, Math.max(3_600_000, 2 * config.http.requestTimeoutMs));
  if (stale > 0) logger.info({ removed: stale, dir: config.uploadTmpDir }, 'removed stale upload temp files');
  const app = await NestFactory.create<NestExpressApplication>(AppModule.forRoot({ config, databaseUrl, logger }, extra), {
    logger: new NestPinoLogger(logger),
    bodyParser: false,
  });
  // X-Forwarded-For only counts (for req.ip, hence the per-address rate limit) behind configured proxies.
  app.set('trust proxy', config.http.trustProxy);
  // Before the body parser and the routes, so that every request, refused ones included, has an id and a time.
  app.use(requestIds(logger));
  app.use(httpLatency(app.get(MetricsService)));
  const errors = new AppErrorFilter(logger);
  // The admins' read-only view of the queues: a plain Express router (no Nest route, no guard runs for it), gated by adminOnly.
  const gate = adminOnly(app.get(AccountsService), app.get(TokenChecks));
  app.use(QUEUE_BOARD_PATH, queueBoard(app.get<QueueBackend>(QUEUE_BACKEND), QUEUE_BOARD_PATH, gate, (err, res) => errors.reply(err, res)));
  app.useBodyParser('json', { limit: JSON_BODY_LIMIT });
  // The web pages' forms (only their routes take them: see RequestShapeGuard).
  app.useBodyParser('urlencoded', { limit: JSON_BODY_LIMIT, extended: false });
  app.setGlobalPrefix(API_PREFIX, { exclude: ['healthz', 'readyz', 'metrics', 'docs', ...WEB_PATHS] });
  // Swagger UI's files for the /docs page: static files, not routes (no guard runs for them).
  app.use(DOCS_ASSETS_PATH, swaggerUiAssets());
  app.useGlobalFilters(errors);
  app.disable('x-powered-by');
  // Idle keep-alive connections stay open longer than clients and proxies keep theirs
  // (Node's 5 s default lets a busy event loop close a socket a client is about to reuse).
  const server = app.getHttpServer() as Server;
  server.keepAliveTimeout = 65_000;
  applyRequestTimeout(server, config.http.requestTimeoutMs);
  return app;
}

/**
 * A client gets `ms` to send a whole request, body included; after that Node answers 408
 * and closes the socket, which cuts off a slow-loris upload (multer then removes its temp
 * file). Node checks its connections on an interval (30 s by default), so the interval
 * shrinks with short timeouts to keep the cut-off close to `ms`.
 */
export function applyRequestTimeout(server: Server, ms: number): void {
  server.requestTimeout = ms;
  // Above keepAliveTimeout when it can be, so an idle kept-alive socket is never taken for a slow request.
  server.headersTimeout = Math.min(66_000, ms);
  // Read when the server starts listening (Node 20), so it can still be set here; @types/node lacks it.
  (server as Server & { connectionsCheckingInterval: number }).connectionsCheckingInterval = Math.min(30_000, Math.max(100, Math.floor(ms / 10)));
}

/**
 * Stops the API gracefully: no new connections, the live status streams end, requests in
 * flight finish (idle keep-alive connections are closed as they go idle); whatever is
 * still open after `deadlineMs` is cut off. Then the application's own shutdown (database,
 * queue, storage) runs.
 */
export async function closeApi(app: INestApplication, deadlineMs: number, logger: Logger): Promise<void> {
  const server = app.getHttpServer() as Server;
  const idle = setInterval(() => server.closeIdleConnections(), 100);
  const cutOff = setTimeout(() => {
    logger.warn({ deadlineMs }, 'requests still in flight at the shutdown deadline; closing their connections');
    server.closeAllConnections();
  }, deadlineMs);
  try {
    await app.close();
  } finally {
    clearInterval(idle);
    clearTimeout(cutOff);
  }
}
