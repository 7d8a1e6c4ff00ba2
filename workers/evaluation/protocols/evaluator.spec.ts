import { filesInMemory } from '../../../src/modules/challenges/challenge-data.service.js';
import { ModelSchema, type ModelSpec } from '../../../src/modules/challenges/spec-parts.js';
import { type Evaluation, type EvaluationContext, evaluateSeeds, type SubmissionEvaluator } from './evaluator.js';

type Spec = { model: ModelSpec };

const trainer = { name: 'fake', version: '1' };
/** Each seed's metrics, as a fixed model would score them. */
const BY_SEED: Record<number, Record<string, number>> = {
  0: { accuracy: 0.8, macro_f1: 0.5 },
  1: { accuracy: 0.9, macro_f1: 0.75 },
  2: { accuracy: 0.85, macro_f1: 0.25 },
  7: { accuracy: 0.6, macro_f1: 0.1 },
};

/** A fake evaluator: the metrics of its seed, 10 + seed iterations, and a record of each call. */
function fakeEvaluator(): SubmissionEvaluator<string, Spec> & { calls: { parsed: string; seed: number; scoring: string }[] } {
  const calls: { parsed: string; seed: number; scoring: string }[] = [];
  return {
    calls,
    evaluate(parsed: string, ctx: EvaluationContext<Spec>): Promise<Evaluation> {
      calls.push({ parsed, seed: ctx.seed, scoring: ctx.scoring });
      return Promise.resolve({
        metrics: { ...BY_SEED[ctx.seed] },
        trainer,
        iterations: 10 + ctx.seed,
        details: { purchase: [{ seller: 'a', rows: 1, cost: 2 }] },
      });
    },
  };
}

function contextFor(model: unknown): Omit<EvaluationContext<Spec>, 'seed'> {
  return {
    spec: { model: ModelSchema.parse(model) },
    data: filesInMemory([]),
    scoring: 'test',
    fit: () => Promise.reject(new Error('the fake evaluator trains nothing')),
    fitMany: () => Promise.reject(new Error('the fake evaluator trains nothing')),
  };
}

/** The sample standard deviation (n - 1 in the denominator), written out. */
function sampleStd(values: number[]): number {
  const m = values.reduce((a, b) => a + b, 0) / values.length;
  const squares = values.map((v) => (v - m) ** 2).reduce((a, b) => a + b, 0);
  return Math.sqrt(squares / (values.length - 1));
}

describe('evaluateSeeds', () => {
  it('runs an mlp once per seed and reports the mean, the sample std and each seed in order', async () => {
    const evaluator = fakeEvaluator();
    const result = await evaluateSeeds(evaluator, 'plan', contextFor({ kind: 'mlp', seeds: [0, 1, 2] }));

    expect(evaluator.calls).toEqual([
      { parsed: 'plan', seed: 0, scoring: 'test' },
      { parsed: 'plan', seed: 1, scoring: 'test' },
      { parsed: 'plan', seed: 2, scoring: 'test' },
    ]);
    // accuracy 0.8, 0.9, 0.85: mean 0.85, deviations -0.05, 0.05, 0 → sqrt(0.005 / 2) = 0.05
    // macro_f1 0.5, 0.75, 0.25: mean 0.5, deviations 0, 0.25, -0.25 → sqrt(0.125 / 2) = 0.25
    expect(Object.keys(result.metrics).sort()).toEqual(['accuracy', 'accuracy_std', 'macro_f1', 'macro_f1_std']);
    expect(result.metrics.accuracy).toBeCloseTo(0.85, 12);
    expect(result.metrics.accuracy_std).toBeCloseTo(0.05, 12);
    expect(result.metrics.macro_f1).toBeCloseTo(0.5, 12);
    expect(result.metrics.macro_f1_std).toBeCloseTo(0.25, 12);
    expect(result.metrics.accuracy_std).toBeCloseTo(sampleStd([0.8, 0.9, 0.85]), 12);
    expect(result.iterations).toBe(10 + 11 + 12);
    expect(result.trainer).toEqual(trainer);
    // Each seed keeps its own details (a cleaning curve differs per seed); nothing of one seed is shown as the whole.
    const details = { purchase: [{ seller: 'a', rows: 1, cost: 2 }] };
    expect(result.details?.seeds).toEqual([
      { seed: 0, metrics: { accuracy: 0.8, macro_f1: 0.5 }, details },
      { seed: 1, metrics: { accuracy: 0.9, macro_f1: 0.75 }, details },
      { seed: 2, metrics: { accuracy: 0.85, macro_f1: 0.25 }, details },
    ]);
    expect(result.details?.purchase).toBeUndefined();
  });

  it('keeps the order of the seeds as given', async () => {
    const evaluator = fakeEvaluator();
    const result = await evaluateSeeds(evaluator, 'plan', contextFor({ kind: 'mlp', seeds: [2, 0] }));
    expect(evaluator.calls.map((c) => c.seed)).toEqual([2, 0]);
    expect(result.details?.seeds?.map((s) => s.seed)).toEqual([2, 0]);
    expect(result.metrics.macro_f1_std).toBeCloseTo(sampleStd([0.25, 0.5]), 12);
  });

  it('runs a logreg exactly once and reports no spread', async () => {
    const evaluator = fakeEvaluator();
    const result = await evaluateSeeds(evaluator, 'plan', contextFor({ kind: 'logreg' }));
    expect(evaluator.calls).toHaveLength(1);
    expect(result.metrics).toEqual({ accuracy: 0.8, macro_f1: 0.5 });
    expect(Object.keys(result.metrics).some((k) => k.endsWith('_std'))).toBe(false);
    expect(result.details?.seeds).toBeUndefined();
    expect(result.iterations).toBe(10);
  });

  it('runs an mlp with one seed once, with that seed, and reports no spread', async () => {
    const evaluator = fakeEvaluator();
    const result = await evaluateSeeds(evaluator, 'plan', contextFor({ kind: 'mlp', seeds: [7] }));
    expect(evaluator.calls.map((c) => c.seed)).toEqual([7]);
    expect(result.metrics).toEqual({ accuracy: 0.6, macro_f1: 0.1 });
  });
});
