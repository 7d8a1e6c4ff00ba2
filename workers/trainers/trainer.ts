import { fitLogReg, LOGREG_VERSION, predictLogReg, type LogRegParams } from './logreg/logreg.js';
import type { LbfgsStatus } from './logreg/lbfgs.js';

export type { LogRegParams } from './logreg/logreg.js';

/** Which fixed model produced a result; `version` changes whenever its numbers could. */
export interface TrainerRef {
  name: string;
  version: string;
}

export interface TrainRequest {
  trainer: 'logreg';
  params: LogRegParams;
  /** size of the challenge's label set; labels are 0..classes-1 */
  classes: number;
  /** n × d features (row-major) and n labels */
  train: { x: Float64Array; y: Int32Array; n: number; d: number };
  /** n × d features of the rows to predict (same d) */
  test: { x: Float64Array; n: number };
}

export interface TrainResult {
  trainer: TrainerRef;
  /** predicted global class index per test row */
  predictions: Int32Array;
  iterations: number;
  converged: boolean;
  /** for logs: how the optimizer stopped, its cost and the objective it reached */
  diagnostics: { status: LbfgsStatus; evaluations: number; objective: number; trainMs: number };
}

export const LOGREG_TRAINER: TrainerRef = { name: 'logreg', version: LOGREG_VERSION };

/**
 * Trains the requested fixed model and predicts the test rows, in the calling thread
 * (synchronous, CPU-bound: call it from a worker thread — see TrainingPool).
 */
export function train(req: TrainRequest): TrainResult {
  switch (req.trainer) {
    case 'logreg': {
      const started = performance.now();
      const model = fitLogReg({ ...req.train, classes: req.classes }, req.params);
      const trainMs = performance.now() - started;
      return {
        trainer: LOGREG_TRAINER,
        predictions: predictLogReg(model, req.test.x, req.test.n),
        iterations: model.iterations,
        converged: model.converged,
        diagnostics: { status: model.status, evaluations: model.evaluations, objective: model.objective, trainMs },
      };
    }
    default:
      return unknownTrainer(req.trainer);
  }
}

function unknownTrainer(name: never): never {
  throw new Error(`unknown trainer ${String(name)}`);
}
