import { Inject, Injectable } from '@nestjs/common';
import type { Job } from 'bullmq';
import type { Logger } from 'pino';
import { CONFIG, type Config } from '../../src/core/config/config.js';
import { AppError } from '../../src/core/errors/app-error.js';
import { JOBS } from '../../src/core/queue/jobs.js';
import { LOGGER } from '../../src/core/logger/logger.js';
import { STORAGE, type StoragePort } from '../../src/core/storage/storage.port.js';
import { ChallengeDataService } from '../../src/modules/challenges/challenge-data.service.js';
import { ChallengesRepository } from '../../src/modules/challenges/challenges.repository.js';
import { validatorFor } from '../../src/modules/protocols/protocol.js';
import { SubmissionsRepository } from '../../src/modules/submissions/submissions.repository.js';
import { TrainingPool } from '../trainers/training-pool.js';
import { evaluatorFor, type Trained, type TrainingSet } from './protocols/evaluator.js';
import type { Dataset } from '../../src/modules/challenges/dataset.js';

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

    const [pool, test, clean, dev, bytes] = await Promise.all([
      this.data.pool(version),
      this.data.test(version),
      this.data.clean(version),
      this.data.dev(version),
      this.storage.get(submission.fileKey),
    ]);
    let parsed: unknown;
    try {
      parsed = validatorFor(spec).validate(bytes, { spec, pool });
    } catch (e) {
      if (!(e instanceof AppError)) throw e;
      await this.submissions.markFailed(submissionId, 'invalid_submission', e.message, e.details);
      challengeLog.warn({ code: e.code }, 'submission invalid at evaluation');
      return 'failed';
    }

    const deadline = AbortSignal.timeout(this.config.worker.evaluationTimeoutMs);
    // One training predicts the test set and, after it, the dev split.
    const targets = dev ? concatRows(test, dev) : { x: test.features, n: test.n };
    const train = async (set: TrainingSet): Promise<Trained> => {
      const trained = await this.training.run(
        { trainer: spec.model.kind, params: spec.model.params, classes: spec.data.labels.length, train: set, test: targets },
        deadline,
      );
      if (!dev) return trained;
      return { ...trained, predictions: trained.predictions.subarray(0, test.n), devPredictions: trained.predictions.subarray(test.n) };
    };
    let result;
    try {
      result = await evaluatorFor(spec).evaluate(parsed, { spec, pool, test, clean, dev, train });
    } catch (e) {
      if (deadline.aborted) {
        await this.submissions.markFailed(submissionId, 'timeout', `Training did not finish within ${this.config.worker.evaluationTimeoutMs} ms`);
        challengeLog.warn('evaluation timed out');
        return 'failed';
      }
      throw e;
    }
    const metrics = result.metrics;
    const metric = spec.metric.name;
    await this.submissions.recordScore(submission, {
      metric,
      value: metrics[metric],
      metrics,
      details: result.details ?? null,
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

/** The features of `a` then `b` (same columns), as one row-major block. */
function concatRows(a: Dataset, b: Dataset): { x: Float64Array; n: number } {
  const x = new Float64Array((a.n + b.n) * a.d);
  x.set(a.features, 0);
  x.set(b.features, a.n * a.d);
  return { x, n: a.n + b.n };
}
