import { setMaxListeners } from 'node:events';
import { Inject, Injectable } from '@nestjs/common';
import { CONFIG, type Config } from '../../src/core/config/config.js';
import { AppError } from '../../src/core/errors/app-error.js';
import { STORAGE, type StoragePort } from '../../src/core/storage/storage.port.js';
import { ChallengeDataService } from '../../src/modules/challenges/challenge-data.service.js';
import type { ChallengeVersion } from '../../src/modules/challenges/challenge-version.entity.js';
import { protocolFor } from '../../src/modules/protocols/registry.js';
import type { NewScore } from '../../src/modules/submissions/submissions.repository.js';
import { ModelTrainer } from '../trainers/model-trainer.js';
import { evaluateSeeds, type EvaluationContext, type FitRequest } from './protocols/evaluator.js';
import { evaluatorFor } from './protocols/registry.js';
import { scoreMetrics } from './uncertainty.js';
import { type Progress, progressOf } from '../../src/modules/submissions/submission-events.js';

export type FileScore =
  | { kind: 'scored'; score: NewScore; iterations: number }
  /** The file does not pass the version's validation (the participant's doing). */
  | { kind: 'invalid'; error: AppError }
  /** Training ran past EVALUATION_TIMEOUT_MS (ours). */
  | { kind: 'timeout'; message: string };

/**
 * Scores a stored submission file under one challenge version: validates it as that
 * version's protocol does, trains the fixed model (bounded by the evaluation time limit)
 * and computes every metric, its interval and its public/private parts. Any other error
 * is an infrastructure failure and is thrown (the job is retried).
 */
@Injectable()
export class FileScorer {
  constructor(
    private readonly data: ChallengeDataService,
    private readonly trainer: ModelTrainer,
    @Inject(STORAGE) private readonly storage: StoragePort,
    @Inject(CONFIG) private readonly config: Config,
  ) {}

  /**
   * `progress` hears of each stage: validating, each training run (a seed), evaluating.
   * Aborting `signal` stops the training (the evaluation's lease was lost): its reason is thrown.
   */
  async score(version: ChallengeVersion, fileKey: string, progress: (p: Progress) => void = () => undefined, signal?: AbortSignal): Promise<FileScore> {
    const { spec } = version;
    const protocol = protocolFor(spec);
    const data = this.data.files(version);
    let parsed: unknown;
    progress(progressOf('validating'));
    try {
      parsed = await protocol.validate(await this.storage.get(fileKey), spec, data);
    } catch (e) {
      if (e instanceof AppError) return { kind: 'invalid', error: e };
      throw e;
    }
    const limitMs = this.config.worker.evaluationTimeoutMs;
    const timeout = AbortSignal.timeout(limitMs);
    const deadline = signal ? AbortSignal.any([timeout, signal]) : timeout;
    // Every training of the evaluation (a cleaning run's checkpoints: a hundred at once) listens to this one deadline.
    setMaxListeners(0, deadline);
    const fit = (req: FitRequest) => this.trainer.fit(req, deadline);
    const fitMany: EvaluationContext['fitMany'] = (model, seed, classes, jobs) => this.trainer.fitMany(model, seed, classes, jobs, deadline);
    let result;
    try {
      result = await evaluateSeeds(evaluatorFor(spec), parsed, { spec, data, scoring: 'test', fit, fitMany }, (step, steps, seed) => progress(progressOf('training', step, steps, seed)));
    } catch (e) {
      if (signal?.aborted) throw signal.reason;
      if (timeout.aborted) return { kind: 'timeout', message: `Training did not finish within ${limitMs} ms` };
      throw e;
    }
    progress(progressOf('evaluating'));
    const { metric } = protocol.ranking(spec);
    const { metrics, resampled } = await scoreMetrics(spec, data, 'test', result, metric);
    return {
      kind: 'scored',
      iterations: result.iterations,
      score: {
        predictions: result.predictions?.test,
        resampled,
        metric,
        value: metrics[metric],
        metrics,
        details: result.details ?? null,
        trainerName: result.trainer.name,
        trainerVersion: result.trainer.version,
      },
    };
  }
}
