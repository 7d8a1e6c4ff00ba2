import { Inject, Injectable } from '@nestjs/common';
import { CONFIG, type Config } from '../../core/config/config.js';
import { evaluationJobId, JOBS, QUEUES, type QueueName } from '../../core/queue/jobs.js';
import { defaultJobOptions, QUEUE_BACKEND, type QueueBackend } from '../../core/queue/queue-backend.js';

/** Producer side of the evaluation job. The job carries the submission id only. */
@Injectable()
export class EvaluationQueue {
  constructor(
    @Inject(QUEUE_BACKEND) private readonly backend: QueueBackend,
    @Inject(CONFIG) private readonly config: Config,
  ) {}

  async enqueue(submissionId: string, queueName: QueueName = QUEUES.evaluateCpu): Promise<void> {
    const data = JOBS.evaluateSubmission.payload.parse({ submissionId });
    await this.backend
      .queue(queueName)
      .add(JOBS.evaluateSubmission.name, data, { ...defaultJobOptions(this.config), jobId: evaluationJobId(submissionId) });
  }

  /** The job's state, or 'missing' when the queue has no such job (e.g. after a Redis flush). */
  async jobState(submissionId: string, queueName: QueueName = QUEUES.evaluateCpu): Promise<string> {
    const job = await this.backend.queue(queueName).getJob(evaluationJobId(submissionId));
    return job ? await job.getState() : 'missing';
  }

  /** Puts a fresh job in place of a finished or missing one. */
  async requeue(submissionId: string, queueName: QueueName = QUEUES.evaluateCpu): Promise<void> {
    const job = await this.backend.queue(queueName).getJob(evaluationJobId(submissionId));
    if (job) await job.remove().catch(() => undefined);
    await this.enqueue(submissionId, queueName);
  }
}
