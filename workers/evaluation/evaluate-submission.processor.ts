import { Inject, Injectable } from '@nestjs/common';
import type { Job } from 'bullmq';
import type { Logger } from 'pino';
import { CONFIG, type Config } from '../../src/core/config/config.js';
import { AppError } from '../../src/core/errors/app-error.js';
import { JOBS } from '../../src/core/queue/jobs.js';
import { LOGGER } from '../../src/core/logger/logger.js';
import { STORAGE, type StoragePort } from '../../src/core/storage/storage.port.js';
import { ChallengeDataService } from '../../src/modules/challenges/challenge-data.service.js';
import type { ChallengeSpec } from '../../src/modules/challenges/challenge-bundle.schema.js';
import { ChallengesRepository } from '../../src/modules/challenges/challenges.repository.js';
import { takeRows } from '../../src/modules/challenges/dataset.js';
import { validateSelection } from '../../src/modules/protocols/selection.protocol.js';
import { SubmissionsRepository } from '../../src/modules/submissions/submissions.repository.js';
import { computeMetric, type MetricName } from '../trainers/metrics.js';
import { TrainingPool } from '../trainers/training-pool.js';

export type EvaluationOutcome = 'scored' | 'failed' | 'skipped';

/**
 * Trains the challenge's fixed model on one submission and records its score. Idempotent:
 * a finished submission is skipped, and the score is written once per submission and version.
 */
@Injectable()
export class EvaluateSubmissionProcessor {
  constructor(
    private readonly submissions: SubmissionsRepository,
    private readonly challenges: ChallengesRepository,
    private readonly data: ChallengeDataService,
    private readonly training: TrainingPool,
    @Inject(STORAGE) private readonly storage: StoragePort,
    @Inject(CONFIG) private readonly config: Config,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async process(job: Job): Promise<EvaluationOutcome> {
    const { submissionId } = JOBS.evaluateSubmission.payload.parse(job.data);
    const log = this.logger.child({ submissionId, jobId: job.id, attempt: job.attemptsMade + 1 });
    const submission = await this.submissions.markRunning(submissionId);
    if (!submission) {
      log.info('submission already finished or gone; nothing to do');
      return 'skipped';
    }
    const version = await this.challenges.findVersion(submission.challengeId, submission.challengeVersion);
    if (!version) throw new Error(`challenge version ${submission.challengeVersion} of ${submission.challengeId} is missing`);
    const spec = version.spec;
    const challengeLog = log.child({ challenge: spec.slug, version: version.version });
    const started = performance.now();

    const [{ pool, index }, test, bytes] = await Promise.all([this.data.pool(version), this.data.test(version), this.storage.get(submission.fileKey)]);
    let selection;
    try {
      selection = validateSelection(bytes, index, { labels: spec.data.labels, maxItems: spec.budget.maxItems, maxFileBytes: spec.limits.maxFileBytes });
    } catch (e) {
      if (!(e instanceof AppError)) throw e;
      await this.submissions.markFailed(submissionId, 'invalid_submission', e.message, e.details);
      challengeLog.warn({ code: e.code }, 'submission invalid at evaluation');
      return 'failed';
    }
    const train = takeRows(pool, selection.rows);
    train.y.set(selection.labels);

    const deadline = AbortSignal.timeout(this.config.worker.evaluationTimeoutMs);
    let result;
    try {
      result = await this.training.run(
        {
          trainer: 'logreg',
          params: spec.model.params,
          classes: spec.data.labels.length,
          train: { x: train.x, y: train.y, n: train.n, d: pool.d },
          test: { x: test.features, n: test.n },
        },
        deadline,
      );
    } catch (e) {
      if (deadline.aborted) {
        await this.submissions.markFailed(submissionId, 'timeout', `Training did not finish within ${this.config.worker.evaluationTimeoutMs} ms`);
        challengeLog.warn('evaluation timed out');
        return 'failed';
      }
      throw e;
    }
    const metrics = computeMetrics(spec, test.labels, result.predictions);
    const metric = spec.metric.name;
    await this.submissions.recordScore(submission, {
      metric,
      value: metrics[metric],
      metrics,
      trainerName: result.trainer.name,
      trainerVersion: result.trainer.version,
    });
    challengeLog.info(
      { score: metrics[metric], metric, iterations: result.iterations, ms: Math.round(performance.now() - started) },
      'submission scored',
    );
    return 'scored';
  }
}

/** Every metric that applies to the challenge, by name. */
export function computeMetrics(spec: ChallengeSpec, yTrue: Int32Array, yPred: Int32Array): Record<string, number> {
  const names: MetricName[] = ['accuracy', 'macro_f1'];
  const positiveClass = spec.metric.positiveLabel === undefined ? undefined : spec.data.labels.indexOf(spec.metric.positiveLabel);
  if (positiveClass !== undefined) names.push('f1');
  const metrics: Record<string, number> = {};
  for (const name of names) metrics[name] = computeMetric(name, yTrue, yPred, { positiveClass });
  return metrics;
}
