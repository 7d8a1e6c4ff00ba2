import type { Dataset } from '../challenges/dataset.js';
import { fileSummary } from './protocol.js';

/** The public facts of a pool-based challenge (selection, cleaning), as stored since v1. */
export type PoolSummary = {
  poolRows: number;
  testRows: number;
  features: number;
  poolLabeled: boolean;
  poolClassCounts: Record<string, number>;
  /** Rows of the public dev split, when there is one. */
  devRows?: number;
};

export function poolSummary(pool: Dataset, test: Dataset, labels: readonly string[], dev?: Dataset): PoolSummary {
  const facts = fileSummary(pool, labels);
  return { poolRows: pool.n, testRows: test.n, features: pool.d, poolLabeled: pool.labeled, poolClassCounts: facts.classCounts, devRows: dev?.n };
}

/** The `data` part of a pool-based challenge's page. */
export function describePool(summary: PoolSummary) {
  return {
    poolRows: summary.poolRows,
    testRows: summary.testRows,
    features: summary.features,
    poolLabeled: summary.poolLabeled,
    poolClassCounts: summary.poolClassCounts,
    devRows: summary.devRows ?? null,
  };
}
