import type { CleaningChallengeSpec, CleaningOrder } from '../../../src/modules/protocols/cleaning.protocol.js';
import { accuracy } from '../../../src/core/metrics/classification.js';
import { cleaningCheckpoints, cleaningScore, type CurvePoint, labelsAfterFixes } from './cleaning-score.js';
import type { SubmissionEvaluator } from './evaluator.js';

/**
 * cleaning: fix the noisy labels in the submitted order, retrain the fixed model from
 * scratch at every checkpoint, and score the fraction of fixes needed to reach the target
 * accuracy (cleaning-score.ts). The whole accuracy curve is kept with the score.
 */
export const cleaningEvaluator: SubmissionEvaluator<CleaningOrder, CleaningChallengeSpec> = {
  async evaluate({ order }, { spec, data, scoring, seed, fitMany }) {
    const [pool, clean, test] = await Promise.all([data.get('pool'), data.get('clean'), data.get(scoring)]);
    const { features, labels: noisy, n, d } = pool;
    const checkpoints = cleaningCheckpoints(n, spec.cleaning.steps);
    // Every checkpoint's training at once: one batched run on the PyTorch runtime.
    const results = await fitMany(
      spec.model,
      seed,
      spec.data.labels.length,
      checkpoints.map((fixes) => ({
        train: { x: features, y: labelsAfterFixes(noisy, clean.labels, order, fixes), n, d },
        predict: { x: test.features, n: test.n },
      })),
    );
    const curve: CurvePoint[] = checkpoints.map((fixes, i) => ({ fixes, fraction: fixes / n, accuracy: accuracy(test.labels, results[i].predictions) }));
    const iterations = results.reduce((sum, r) => sum + r.iterations, 0);
    const trainer = results[0].trainer;
    const { score, target } = cleaningScore(curve, spec.cleaning.targetRatio);
    return {
      metrics: {
        fraction_of_fixes: score,
        target_accuracy: target,
        noisy_accuracy: curve[0].accuracy,
        clean_accuracy: curve[curve.length - 1].accuracy,
      },
      trainer,
      iterations,
      details: { curve },
    };
  },
};
