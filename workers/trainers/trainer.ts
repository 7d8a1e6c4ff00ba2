import type { ModelSpec } from '../../src/modules/challenges/spec-parts.js';
import { fitLogReg, LOGREG_VERSION, predictLogReg } from './logreg/logreg.js';
import type { LbfgsStatus } from './logreg/lbfgs.js';
import { fitMlp, MLP_VERSION, predictMlp } from './mlp/mlp.js';

export type { LogRegParams } from './logreg/logreg.js';

/** Which fixed model produced a result; `version` changes whenever its numbers could. */
export interface TrainerRef {
  name: string;
  version: string;
}

export interface TrainRequest {
  /** The challenge's fixed model: kind and params (its seeds are the caller's loop). */
  model: ModelSpec;
  /** The seed of this training (a seed-invariant model ignores it). */
  seed: number;
  /** size of the challenge's label set; labels are 0..classes-1 */
  classes: number;
  /** n × d features (row-major) and n labels */
  train: { x: Float64Array; y: Int32Array; n: number; d: number };
  /** n × d features of the rows to predict (same d) */
  test: { x: Float64Array; n: number };
}

export type TrainStatus = LbfgsStatus | 'epochs-done';

export interface TrainResult {
  trainer: TrainerRef;
  /** predicted global class index per test row */
  predictions: Int32Array;
  /** optimizer iterations (L-BFGS iterations, or AdamW steps) */
  iterations: number;
  converged: boolean;
  /** for logs: how the optimizer stopped, its cost and the objective it reached */
  diagnostics: { status: TrainStatus; evaluations: number; objective: number; trainMs: number };
}

export const LOGREG_TRAINER: TrainerRef = { name: 'logreg', version: LOGREG_VERSION };
export const MLP_TRAINER: TrainerRef = { name: 'mlp', version: MLP_VERSION };

/**
 * Trains the requested fixed model and predicts the test rows, in the calling thread
 * (synchronous, CPU-bound: call it from a worker thread — see TrainingPool).
 */
export function train(req: TrainRequest): TrainResult {
  const started = performance.now();
  const { model } = req;
  switch (model.kind) {
    case 'logreg': {
      const fitted = fitLogReg({ ...req.train, classes: req.classes }, model.params);
      const trainMs = performance.now() - started;
      return {
        trainer: LOGREG_TRAINER,
        predictions: predictLogReg(fitted, req.test.x, req.test.n),
        iterations: fitted.iterations,
        converged: fitted.converged,
        diagnostics: { status: fitted.status, evaluations: fitted.evaluations, objective: fitted.objective, trainMs },
      };
    }
    case 'mlp': {
      const fitted = fitMlp({ ...req.train, classes: req.classes }, model.params, req.seed);
      const trainMs = performance.now() - started;
      return {
        trainer: MLP_TRAINER,
        predictions: predictMlp(fitted, req.test.x, req.test.n),
        iterations: fitted.iterations,
        converged: true,
        diagnostics: { status: 'epochs-done', evaluations: fitted.iterations, objective: fitted.loss, trainMs },
      };
    }
    case 'cnn':
      throw new Error('the cnn model runs on the PyTorch runtime (ModelTrainer routes it there), not in a TypeScript thread');
    default:
      return unknownTrainer(model);
  }
}

function unknownTrainer(model: never): never {
  throw new Error(`unknown trainer ${JSON.stringify(model)}`);
}
