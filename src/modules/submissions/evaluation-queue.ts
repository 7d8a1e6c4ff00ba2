import { Inject, Injectable } from '@nestjs/common';
import { CONFIG, type Config } from '../../core/config/config.js';
import { currentRequestId } from '../../core/logger/request-context.js';
import { evaluationJobId, JOBS, QUEUES, type QueueName, rescoreJobId } from '../../core/queue/jobs.js';
import { defaultJobOptions, QUEUE_BACKEND, type QueueBackend } from '../../core/queue/queue-backend.js';

/** What a job is for: a submission's evaluation, or a rescore of one under another version. */
export type JobKind = 'evaluate' | 'rescore';

const KINDS = {
  evaluate: { job: JOBS.evaluateSubmission, id: evaluationJobId, data: (id: string) => ({ submissionId: id }) },
  rescore: { job: JOBS.rescoreSubmission, id: rescoreJobId, data: (id: string) => ({ rescoreId: id }) },
} as const;

/** Producer side of the evaluation jobs. A job carries one id only (a submission's or a rescore's). */
@Injectable()
export class EvaluationQueue {
  constructor(
    @Inject(QUEUE_BACKEND) private readonly backend: QueueBackend,
    @Inject(CONFIG) private readonly config: Config,
  ) {}

  async enqueue(id: string, queueName: QueueName = QUEUES.evaluateCpu, kind: JobKind = 'evaluate'): Promise<void> {
    const k = KINDS[kind];
    // Added while serving a request (a submission, a rescore run): the job carries its id for the worker's log lines.
    const requestId = currentRequestId();
    const data = k.job.payload.parse({ ...k.data(id), ...(requestId === undefined ? {} : { requestId }) });
    await this.backend.queue(queueName).add(k.job.name, data, { ...defaultJobOptions(this.config), jobId: k.id(id) });
  }

  /** The job's state, or 'missing' when the queue has no such job (e.g. after a Redis flush). */
  async jobState(id: string, queueName: QueueName = QUEUES.evaluateCpu, kind: JobKind = 'evaluate'): Promise<string> {
    const job = await this.backend.queue(queueName).getJob(KINDS[kind].id(id));
    return job ? await job.getState() : 'missing';
  }

  /** Puts a fresh job in place of a finished or missing one. */
  async requeue(id: string, queueName: QueueName = QUEUES.evaluateCpu, kind: JobKind = 'evaluate'): Promise<void> {
    const job = await this.backend.queue(queueName).getJob(KINDS[kind].id(id));
    if (job) await job.remove().catch(() => undefined);
    await this.enqueue(id, queueName, kind);
  }
}
