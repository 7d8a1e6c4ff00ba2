import type { CleaningOrder } from '../../../src/modules/protocols/cleaning.protocol.js';
import { accuracy } from '../../trainers/metrics.js';
import { cleaningCheckpoints, cleaningScore, type CurvePoint, labelsAfterFixes } from './cleaning-score.js';
import type { SubmissionEvaluator } from './evaluator.js';

/**
 * cleaning: fix the noisy labels in the submitted order, retrain the fixed model from
 * scratch at every checkpoint, and score the fraction of fixes needed to reach the target
 * accuracy (cleaning-score.ts). The whole accuracy curve is kept with the score.
 */
export const cleaningEvaluator: SubmissionEvaluator<CleaningOrder> = {
  protocol: 'cleaning',
  async evaluate({ order }, { spec, pool, test, clean, train }) {
    if (spec.protocol !== 'cleaning') throw new Error(`cleaning evaluator given a ${spec.protocol} challenge`);
    if (!clean) throw new Error(`challenge ${spec.slug} has no clean labels stored`);
    const { features, labels: noisy, n, d } = pool.pool;
    const curve: CurvePoint[] = [];
    let iterations = 0;
    let trainer;
    for (const fixes of cleaningCheckpoints(n, spec.cleaning.steps)) {
      const result = await train({ x: features, y: labelsAfterFixes(noisy, clean.labels, order, fixes), n, d });
      curve.push({ fixes, fraction: fixes / n, accuracy: accuracy(test.labels, result.predictions) });
      iterations += result.iterations;
      trainer = result.trainer;
    }
    const { score, target } = cleaningScore(curve, spec.cleaning.targetRatio);
    return {
      metrics: {
        fraction_of_fixes: score,
        target_accuracy: target,
        noisy_accuracy: curve[0].accuracy,
        clean_accuracy: curve[curve.length - 1].accuracy,
      },
      trainer: trainer!,
      iterations,
      details: { curve },
    };
  },
};
