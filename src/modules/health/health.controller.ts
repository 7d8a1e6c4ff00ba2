import { Controller, Get, Inject } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { AppError } from '../../core/errors/app-error.js';
import { ApiDoc } from '../../core/openapi/api-doc.js';
import { Public } from '../accounts/access.js';
import { SkipRateLimit } from '../../core/http/rate-limit.guard.js';
import { QUEUES } from '../../core/queue/jobs.js';
import { QUEUE_BACKEND, type QueueBackend } from '../../core/queue/queue-backend.js';
import { STORAGE, type StoragePort } from '../../core/storage/storage.port.js';

/** Probes poll on their own schedule: never rate limited. */
@Controller()
@Public()
@SkipRateLimit()
export class HealthController {
  constructor(
    private readonly dataSource: DataSource,
    @Inject(STORAGE) private readonly storage: StoragePort,
    @Inject(QUEUE_BACKEND) private readonly queues: QueueBackend,
  ) {}

  /** The process is up. */
  @Get('healthz')
  @ApiDoc({ summary: 'Liveness', description: 'Never rate limited.', responses: { 200: '`{status: "ok"}`' } })
  health() {
    return { status: 'ok' };
  }

  /** The database, the queue backend and storage answer. */
  @Get('readyz')
  @ApiDoc({
    summary: 'Readiness: the database, the queue backend and storage',
    description: 'Never rate limited.',
    responses: { 200: '`{status: "ok", checks}`', 503: 'One of them does not answer (`not_ready`, each in `details`)' },
  })
  async ready() {
    const checks: Record<string, string> = {};
    await this.dataSource.query('SELECT 1').then(() => (checks.database = 'ok'), (e: Error) => (checks.database = e.message));
    await this.storage.check().then(() => (checks.storage = 'ok'), (e: Error) => (checks.storage = e.message));
    await withDeadline(this.queues.queue(QUEUES.evaluateCpu).getJobCounts('waiting'), 3000).then(
      () => (checks.queue = 'ok'),
      (e: Error) => (checks.queue = e.message),
    );
    if (Object.values(checks).some((v) => v !== 'ok')) {
      throw new AppError(503, 'not_ready', 'Not ready', Object.entries(checks).map(([field, message]) => ({ field, message })));
    }
    return { status: 'ok', checks };
  }
}

function withDeadline<T>(promise: Promise<T>, ms: number): Promise<T> {
  return Promise.race([promise, new Promise<T>((_, reject) => setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms).unref())]);
}
