import { Inject, Injectable } from '@nestjs/common';
import type { Job } from 'bullmq';
import type { Logger } from 'pino';
import { JOBS } from '../../src/core/queue/jobs.js';
import { LOGGER } from '../../src/core/logger/logger.js';
import { ChallengesRepository } from '../../src/modules/challenges/challenges.repository.js';
import type { Rescore } from '../../src/modules/rescoring/rescore.entity.js';
import { RescoresRepository } from '../../src/modules/rescoring/rescores.repository.js';
import { SubmissionsRepository } from '../../src/modules/submissions/submissions.repository.js';
import type { EvaluationOutcome } from './evaluate-submission.processor.js';
import { FileScorer } from './file-scorer.js';
import { type Lease, Leases } from './leases.js';

/**
 * Scores a submission again under another challenge version (an organizer's rescore run).
 * The submission keeps its status and original score; the new score row records the
 * version. A file the new version refuses fails this rescore only. Runs under a lease,
 * as an evaluation does (see Leases).
 */
@Injectable()
export class RescoreSubmissionProcessor {
  constructor(
    private readonly rescores: RescoresRepository,
    private readonly submissions: SubmissionsRepository,
    private readonly challenges: ChallengesRepository,
    private readonly scorer: FileScorer,
    private readonly leases: Leases,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async process(job: Job): Promise<EvaluationOutcome> {
    const { rescoreId, requestId } = JOBS.rescoreSubmission.payload.parse(job.data);
    // requestId: the API request that started the rescore run (absent when the reconciler re-added the job).
    const log = this.logger.child({ rescoreId, jobId: job.id, attempt: job.attemptsMade + 1, requestId });
    return this.leases.withRescore(rescoreId, log, (lease) => this.rescore(lease, log));
  }

  private async rescore({ row: rescore, signal }: Lease<Rescore>, log: Logger): Promise<EvaluationOutcome> {
    const submission = await this.submissions.findById(rescore.submissionId);
    const version = await this.challenges.findVersion(rescore.challengeId, rescore.version);
    if (!submission || !version) {
      await this.rescores.markFailed(rescore.id, 'internal', !submission ? 'the submission is gone' : `version ${rescore.version} is gone`);
      return 'failed';
    }
    const runLog = log.child({ submissionId: submission.id, challenge: version.spec.slug, version: version.version });
    const outcome = await this.scorer.score(version, submission.fileKey, undefined, signal);
    if (outcome.kind !== 'scored') {
      const [code, message] = outcome.kind === 'invalid' ? ['invalid_submission', outcome.error.message] : ['timeout', outcome.message];
      await this.rescores.markFailed(rescore.id, code, message);
      runLog.warn({ code }, 'rescore failed');
      return 'failed';
    }
    await this.rescores.recordScore(rescore, submission, outcome.score);
    runLog.info({ score: outcome.score.value, metric: outcome.score.metric }, 'submission rescored');
    return 'scored';
  }
}
