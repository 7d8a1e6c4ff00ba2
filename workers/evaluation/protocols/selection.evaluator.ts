import { takeRows } from '../../../src/modules/challenges/dataset.js';
import type { Selection, SelectionChallengeSpec } from '../../../src/modules/protocols/selection.protocol.js';
import { trainAndScore } from './challenge-metrics.js';
import type { SubmissionEvaluator } from './evaluator.js';

/**
 * selection: train once on the selected pool rows (with their labels), score on the test
 * set (and, from the same model, on the dev split as dev_* metrics).
 */
export const selectionEvaluator: SubmissionEvaluator<Selection, SelectionChallengeSpec> = {
  async evaluate(selection, ctx) {
    const pool = await ctx.data.get('pool');
    const rows = takeRows(pool, selection.rows);
    rows.y.set(selection.labels);
    return trainAndScore(ctx, { x: rows.x, y: rows.y, n: rows.n, d: pool.d });
  },
};
