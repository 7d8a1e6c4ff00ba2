import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'pino';
import { CONFIG, type Config } from '../../src/core/config/config.js';
import { LOGGER } from '../../src/core/logger/logger.js';
import type { Submission } from '../../src/modules/submissions/submission.entity.js';
import { SubmissionsRepository } from '../../src/modules/submissions/submissions.repository.js';
import { Heartbeat } from './heartbeat.js';
import { Periodic } from './periodic.js';

/** Why an evaluation was abandoned: its lease lapsed and the submission may be another worker's now. */
export class LeaseLost extends Error {
  constructor(readonly submissionId: string) {
    super(`the lease on submission ${submissionId} lapsed; another worker may have taken it`);
    this.name = 'LeaseLost';
  }
}

export interface Lease {
  submission: Submission;
  /** Aborted when the lease is lost: stop working on it, its result is not ours to write. */
  signal: AbortSignal;
}

/**
 * The leases this worker holds on running submissions. Taking one marks the submission
 * running for EVALUATION_LEASE_MS on this worker's behalf; the lease is renewed with every
 * heartbeat (WORKER_HEARTBEAT_MS) while the evaluation runs. A worker that dies stops
 * renewing: once its leases lapse, the reconciler puts those submissions back in the queue
 * (or fails them as `internal` when their attempts are used up). A renewal that finds a
 * lease gone aborts that evaluation, so two workers never go on with one submission long.
 */
@Injectable()
export class Leases {
  private readonly held = new Map<string, AbortController>();
  private readonly periodic: Periodic;

  constructor(
    private readonly submissions: SubmissionsRepository,
    private readonly heartbeat: Heartbeat,
    @Inject(CONFIG) private readonly config: Config,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {
    this.periodic = new Periodic(() => this.renew(), config.worker.heartbeatMs, (err) => this.logger.warn({ err }, 'could not renew the leases; will retry'));
  }

  get owner(): string {
    return this.heartbeat.id;
  }

  start(): void {
    this.periodic.start();
  }

  stop(): Promise<void> {
    return this.periodic.stop();
  }

  /**
   * Marks the submission running under a fresh lease; null when it is finished, gone,
   * another worker's, or out of attempts (JOB_ATTEMPTS; the reconciler fails it as `internal`).
   */
  async take(submissionId: string): Promise<Lease | null> {
    const submission = await this.submissions.markRunning(submissionId, this.owner, this.config.worker.leaseMs, this.config.worker.attempts);
    if (!submission) return null;
    this.held.get(submissionId)?.abort(new LeaseLost(submissionId));
    const controller = new AbortController();
    this.held.set(submissionId, controller);
    return { submission, signal: controller.signal };
  }

  /** Done with it (the submission is finished, or handed back to the queue). */
  release(submissionId: string): void {
    this.held.delete(submissionId);
  }

  /** Lets every lease still held lapse now, so that another worker takes those submissions at once (a shutdown past its deadline). */
  async expireAll(): Promise<void> {
    const ids = [...this.held.keys()];
    this.held.clear();
    await this.submissions.expireLeases(ids, this.owner);
    if (ids.length) this.logger.warn({ submissionIds: ids }, 'gave up the leases of unfinished evaluations');
  }

  /** One renewal: extends every lease held, and abandons the evaluations whose lease is gone. */
  async renew(): Promise<void> {
    const ids = [...this.held.keys()];
    const kept = await this.submissions.renewLeases(ids, this.owner, this.config.worker.leaseMs);
    for (const id of ids) {
      if (kept.has(id)) continue;
      this.held.get(id)?.abort(new LeaseLost(id));
      this.held.delete(id);
      this.logger.warn({ submissionId: id }, 'lease lost (it lapsed, or the submission finished or was cancelled meanwhile); abandoning the evaluation');
    }
  }
}
