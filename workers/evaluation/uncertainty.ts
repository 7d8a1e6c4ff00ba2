import type { ChallengeSpec } from '../../src/modules/challenges/challenge-bundle.schema.js';
import { leaderboardOf, rankingMetric, uncertaintyOf } from '../../src/modules/challenges/spec-parts.js';
import { intervalOf, resampledScore, stratifiedSplit, take } from '../../src/modules/leaderboards/statistics.js';
import type { ChallengeData } from '../../src/modules/protocols/protocol.js';
import type { ResampledScores } from '../../src/modules/submissions/score-predictions.entity.js';
import { type Evaluation, mean, sampleStd } from './protocols/evaluator.js';

/**
 * The evaluation's metrics, completed where the score is a classification metric over
 * the examples of the scoring split (the server's test split; `sieve score`'s split):
 * - `<metric>_ci_low` and `<metric>_ci_high`, its percentile bootstrap interval (and
 *   `dev_<metric>_ci_*` for the server's dev split);
 * - with `leaderboard.split`, on the test split: `public_<metric>` and `private_<metric>`
 *   (the mean over seeds on each part, `_std` over seeds where there are several) and
 *   their intervals. The public part is what a phase's board shows; the rest is revealed
 *   when the phase closes.
 * Also returns the test split's resampled scores (whole, public, private), which the
 * board compares entries with.
 */
export async function scoreMetrics(
  spec: ChallengeSpec,
  data: ChallengeData,
  scoring: 'test' | 'dev',
  result: Evaluation,
  metric: string,
): Promise<{ metrics: Record<string, number>; resampled?: ResampledScores }> {
  const metrics = { ...result.metrics };
  if (!result.predictions || spec.protocol === 'cleaning' || spec.protocol === 'multitask') return { metrics };
  const score = rankingMetric(spec);
  const settings = uncertaintyOf(spec);
  const resampled: ResampledScores = { resamples: settings.resamples, seed: settings.seed };
  const put = (name: string, truth: Int32Array, predictions: readonly Int32Array[]) => {
    const values = resampledScore(score, truth, predictions, settings);
    const ci = intervalOf(values, settings.level);
    metrics[`${name}_ci_low`] = ci.low;
    metrics[`${name}_ci_high`] = ci.high;
    return values;
  };
  for (const split of ['test', 'dev'] as const) {
    const predictions = result.predictions[split];
    if (!predictions) continue;
    const truth = (await data.get(split)).labels;
    const whole = put(split === scoring ? metric : `${split}_${metric}`, truth, predictions);
    if (split !== 'test') continue;
    resampled.all = whole;
    const parts = leaderboardOf(spec).split;
    if (!parts) continue;
    const { public: pub, private: priv } = stratifiedSplit(truth, parts.publicFraction, parts.seed);
    for (const [part, indices] of [['public', pub], ['private', priv]] as const) {
      const partTruth = take(truth, indices);
      const partPredictions = predictions.map((p) => take(p, indices));
      const values = partPredictions.map((p) => score(partTruth, p));
      metrics[`${part}_${metric}`] = mean(values);
      if (values.length > 1) metrics[`${part}_${metric}_std`] = sampleStd(values);
      resampled[part] = put(`${part}_${metric}`, partTruth, partPredictions);
    }
  }
  return { metrics, resampled };
}
