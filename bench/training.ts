import { fitLogReg, predictLogReg } from '../workers/trainers/logreg/logreg.js';
import { macroF1 } from '../src/core/metrics/classification.js';
import { seededSelection, takeRows } from '../workers/trainers/testing/datasets.js';
import { SklearnSession, sklearnAvailable, type SklearnResult } from '../workers/trainers/testing/sklearn-reference.js';
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
 * .fit() in a Python process that holds the data (its default threads: OpenBLAS may
 * use every core), after one untimed fit. The timed fits alternate one by one (Sieve,
 * scikit-learn, Sieve, ...) so that both meet the same background load, each after
 * the same idle pause.
 */
export async function benchTraining(opts: BenchTrainingOptions): Promise<BenchTrainingResult> {
  const rows = takeRows({ x: opts.poolX, y: opts.poolY, d: opts.d }, seededSelection(opts.n, opts.selectionSize, opts.seed ?? 0));
  const data = { ...rows, classes: opts.classes };
  const repeats = Math.max(1, Math.floor(opts.repeats));
  const session = (await sklearnAvailable())
    ? await SklearnSession.open({ train: rows, test: { x: opts.testX, n: opts.testN }, params: opts.params })
    : undefined;

  const sieveTimes: number[] = [];
  const sklearnTimes: number[] = [];
  for (let warm = 0; warm < 2; warm++) fitLogReg(data, opts.params);
  let model = fitLogReg(data, opts.params);
  let sk: SklearnResult | undefined;
  try {
    await session?.fit();
    for (let r = 0; r < repeats; r++) {
      // OpenBLAS's worker threads spin for a while after scikit-learn's fit: let them
      // fall asleep, and let both fits start from the same idle machine.
      if (session) await sleep(SPIN_DOWN_MS);
      const started = performance.now();
      model = fitLogReg(data, opts.params);
      sieveTimes.push(performance.now() - started);
      if (session) {
        await sleep(SPIN_DOWN_MS);
        sklearnTimes.push(await session.fit());
      }
    }
    sk = await session?.finish();
  } finally {
    if (session && !sk) session.abort();
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

/** How long OpenBLAS threads are given to stop spinning (its default timeout is ~0.1 s). */
const SPIN_DOWN_MS = 200;

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}
