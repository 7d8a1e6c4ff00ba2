import { type ClassificationMetricSpec, type ModelSpec, positiveClassOf, type RoundSpec } from '../../../src/modules/challenges/spec-parts.js';
import { computeMetric, type MetricName } from '../../../src/core/metrics/classification.js';
import { type EvaluationContext, type SplitPredictions, stackRows, type TrainingSet } from './evaluator.js';
import type { Dataset } from '../../../src/modules/challenges/dataset.js';
import { roundRole } from '../../../src/modules/protocols/registry.js';
import type { TrainerRef } from '../../trainers/trainer.js';

interface Classification {
  metric: ClassificationMetricSpec;
  data: { labels: string[] };
}

/** Every metric that applies to the challenge, by name. */
export function computeMetrics(spec: Classification, yTrue: Int32Array, yPred: Int32Array): Record<string, number> {
  const names: MetricName[] = ['accuracy', 'macro_f1'];
  const positiveClass = positiveClassOf(spec);
  if (positiveClass !== undefined) names.push('f1');
  const metrics: Record<string, number> = {};
  for (const name of names) metrics[name] = computeMetric(name, yTrue, yPred, { positiveClass });
  return metrics;
}

/**
 * Trains the challenge's model once on `set` and scores it on the scoring split; on the
 * server the same model also predicts the dev split (metrics `dev_<name>`) and each
 * round's test set (metrics `round.<round>.<name>`). `scale` divides every feature (the
 * training rows' already are) before the model sees it.
 */
export async function trainAndScore(
  ctx: EvaluationContext<Classification & { model: ModelSpec; rounds?: RoundSpec[] }>,
  set: TrainingSet,
  scale = 1,
): Promise<{ metrics: Record<string, number>; trainer: TrainerRef; iterations: number; predictions: SplitPredictions }> {
  const test = await ctx.data.get(ctx.scoring);
  const extra: { prefix: string; data: Dataset }[] = [];
  if (ctx.scoring === 'test') {
    if (ctx.data.has('dev')) extra.push({ prefix: 'dev_', data: await ctx.data.get('dev') });
    for (const round of ctx.spec.rounds ?? []) extra.push({ prefix: `round.${round.name}.`, data: await ctx.data.get(roundRole(round.name)) });
  }
  const targets = stackRows([test, ...extra.map((e) => e.data)]);
  const result = await ctx.fit({
    model: ctx.spec.model,
    classes: ctx.spec.data.labels.length,
    seed: ctx.seed,
    train: set,
    predict: { x: scaled(targets.x, scale), n: targets.n },
  });
  const metrics = computeMetrics(ctx.spec, test.labels, result.predictions.subarray(0, test.n));
  const predictions: SplitPredictions = { [ctx.scoring]: [result.predictions.slice(0, test.n)] };
  let at = test.n;
  for (const { prefix, data } of extra) {
    const part = result.predictions.subarray(at, at + data.n);
    for (const [name, value] of Object.entries(computeMetrics(ctx.spec, data.labels, part))) metrics[`${prefix}${name}`] = value;
    if (prefix === 'dev_') predictions.dev = [part.slice()];
    at += data.n;
  }
  return { metrics, trainer: result.trainer, iterations: result.iterations, predictions };
}

/** x / scale, element by element (x itself when scale is 1). */
export function scaled(x: Float64Array, scale: number): Float64Array {
  if (scale === 1) return x;
  const out = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) out[i] = x[i] / scale;
  return out;
}
