import { Controller, Get, Inject } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { withDeadline } from '../../core/async/deadline.js';
import { AppError } from '../../core/errors/app-error.js';
import { ApiDoc } from '../../core/openapi/api-doc.js';
import { Public } from '../accounts/access.js';
import { SkipRateLimit } from '../../core/http/rate-limit.guard.js';
import { QUEUES } from '../../core/queue/jobs.js';
import { QUEUE_BACKEND, type QueueBackend } from '../../core/queue/queue-backend.js';
import { STORAGE, type StoragePort } from '../../core/storage/storage.port.js';

/** How long /readyz waits for each dependency. */
const READY_DEADLINE_MS = 3000;

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
    // Each dependency gets a short deadline, all at once: a probe must answer even when one hangs.
    const probe = (check: Promise<unknown>): Promise<string> => withDeadline(check, READY_DEADLINE_MS).then(() => 'ok', (e: Error) => e.message);
    const [database, storage, queue] = await Promise.all([
      probe(this.dataSource.query('SELECT 1')),
      probe(this.storage.check()),
      probe(this.queues.queue(QUEUES.evaluateCpu).getJobCounts('waiting')),
    ]);
    const checks: Record<string, string> = { database, storage, queue };
    if (Object.values(checks).some((v) => v !== 'ok')) {
      throw new AppError(503, 'not_ready', 'Not ready', Object.entries(checks).map(([field, message]) => ({ field, message })));
    }
    return { status: 'ok', checks };
  }
}
