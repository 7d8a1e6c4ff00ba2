import type { ChallengeSpec } from '../../../src/modules/challenges/challenge-bundle.schema.js';
import type { ModelSpec } from '../../../src/modules/challenges/spec-parts.js';
import { seedsOf } from '../../../src/modules/challenges/spec-parts.js';
import type { Dataset } from '../../../src/modules/challenges/dataset.js';
import type { ChallengeData } from '../../../src/modules/protocols/protocol.js';
import type { ScoreDetails } from '../../../src/modules/submissions/score.entity.js';
import type { TrainerRef, TrainResult } from '../../trainers/trainer.js';

/** Rows to train the fixed model on: row-major features and label indices. */
export interface TrainingSet {
  x: Float64Array;
  y: Int32Array;
  n: number;
  d: number;
}

/** One training of a fixed model: what to fit and which rows to predict. */
export interface FitRequest {
  model: ModelSpec;
  classes: number;
  seed: number;
  train: TrainingSet;
  predict: { x: Float64Array; n: number };
}

export interface EvaluationContext<S = ChallengeSpec> {
  spec: S;
  /** Every data file of the challenge version, hidden ones included, by role. */
  data: ChallengeData;
  /**
   * The role scores are computed on: "test" on the server; "dev" when scoring offline
   * (then the data holds only the public files). Server scores also report `dev_*`
   * metrics from the same model when there is a dev split.
   */
  scoring: 'test' | 'dev';
  /** The model seed of this run (see evaluateSeeds). */
  seed: number;
  /** Trains a fixed model off the event loop (bounded by the evaluation's deadline). */
  fit(request: FitRequest): Promise<TrainResult>;
  /**
   * Many trainings of one model, results in order, each equal to its `fit` alone: one
   * batched run on the PyTorch runtime, the worker threads side by side otherwise.
   */
  fitMany(model: ModelSpec, seed: number, classes: number, jobs: Pick<FitRequest, 'train' | 'predict'>[]): Promise<TrainResult[]>;
}

export interface Evaluation {
  /** Every metric computed, by name; the challenge's ranking metric among them. */
  metrics: Record<string, number>;
  trainer: TrainerRef;
  /** Optimizer iterations, summed over every training the evaluation ran. */
  iterations: number;
  /** Protocol-specific results kept with the score (the cleaning curve, per-task scores). */
  details?: ScoreDetails;
  /**
   * The scored model's predictions by split (the scoring split, and dev on the server),
   * one array per seed, where the score is a classification metric over the split's
   * examples (for the bootstrap interval). Never shown to anyone.
   */
  predictions?: SplitPredictions;
}

export type SplitPredictions = Partial<Record<'test' | 'dev', Int32Array[]>>;

/** The worker side of a protocol: turn a validated submission into trainings and a score. */
export interface SubmissionEvaluator<Parsed, S = ChallengeSpec> {
  evaluate(parsed: Parsed, ctx: EvaluationContext<S>): Promise<Evaluation>;
  /** It runs evaluateSeeds itself, on its parts (a multi-task challenge, per task): call it once. */
  readonly seedsInside?: boolean;
}

/**
 * Runs the evaluation once per model seed and reports every metric's mean over the seeds
 * (the ranking score), `<metric>_std` (sample standard deviation) and each seed's metrics
 * and details in details.seeds. A seed-invariant model (logreg) runs once and reports no
 * spread.
 */
export async function evaluateSeeds<Parsed, S extends { model: ModelSpec }>(
  evaluator: SubmissionEvaluator<Parsed, S>,
  parsed: Parsed,
  ctx: Omit<EvaluationContext<S>, 'seed'>,
  /** Hears of each run before it trains: the run (1-based), how many, its seed. */
  onRun: (step: number, steps: number, seed: number) => void = () => undefined,
): Promise<Evaluation> {
  if (evaluator.seedsInside) {
    onRun(1, 1, 0);
    return evaluator.evaluate(parsed, { ...ctx, seed: 0 });
  }
  const { seeds, invariant } = seedsOf(ctx.spec.model);
  const runs: Evaluation[] = [];
  for (const [i, seed] of seeds.entries()) {
    onRun(i + 1, seeds.length, seed);
    runs.push(await evaluator.evaluate(parsed, { ...ctx, seed }));
  }
  if (invariant || runs.length === 1) return runs[0];
  const metrics: Record<string, number> = {};
  for (const name of Object.keys(runs[0].metrics)) {
    const values = runs.map((r) => r.metrics[name]);
    metrics[name] = mean(values);
    metrics[`${name}_std`] = sampleStd(values);
  }
  return {
    metrics,
    trainer: runs[0].trainer,
    iterations: runs.reduce((s, r) => s + r.iterations, 0),
    ...(runs.every((r) => r.predictions) ? { predictions: mergePredictions(runs.map((r) => r.predictions!)) } : {}),
    details: { seeds: runs.map((r, i) => ({ seed: seeds[i], metrics: r.metrics, ...(r.details ? { details: r.details } : {}) })) },
  };
}

/** Each split's predictions of every run, in seed order. */
function mergePredictions(runs: SplitPredictions[]): SplitPredictions {
  const merged: SplitPredictions = {};
  for (const split of ['test', 'dev'] as const) {
    if (runs.every((r) => r[split])) merged[split] = runs.flatMap((r) => r[split]!);
  }
  return merged;
}

export function mean(values: number[]): number {
  let sum = 0;
  for (const v of values) sum += v;
  return sum / values.length;
}

export function sampleStd(values: number[]): number {
  const m = mean(values);
  let sum = 0;
  for (const v of values) sum += (v - m) * (v - m);
  return Math.sqrt(sum / (values.length - 1));
}

/** The features of every dataset in order (same columns), as one row-major block. */
export function stackRows(parts: readonly Dataset[]): { x: Float64Array; n: number } {
  if (parts.length === 1) return { x: parts[0].features, n: parts[0].n };
  const n = parts.reduce((sum, p) => sum + p.n, 0);
  const x = new Float64Array(n * parts[0].d);
  let at = 0;
  for (const p of parts) {
    x.set(p.features, at);
    at += p.features.length;
  }
  return { x, n };
}
