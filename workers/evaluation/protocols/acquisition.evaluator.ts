import { type AcquisitionChallengeSpec, type PurchasePlan, purchasedRows, sellerRole } from '../../../src/modules/protocols/acquisition.protocol.js';
import { trainAndScore } from './challenge-metrics.js';
import type { SubmissionEvaluator } from './evaluator.js';

/**
 * acquisition: draw the rows the plan buys (seeded by challenge, version, seller and
 * count: see drawRows), train once on them, score on the test set.
 */
export const acquisitionEvaluator: SubmissionEvaluator<PurchasePlan, AcquisitionChallengeSpec> = {
  async evaluate(plan, ctx) {
    const set = await purchasedRows(ctx.spec, plan, (name) => ctx.data.get(sellerRole(name)));
    const scored = await trainAndScore(ctx, set);
    return { ...scored, details: { purchase: plan.purchases } };
  },
};
