import { Inject, Injectable } from '@nestjs/common';
import type { Job } from 'bullmq';
import type { Logger } from 'pino';
import { JOBS } from '../../src/core/queue/jobs.js';
import { LOGGER } from '../../src/core/logger/logger.js';
import { ChallengesRepository } from '../../src/modules/challenges/challenges.repository.js';
import type { Submission } from '../../src/modules/submissions/submission.entity.js';
import { SubmissionsRepository } from '../../src/modules/submissions/submissions.repository.js';
import type { Progress } from '../../src/modules/submissions/submission-events.js';
import { WebhooksRepository } from '../../src/modules/webhooks/webhooks.repository.js';
import { FileScorer } from './file-scorer.js';
import { type Lease, Leases } from './leases.js';

export type EvaluationOutcome = 'scored' | 'failed' | 'skipped';

/**
 * Trains the challenge's fixed model on one submission and records its score, under a
 * lease on it (see Leases). Idempotent: a finished submission is skipped, one another
 * worker holds a live lease on is left to it, and the score is written once per submission
 * and version.
 */
@Injectable()
export class EvaluateSubmissionProcessor {
  constructor(
    private readonly submissions: SubmissionsRepository,
    private readonly challenges: ChallengesRepository,
    private readonly scorer: FileScorer,
    private readonly leases: Leases,
    private readonly webhooks: WebhooksRepository,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async process(job: Job): Promise<EvaluationOutcome> {
    const { submissionId, requestId } = JOBS.evaluateSubmission.payload.parse(job.data);
    // requestId: the API request that submitted it (absent when the reconciler re-added the job).
    const log = this.logger.child({ submissionId, jobId: job.id, attempt: job.attemptsMade + 1, requestId });
    return this.leases.withSubmission(submissionId, log, (lease) => this.evaluate(lease, log));
  }

  private async evaluate({ row: submission, signal }: Lease<Submission>, log: Logger): Promise<EvaluationOutcome> {
    const submissionId = submission.id;
    await this.submissions.announce({ type: 'status', submissionId, status: 'running' });
    // Announced one after another: each NOTIFY may take another pooled connection, and
    // two in flight at once can arrive out of order.
    let announced = Promise.resolve();
    const progress = (p: Progress) => void (announced = announced.then(() => this.submissions.announce({ type: 'progress', submissionId, ...p })));
    const version = await this.challenges.findVersion(submission.challengeId, submission.challengeVersion);
    if (!version) throw new Error(`challenge version ${submission.challengeVersion} of ${submission.challengeId} is missing`);
    const spec = version.spec;
    const challengeLog = log.child({ challenge: spec.slug, version: version.version });
    const started = performance.now();

    const outcome = await this.scorer.score(version, submission.fileKey, progress, signal);
    await announced;
    if (outcome.kind === 'invalid') {
      if (await this.submissions.markFailed(submissionId, 'invalid_submission', outcome.error.message, outcome.error.details)) await this.finished(submissionId, 'failed');
      challengeLog.warn({ code: outcome.error.code }, 'submission invalid at evaluation');
      return 'failed';
    }
    if (outcome.kind === 'timeout') {
      if (await this.submissions.markFailed(submissionId, 'timeout', outcome.message)) await this.finished(submissionId, 'failed');
      challengeLog.warn('evaluation timed out');
      return 'failed';
    }
    const { score } = outcome;
    const written = await this.submissions.recordScore(submission, score);
    if (!written) {
      challengeLog.info('submission finished while it was evaluated (cancelled, or scored by another worker); no score written');
      return 'skipped';
    }
    await this.finished(submissionId, 'scored');
    challengeLog.info(
      { score: score.value, metric: score.metric, iterations: outcome.iterations, ms: Math.round(performance.now() - started) },
      'submission scored',
    );
    return 'scored';
  }

  /** Tells the live status streams, and queues the webhooks' deliveries. */
  private async finished(submissionId: string, status: 'scored' | 'failed'): Promise<void> {
    await this.submissions.announce({ type: 'status', submissionId, status });
    // The score is written: a failure here must not fail the job (a retry would find it finished and skip).
    await this.webhooks.emitSubmission(status === 'scored' ? 'submission.scored' : 'submission.failed', submissionId).catch((err: unknown) => {
      this.logger.error({ err, submissionId }, 'could not queue the webhook deliveries of a finished submission');
    });
  }
}
