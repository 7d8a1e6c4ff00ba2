import type { DatasetChallengeSpec, UploadedExamples } from '../../../src/modules/protocols/dataset.protocol.js';
import { scaled, trainAndScore } from './challenge-metrics.js';
import type { SubmissionEvaluator } from './evaluator.js';

/** dataset: train once on the uploaded examples (features ÷ dataset.featureScale), score on the test set. */
export const datasetEvaluator: SubmissionEvaluator<UploadedExamples, DatasetChallengeSpec> = {
  async evaluate(examples, ctx) {
    const scale = ctx.spec.dataset.featureScale;
    return trainAndScore(ctx, { x: scaled(examples.x, scale), y: examples.y, n: examples.n, d: examples.d }, scale);
  },
};
