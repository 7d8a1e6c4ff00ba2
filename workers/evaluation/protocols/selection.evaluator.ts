import { takeRows } from '../../../src/modules/challenges/dataset.js';
import type { Selection } from '../../../src/modules/protocols/selection.protocol.js';
import { computeMetrics } from './challenge-metrics.js';
import type { SubmissionEvaluator } from './evaluator.js';

/**
 * selection: train once on the selected pool rows (with their labels), score on the test
 * set (and, from the same model, on the dev split as dev_* metrics).
 */
export const selectionEvaluator: SubmissionEvaluator<Selection> = {
  protocol: 'selection',
  async evaluate(selection, { spec, pool, test, dev, train }) {
    if (spec.protocol !== 'selection') throw new Error(`selection evaluator given a ${spec.protocol} challenge`);
    const rows = takeRows(pool.pool, selection.rows);
    rows.y.set(selection.labels);
    const result = await train({ x: rows.x, y: rows.y, n: rows.n, d: pool.pool.d });
    const metrics = computeMetrics(spec, test.labels, result.predictions);
    if (dev && result.devPredictions) {
      for (const [name, value] of Object.entries(computeMetrics(spec, dev.labels, result.devPredictions))) metrics[`dev_${name}`] = value;
    }
    return { metrics, trainer: result.trainer, iterations: result.iterations };
  },
};
