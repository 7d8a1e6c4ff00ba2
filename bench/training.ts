import { fitLogReg, predictLogReg } from '../workers/trainers/logreg/logreg.js';
import { macroF1 } from '../workers/trainers/metrics.js';
import { seededSelection, takeRows } from '../workers/trainers/testing/datasets.js';
import { runSklearnLogReg, sklearnAvailable, type SklearnResult } from '../workers/trainers/testing/sklearn-reference.js';
import type { LogRegParams } from '../workers/trainers/trainer.js';

export interface BenchTrainingOptions {
  name: string;
  /** pool rows (n × d, row-major) and labels */
  poolX: Float64Array;
  poolY: Int32Array;
  n: number;
  d: number;
  classes: number;
  testX: Float64Array;
  testY: Int32Array;
  testN: number;
  /** rows drawn from the pool (seeded, the same for both trainers) */
  selectionSize: number;
  params: LogRegParams;
  repeats: number;
  /** selection seed (default 0) */
  seed?: number;
}

export interface BenchTrainingResult {
  /** median training time of Sieve's logreg (in this thread, training only) */
  sieveMs: number;
  /** median time of scikit-learn's .fit(), or null without scikit-learn */
  sklearnMs: number | null;
  /** sieveMs / sklearnMs */
  ratio: number | null;
  sieveMacroF1: number;
  sklearnMacroF1: number | null;
  /** L-BFGS iterations of each */
  sieveIterations: number;
  sklearnIterations: number | null;
}

/**
 * Times Sieve's fixed logistic regression against scikit-learn's on one seeded
 * selection of a challenge pool: the median over `repeats` trainings of each, fit
 * only, and the test macro-F1 of each. Sieve: fitLogReg in this thread, after two
 * untimed warm-up fits (JIT; a worker thread trains many times). scikit-learn: around
 * .fit() inside Python (its default threads: OpenBLAS may use every core). The timed
 * fits alternate in rounds (Sieve, scikit-learn, Sieve, ...) so that both meet the
 * same background load; the first fit of each round is untimed on both sides.
 */
export async function benchTraining(opts: BenchTrainingOptions): Promise<BenchTrainingResult> {
  const rows = takeRows({ x: opts.poolX, y: opts.poolY, d: opts.d }, seededSelection(opts.n, opts.selectionSize, opts.seed ?? 0));
  const data = { ...rows, classes: opts.classes };
  const repeats = Math.max(1, Math.floor(opts.repeats));
  const rounds = Math.min(ROUNDS, repeats);
  const withSklearn = await sklearnAvailable();

  for (let warm = 0; warm < 2; warm++) fitLogReg(data, opts.params);
  let model = fitLogReg(data, opts.params);
  const sieveTimes: number[] = [];
  const sklearnTimes: number[] = [];
  let sk: SklearnResult | undefined;
  for (let round = 0; round < rounds; round++) {
    const fits = Math.floor(repeats / rounds) + (round < repeats % rounds ? 1 : 0);
    fitLogReg(data, opts.params); // untimed, like scikit-learn's first fit per process
    for (let r = 0; r < fits; r++) {
      const started = performance.now();
      model = fitLogReg(data, opts.params);
      sieveTimes.push(performance.now() - started);
    }
    if (withSklearn) {
      sk = await runSklearnLogReg({ train: rows, test: { x: opts.testX, n: opts.testN }, params: opts.params, repeats: fits + 1 });
      sklearnTimes.push(...sk.fitMs.slice(1));
    }
  }
  const sieveMs = median(sieveTimes);
  const sklearnMs = sk ? median(sklearnTimes) : null;
  return {
    sieveMs,
    sklearnMs,
    ratio: sklearnMs === null ? null : sieveMs / sklearnMs,
    sieveMacroF1: macroF1(opts.testY, predictLogReg(model, opts.testX, opts.testN)),
    sklearnMacroF1: sk ? macroF1(opts.testY, sk.predictions) : null,
    sieveIterations: model.iterations,
    sklearnIterations: sk ? sk.iterations : null,
  };
}

/** Alternating blocks of timed fits. */
const ROUNDS = 3;

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}
