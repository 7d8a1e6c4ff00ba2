import type { ChallengeSpec } from '../../../src/modules/challenges/challenge-bundle.schema.js';
import type { PoolData } from '../../../src/modules/challenges/challenge-data.service.js';
import type { Dataset } from '../../../src/modules/challenges/dataset.js';
import type { TrainerRef, TrainResult } from '../../trainers/trainer.js';
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
  /** Trains the challenge's fixed model on `set` (off the event loop) and predicts the test set. */
  train(set: TrainingSet): Promise<TrainResult>;
}

export interface Evaluation {
  /** Every metric computed, by name; the challenge's metric ranks. */
  metrics: Record<string, number>;
  trainer: TrainerRef;
  iterations: number;
}

/** The worker side of a protocol: turn a validated submission into training data and a score. */
export interface SubmissionEvaluator<Parsed> {
  readonly protocol: ChallengeSpec['protocol'];
  evaluate(parsed: Parsed, ctx: EvaluationContext): Promise<Evaluation>;
}

const EVALUATORS: { [P in ChallengeSpec['protocol']]: SubmissionEvaluator<never> } = {
  selection: selectionEvaluator,
};

export function evaluatorFor(spec: ChallengeSpec): SubmissionEvaluator<unknown> {
  return EVALUATORS[spec.protocol] as SubmissionEvaluator<unknown>;
}
