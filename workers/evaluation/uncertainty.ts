import type { ChallengeSpec } from '../../src/modules/challenges/challenge-bundle.schema.js';
import { type UncertaintySpec, uncertaintyOf } from '../../src/modules/challenges/spec-parts.js';
import { bootstrapInterval, type Interval } from '../../src/modules/leaderboards/statistics.js';
import type { ChallengeData } from '../../src/modules/protocols/protocol.js';
import { rankingMetric } from './protocols/challenge-metrics.js';
import type { Evaluation } from './protocols/evaluator.js';

/**
 * The percentile bootstrap interval of a score over the test examples: each resample
 * draws n examples with replacement (the same draw for every seed) and computes the
 * ranking metric on them for each seed's predictions, then their mean, as the score is.
 * Seeded by the challenge, so the same predictions give the same interval everywhere.
 */
export function scoreInterval(
  metric: (yTrue: Int32Array, yPred: Int32Array) => number,
  truth: Int32Array,
  predictions: readonly Int32Array[],
  settings: UncertaintySpec,
): Interval {
  const n = truth.length;
  for (const p of predictions) if (p.length !== n) throw new Error(`uncertainty: ${p.length} predictions for ${n} test examples`);
  const yTrue = new Int32Array(n);
  const yPred = new Int32Array(n);
  return bootstrapInterval(n, settings, (indices) => {
    for (let i = 0; i < n; i++) yTrue[i] = truth[indices[i]];
    let sum = 0;
    for (const p of predictions) {
      for (let i = 0; i < n; i++) yPred[i] = p[indices[i]];
      sum += metric(yTrue, yPred);
    }
    return sum / predictions.length;
  });
}

/**
 * The evaluation's metrics plus `<metric>_ci_low` and `<metric>_ci_high` where the score
 * is a classification metric over the examples of the scoring split (the server's test
 * split; `sieve score`'s split), and `dev_<metric>_ci_*` for the server's dev split,
 * computed from the run's predictions.
 */
export async function withInterval(spec: ChallengeSpec, data: ChallengeData, scoring: 'test' | 'dev', result: Evaluation, metric: string): Promise<Record<string, number>> {
  const metrics = { ...result.metrics };
  if (!result.predictions || spec.protocol === 'cleaning' || spec.protocol === 'multitask') return metrics;
  for (const split of ['test', 'dev'] as const) {
    const predictions = result.predictions[split];
    if (!predictions) continue;
    const name = split === scoring ? metric : `${split}_${metric}`;
    const ci = scoreInterval(rankingMetric(spec), (await data.get(split)).labels, predictions, uncertaintyOf(spec));
    metrics[`${name}_ci_low`] = ci.low;
    metrics[`${name}_ci_high`] = ci.high;
  }
  return metrics;
}
