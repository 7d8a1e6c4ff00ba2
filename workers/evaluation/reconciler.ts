import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'pino';
import { CONFIG, type Config } from '../../src/core/config/config.js';
import { LOGGER } from '../../src/core/logger/logger.js';
import { EvaluationQueue } from '../../src/modules/submissions/evaluation-queue.js';
import { RescoresRepository } from '../../src/modules/rescoring/rescores.repository.js';
import { SubmissionsRepository } from '../../src/modules/submissions/submissions.repository.js';
import { WebhooksRepository } from '../../src/modules/webhooks/webhooks.repository.js';
import { Periodic } from './periodic.js';

const LIVE_STATES = new Set(['active', 'waiting', 'delayed', 'prioritized', 'waiting-children']);

/**
 * Postgres is the truth, the queue is transport. It looks at every unfinished submission
 * untouched for RECONCILE_GRACE_MS: a queued one without a live job (lost enqueue, Redis
 * flushed) gets a fresh job; a running one whose lease lapsed (its worker died or lost the
 * database) goes back to queued, with a fresh job unless its old one is still live (BullMQ
 * hands that on). A running one under a live lease is left alone, even without a job: its
 * worker is on it. One that has used up its attempts fails as `internal` (never the
 * participant's fault). Rescores are reconciled by their jobs the same way.
 */
@Injectable()
export class Reconciler {
  private readonly periodic: Periodic;

  constructor(
    private readonly submissions: SubmissionsRepository,
    private readonly rescores: RescoresRepository,
    private readonly queue: EvaluationQueue,
    private readonly webhooks: WebhooksRepository,
    @Inject(CONFIG) private readonly config: Config,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {
    this.periodic = new Periodic(() => this.reconcile(), config.worker.reconcileIntervalMs, (err) => this.logger.warn({ err }, 'reconcile pass failed; will retry'));
  }

  start(): void {
    this.periodic.start(true);
  }

  stop(): Promise<void> {
    return this.periodic.stop();
  }

  /** One pass. Returns how many submissions it re-enqueued or failed. */
  async reconcile(): Promise<number> {
    let fixed = 0;
    const stale = await this.submissions.findStale(this.config.worker.reconcileGraceMs, 500);
    for (const s of stale) {
      const state = await this.queue.jobState(s.id, s.queue);
      const live = LIVE_STATES.has(state);
      if (live && s.status === 'queued') continue;
      const log = { submissionId: s.id, status: s.status, jobState: state, attempts: s.attempts };
      if (s.attempts >= this.config.worker.attempts) {
        if (!(await this.submissions.failStale(s, `Evaluation did not complete after ${s.attempts} attempts; this is not counted against you`))) continue;
        await this.submissions.announce({ type: 'status', submissionId: s.id, status: 'failed' });
        await this.webhooks.emitSubmission('submission.failed', s.id);
        this.logger.error(log, 'reconciler: attempts used up, marked failed (internal)');
      } else if (s.status === 'running') {
        // Its lease lapsed (findStale leaves live ones out).
        if (!(await this.submissions.requeueStale(s))) continue; // a worker took it meanwhile
        await this.submissions.announce({ type: 'status', submissionId: s.id, status: 'queued' });
        if (!live) await this.queue.requeue(s.id, s.queue);
        this.logger.warn(log, 'reconciler: the lease of a running evaluation lapsed; back in the queue');
      } else {
        if (!(await this.submissions.touchStale(s))) continue; // a worker took it meanwhile
        await this.queue.requeue(s.id, s.queue);
        this.logger.warn(log, 'reconciler: re-enqueued a submission without a live job');
      }
      fixed++;
    }
    for (const r of await this.rescores.findStale(this.config.worker.reconcileGraceMs, 500)) {
      const state = await this.queue.jobState(r.id, r.queue, 'rescore');
      if (LIVE_STATES.has(state)) continue;
      const log = { rescoreId: r.id, status: r.status, jobState: state, attempts: r.attempts };
      if (r.attempts >= this.config.worker.attempts) {
        await this.rescores.markFailed(r.id, 'internal', `Rescoring did not complete after ${r.attempts} attempts`);
        this.logger.error(log, 'reconciler: rescore attempts used up, marked failed (internal)');
      } else {
        await this.rescores.touch(r.id);
        await this.queue.requeue(r.id, r.queue, 'rescore');
        this.logger.warn(log, 'reconciler: re-enqueued a rescore without a live job');
      }
      fixed++;
    }
    return fixed;
  }
}
