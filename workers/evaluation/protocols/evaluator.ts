import type { ChallengeSpec } from '../../../src/modules/challenges/challenge-bundle.schema.js';
import type { PoolData } from '../../../src/modules/challenges/challenge-data.service.js';
import type { Dataset } from '../../../src/modules/challenges/dataset.js';
import type { ScoreDetails } from '../../../src/modules/submissions/score.entity.js';
import type { TrainerRef, TrainResult } from '../../trainers/trainer.js';
import { cleaningEvaluator } from './cleaning.evaluator.js';
import { selectionEvaluator } from './selection.evaluator.js';

/** Rows to train the fixed model on: row-major features and label indices. */
export interface TrainingSet {
  x: Float64Array;
  y: Int32Array;
  n: number;
  d: number;
}

export interface EvaluationContext {
  spec: ChallengeSpec;
  pool: PoolData;
  /** The hidden test set. */
  test: Dataset;
  /** cleaning: the hidden true labels of the pool, row for row. */
  clean?: Dataset;
  /** The public dev split, when the challenge has one: `train` then predicts it too. */
  dev?: Dataset;
  /**
   * Trains the challenge's fixed model on `set` (off the event loop) and predicts the test
   * set, and with `dev` the dev split from the same model.
   */
  train(set: TrainingSet): Promise<Trained>;
}

export interface Trained extends TrainResult {
  /** Predictions for `dev`, when the context has it. */
  devPredictions?: Int32Array;
}

export interface Evaluation {
  /** Every metric computed, by name; the challenge's metric ranks. */
  metrics: Record<string, number>;
  trainer: TrainerRef;
  /** L-BFGS iterations, summed over every training the evaluation ran. */
  iterations: number;
  /** Protocol-specific results kept with the score (the cleaning curve). */
  details?: ScoreDetails;
}

/** The worker side of a protocol: turn a validated submission into training data and a score. */
export interface SubmissionEvaluator<Parsed> {
  readonly protocol: ChallengeSpec['protocol'];
  evaluate(parsed: Parsed, ctx: EvaluationContext): Promise<Evaluation>;
}

const EVALUATORS: { [P in ChallengeSpec['protocol']]: SubmissionEvaluator<never> } = {
  selection: selectionEvaluator,
  cleaning: cleaningEvaluator,
};

export function evaluatorFor(spec: ChallengeSpec): SubmissionEvaluator<unknown> {
  return EVALUATORS[spec.protocol] as SubmissionEvaluator<unknown>;
}
