import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'pino';
import { CONFIG, type Config } from '../../src/core/config/config.js';
import { LOGGER } from '../../src/core/logger/logger.js';
import { RescoresRepository } from '../../src/modules/rescoring/rescores.repository.js';
import { SubmissionsRepository } from '../../src/modules/submissions/submissions.repository.js';
import { WebhooksRepository } from '../../src/modules/webhooks/webhooks.repository.js';
import { Periodic } from './periodic.js';
import type { Leasable } from '../../src/core/database/leases.js';
import type { QueueName } from '../../src/core/queue/jobs.js';
import { type JobKind, EvaluationQueue } from '../../src/modules/submissions/evaluation-queue.js';

const LIVE_STATES = new Set(['active', 'waiting', 'delayed', 'prioritized', 'waiting-children']);

/**
 * Postgres is the truth, the queue is transport. It looks at every unfinished submission
 * untouched for RECONCILE_GRACE_MS: a queued one without a live job (lost enqueue, Redis
 * flushed) gets a fresh job; a running one whose lease lapsed (its worker died or lost the
 * database) goes back to queued, with a fresh job unless its old one is still live (BullMQ
 * hands that on). A running one under a live lease is left alone, even without a job: its
 * worker is on it. One that has used up its attempts fails as `internal` (never the
 * participant's fault). Rescores are reconciled the same way.
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

  /** One pass. Returns how many submissions and rescores it re-enqueued or failed. */
  async reconcile(): Promise<number> {
    let fixed = 0;
    const graceMs = this.config.worker.reconcileGraceMs;
    for (const s of await this.submissions.findStale(graceMs, 500)) {
      const outcome = await this.reconcileOne(s, 'evaluate', this.submissions, { submissionId: s.id }, `Evaluation did not complete after ${s.attempts} attempts; this is not counted against you`);
      if (outcome === 'failed') {
        await this.submissions.announce({ type: 'status', submissionId: s.id, status: 'failed' });
        await this.webhooks.emitSubmission('submission.failed', s.id);
      } else if (outcome === 'requeued' && s.status === 'running') {
        await this.submissions.announce({ type: 'status', submissionId: s.id, status: 'queued' });
      }
      if (outcome) fixed++;
    }
    for (const r of await this.rescores.findStale(graceMs, 500)) {
      if (await this.reconcileOne(r, 'rescore', this.rescores, { rescoreId: r.id }, `Rescoring did not complete after ${r.attempts} attempts`)) fixed++;
    }
    return fixed;
  }

  /**
   * One stale row: failed as `internal` when its attempts are used up; else a running one
   * (its lease lapsed) goes back to queued, with a new job unless its old one is still live,
   * and a queued one without a live job gets a new one. Null: nothing to do (its job is
   * live, or a worker took it meanwhile).
   */
  private async reconcileOne<T extends Leasable & { queue: QueueName }>(
    row: T,
    kind: JobKind,
    table: StaleMoves<T>,
    ids: Record<string, string>,
    failure: string,
  ): Promise<'failed' | 'requeued' | null> {
    const state = await this.queue.jobState(row.id, row.queue, kind);
    const live = LIVE_STATES.has(state);
    if (live && row.status === 'queued') return null;
    const log = { ...ids, status: row.status, jobState: state, attempts: row.attempts };
    const what = kind === 'evaluate' ? 'a submission' : 'a rescore';
    if (row.attempts >= this.config.worker.attempts) {
      if (!(await table.failStale(row, failure))) return null;
      this.logger.error(log, `reconciler: ${what} used up its attempts; marked failed (internal)`);
      return 'failed';
    }
    if (row.status === 'running') {
      if (!(await table.requeueStale(row))) return null;
      if (!live) await this.queue.requeue(row.id, row.queue, kind);
      this.logger.warn(log, `reconciler: the lease on ${what} lapsed (its worker is gone); back in the queue`);
    } else {
      if (!(await table.touchStale(row))) return null;
      await this.queue.requeue(row.id, row.queue, kind);
      this.logger.warn(log, `reconciler: re-enqueued ${what} without a live job`);
    }
    return 'requeued';
  }
}

/** What the reconciler may do to a stale row, each only while it is as it was found. */
interface StaleMoves<T> {
  failStale(stale: T, message: string): Promise<boolean>;
  requeueStale(stale: T): Promise<boolean>;
  touchStale(stale: T): Promise<boolean>;
}
