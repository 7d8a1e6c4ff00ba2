import { setTimeout as sleep } from 'node:timers/promises';
import { Inject, Injectable } from '@nestjs/common';
import type { Job, Worker } from 'bullmq';
import type { Logger } from 'pino';
import { CONFIG, type Config } from '../../src/core/config/config.js';
import { JOBS, type JobName, QUEUES, type QueueName } from '../../src/core/queue/jobs.js';
import { LOGGER } from '../../src/core/logger/logger.js';
import { QUEUE_BACKEND, type QueueBackend } from '../../src/core/queue/queue-backend.js';
import { RescoresRepository } from '../../src/modules/rescoring/rescores.repository.js';
import { SubmissionsRepository } from '../../src/modules/submissions/submissions.repository.js';
import { EvaluateSubmissionProcessor } from './evaluate-submission.processor.js';
import { Leases } from './leases.js';
import { RescoreSubmissionProcessor } from './rescore-submission.processor.js';

type Handler = (job: Job) => Promise<unknown>;

/** Runs a BullMQ worker on each configured queue and routes each job name to its handler. */
@Injectable()
export class EvaluationWorkers {
  private readonly workers: Worker[] = [];
  private readonly handlers: Record<JobName, Handler>;

  constructor(
    private readonly evaluate: EvaluateSubmissionProcessor,
    private readonly rescore: RescoreSubmissionProcessor,
    private readonly submissions: SubmissionsRepository,
    private readonly rescores: RescoresRepository,
    private readonly leases: Leases,
    @Inject(QUEUE_BACKEND) private readonly backend: QueueBackend,
    @Inject(CONFIG) private readonly config: Config,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {
    this.handlers = {
      [JOBS.evaluateSubmission.name]: (job) => this.evaluate.process(job),
      [JOBS.rescoreSubmission.name]: (job) => this.rescore.process(job),
    };
  }

  start(): void {
    this.leases.start();
    for (const queue of this.config.worker.queues) {
      this.assertHandlers(queue);
      const concurrency = this.concurrencyOf(queue);
      const worker = this.backend.worker(queue, (job) => this.dispatch(job), {
        concurrency,
        lockDuration: 30_000,
        stalledInterval: 15_000,
        maxStalledCount: 2,
      });
      worker.on('error', (err) => {
        // A job whose key went with a Redis flush while it ran: its outcome is in PostgreSQL already.
        if (/Missing key for job/.test(err.message)) this.logger.warn({ err, queue }, 'a finished job was no longer in the queue (Redis lost it); its outcome is recorded');
        else this.logger.error({ err, queue }, 'queue worker error');
      });
      worker.on('failed', (job, err) => {
        if (job) void this.onFailed(job, err).catch((e: unknown) => this.logger.error({ err: e }, 'could not record a failure'));
      });
      void worker.run().catch((err: unknown) => this.logger.error({ err, queue }, 'queue worker stopped'));
      this.workers.push(worker);
      this.logger.info({ queue, concurrency, backend: this.backend.kind }, 'serving queue');
    }
  }

  /**
   * Takes no new job and lets the running ones finish, for SHUTDOWN_TIMEOUT_MS at most.
   * Past that, it gives up the leases of the evaluations still running and the process goes
   * with them: a job whose processor stops with the process's connections is retried, one
   * whose lock lapses (30 s) is handed on by BullMQ's stalled check, and the reconciler
   * re-queues what is left; another worker takes the submission at once (its lease has
   * lapsed) and scores it once (one score per submission and version).
   */
  async stop(): Promise<void> {
    const deadlineMs = this.config.shutdownTimeoutMs;
    const timer = new AbortController();
    const finished = await Promise.race([
      Promise.all(this.workers.map((w) => w.close())).then(() => true),
      sleep(deadlineMs, false, { signal: timer.signal }).catch(() => false),
    ]);
    timer.abort();
    await this.leases.stop();
    if (finished) return;
    this.logger.warn({ deadlineMs }, 'evaluations still running at the shutdown deadline; leaving them to another worker');
    await this.leases.expireAll().catch((err: unknown) => this.logger.warn({ err }, 'could not give up the leases; they lapse by themselves'));
  }

  /**
   * GPU work is taken WORKER_GPU_BATCH jobs at a time, so that the submissions of one
   * challenge version waiting together train in one batched run; CPU work as many at once
   * as there are training threads.
   */
  private concurrencyOf(queue: QueueName): number {
    return queue === QUEUES.evaluateGpu ? this.config.worker.gpuBatch : this.config.worker.concurrency;
  }

  /** The worker refuses to boot when a job on one of its queues has no handler. */
  private assertHandlers(queue: QueueName): void {
    for (const job of Object.values(JOBS)) {
      if ((job.queues as readonly string[]).includes(queue) && !this.handlers[job.name]) {
        throw new Error(`job "${job.name}" on queue "${queue}" has no handler`);
      }
    }
  }

  private dispatch(job: Job): Promise<unknown> {
    const handler = this.handlers[job.name as JobName];
    if (!handler) throw new Error(`no handler for job "${job.name}"`);
    return handler(job);
  }

  /** Infrastructure errors are retried with backoff; after the last attempt the submission (or rescore) fails as `internal`. */
  private async onFailed(job: Job, err: Error): Promise<void> {
    const attempts = job.opts.attempts ?? 1;
    const last = job.attemptsMade >= attempts;
    const log = { jobId: job.id, attempt: job.attemptsMade, attempts, err };
    const evaluation = JOBS.evaluateSubmission.payload.safeParse(job.data);
    if (evaluation.success) {
      const { submissionId, requestId } = evaluation.data;
      if (last) {
        await this.submissions.markFailed(submissionId, 'internal', `Evaluation failed after ${job.attemptsMade} attempts on our side; this is not counted against you`);
        this.logger.error({ ...log, submissionId, requestId }, 'evaluation failed for good');
      } else {
        await this.submissions.markRequeued(submissionId);
        this.logger.warn({ ...log, submissionId, requestId }, 'evaluation failed; will retry');
      }
      return;
    }
    const rescore = JOBS.rescoreSubmission.payload.safeParse(job.data);
    if (!rescore.success) return;
    const { rescoreId, requestId } = rescore.data;
    if (last) {
      await this.rescores.markFailed(rescoreId, 'internal', `Rescoring failed after ${job.attemptsMade} attempts: ${err.message}`);
      this.logger.error({ ...log, rescoreId, requestId }, 'rescore failed for good');
    } else {
      await this.rescores.markRequeued(rescoreId);
      this.logger.warn({ ...log, rescoreId, requestId }, 'rescore failed; will retry');
    }
  }
}
