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
import { protocolFor } from '../../src/modules/protocols/registry.js';
import { SubmissionsRepository } from '../../src/modules/submissions/submissions.repository.js';
import { ModelTrainer } from '../trainers/model-trainer.js';
import { evaluateSeeds, type EvaluationContext, type FitRequest } from './protocols/evaluator.js';
import { evaluatorFor } from './protocols/registry.js';
import { scoreMetrics } from './uncertainty.js';

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
    private readonly trainer: ModelTrainer,
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

    const protocol = protocolFor(spec);
    const data = this.data.files(version);
    const bytes = await this.storage.get(submission.fileKey);
    let parsed: unknown;
    try {
      parsed = await protocol.validate(bytes, spec, data);
    } catch (e) {
      if (!(e instanceof AppError)) throw e;
      await this.submissions.markFailed(submissionId, 'invalid_submission', e.message, e.details);
      challengeLog.warn({ code: e.code }, 'submission invalid at evaluation');
      return 'failed';
    }

    const deadline = AbortSignal.timeout(this.config.worker.evaluationTimeoutMs);
    const fit = (req: FitRequest) => this.trainer.fit(req, deadline);
    const fitMany: EvaluationContext['fitMany'] = (model, seed, classes, jobs) => this.trainer.fitMany(model, seed, classes, jobs, deadline);
    let result;
    try {
      result = await evaluateSeeds(evaluatorFor(spec), parsed, { spec, data, scoring: 'test', fit, fitMany });
    } catch (e) {
      if (deadline.aborted) {
        await this.submissions.markFailed(submissionId, 'timeout', `Training did not finish within ${this.config.worker.evaluationTimeoutMs} ms`);
        challengeLog.warn('evaluation timed out');
        return 'failed';
      }
      throw e;
    }
    const { metric } = protocol.ranking(spec);
    const metrics = await scoreMetrics(spec, data, 'test', result, metric);
    const written = await this.submissions.recordScore(submission, {
      predictions: result.predictions?.test,
      metric,
      value: metrics[metric],
      metrics,
      details: result.details ?? null,
      trainerName: result.trainer.name,
      trainerVersion: result.trainer.version,
    });
    if (!written) {
      challengeLog.info('submission finished while it was evaluated (cancelled); no score written');
      return 'skipped';
    }
    challengeLog.info(
      { score: metrics[metric], metric, iterations: result.iterations, ms: Math.round(performance.now() - started) },
      'submission scored',
    );
    return 'scored';
  }
}
