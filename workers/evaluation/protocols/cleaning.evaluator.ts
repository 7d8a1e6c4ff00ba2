import type { CleaningChallengeSpec, CleaningOrder } from '../../../src/modules/protocols/cleaning.protocol.js';
import { accuracy } from '../../trainers/metrics.js';
import { cleaningCheckpoints, cleaningScore, type CurvePoint, labelsAfterFixes } from './cleaning-score.js';
import type { SubmissionEvaluator } from './evaluator.js';

/**
 * cleaning: fix the noisy labels in the submitted order, retrain the fixed model from
 * scratch at every checkpoint, and score the fraction of fixes needed to reach the target
 * accuracy (cleaning-score.ts). The whole accuracy curve is kept with the score.
 */
export const cleaningEvaluator: SubmissionEvaluator<CleaningOrder, CleaningChallengeSpec> = {
  async evaluate({ order }, { spec, data, scoring, seed, fit }) {
    const [pool, clean, test] = await Promise.all([data.get('pool'), data.get('clean'), data.get(scoring)]);
    const { features, labels: noisy, n, d } = pool;
    const curve: CurvePoint[] = [];
    let iterations = 0;
    let trainer;
    for (const fixes of cleaningCheckpoints(n, spec.cleaning.steps)) {
      const result = await fit({
        model: spec.model,
        classes: spec.data.labels.length,
        seed,
        train: { x: features, y: labelsAfterFixes(noisy, clean.labels, order, fixes), n, d },
        predict: { x: test.features, n: test.n },
      });
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
