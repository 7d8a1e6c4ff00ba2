import type { ChallengeSpec } from '../../src/modules/challenges/challenge-bundle.schema.js';
import { leaderboardOf, rankingMetric, type UncertaintySpec, uncertaintyOf } from '../../src/modules/challenges/spec-parts.js';
import { bootstrapInterval, type Interval, stratifiedSplit } from '../../src/modules/leaderboards/statistics.js';
import type { ChallengeData } from '../../src/modules/protocols/protocol.js';
import { type Evaluation, mean, sampleStd } from './protocols/evaluator.js';

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
 * The evaluation's metrics, completed where the score is a classification metric over
 * the examples of the scoring split (the server's test split; `sieve score`'s split):
 * - `<metric>_ci_low` and `<metric>_ci_high`, its bootstrap interval (and
 *   `dev_<metric>_ci_*` for the server's dev split);
 * - with `leaderboard.split`, on the test split: `public_<metric>` and `private_<metric>`
 *   (the mean over seeds on each part, `_std` over seeds where there are several) and
 *   their intervals. The public part is what a phase's board shows; the rest is revealed
 *   when the phase closes.
 */
export async function scoreMetrics(spec: ChallengeSpec, data: ChallengeData, scoring: 'test' | 'dev', result: Evaluation, metric: string): Promise<Record<string, number>> {
  const metrics = { ...result.metrics };
  if (!result.predictions || spec.protocol === 'cleaning' || spec.protocol === 'multitask') return metrics;
  const score = rankingMetric(spec);
  const settings = uncertaintyOf(spec);
  const put = (name: string, truth: Int32Array, predictions: readonly Int32Array[]) => {
    const ci = scoreInterval(score, truth, predictions, settings);
    metrics[`${name}_ci_low`] = ci.low;
    metrics[`${name}_ci_high`] = ci.high;
  };
  for (const split of ['test', 'dev'] as const) {
    const predictions = result.predictions[split];
    if (!predictions) continue;
    const truth = (await data.get(split)).labels;
    put(split === scoring ? metric : `${split}_${metric}`, truth, predictions);
    const parts = split === 'test' ? leaderboardOf(spec).split : undefined;
    if (!parts) continue;
    const { public: pub, private: priv } = stratifiedSplit(truth, parts.publicFraction, parts.seed);
    for (const [part, indices] of [['public', pub], ['private', priv]] as const) {
      const partTruth = take(truth, indices);
      const partPredictions = predictions.map((p) => take(p, indices));
      const values = partPredictions.map((p) => score(partTruth, p));
      metrics[`${part}_${metric}`] = mean(values);
      if (values.length > 1) metrics[`${part}_${metric}_std`] = sampleStd(values);
      put(`${part}_${metric}`, partTruth, partPredictions);
    }
  }
  return metrics;
}

function take(values: Int32Array, indices: Int32Array): Int32Array {
  const out = new Int32Array(indices.length);
  for (let i = 0; i < indices.length; i++) out[i] = values[indices[i]];
  return out;
}
