import { z } from 'zod';
import type { ErrorDetail } from '../../core/errors/app-error.js';
import { common, DataRef, Labels } from '../challenges/spec-parts.js';
import { poolRow, readCsvUpload, throwProblems, truncate } from './csv-upload.js';
import { describePool, type PoolSummary } from './pool-summary.js';
import type { ProtocolDefinition } from './protocol.js';
import { checkPoolData, poolFiles, poolIndex, type PoolIndex } from './selection.protocol.js';

/**
 * cleaning: the pool is a training set with noisy labels; `clean` (hidden) holds the true
 * labels. A submission orders every pool id; see workers/evaluation/protocols/cleaning-score.ts.
 */
export const cleaningFields = {
  protocol: z.literal('cleaning'),
  data: z.strictObject({ pool: DataRef, clean: DataRef, test: DataRef, labels: Labels }),
  cleaning: z
    .strictObject({
      steps: z.number().int().min(1).max(1000).default(100),
      targetRatio: z.number().gt(0).max(1).default(0.95),
    })
    .prefault({}),
  metric: z.strictObject({ name: z.literal('fraction_of_fixes') }).prefault({ name: 'fraction_of_fixes' }),
};
export const CleaningSpec = z.strictObject({ ...common, ...cleaningFields });
export type CleaningChallengeSpec = z.infer<typeof CleaningSpec>;

/** A valid cleaning order: every pool row exactly once, the first to fix first. */
export interface CleaningOrder {
  order: Int32Array;
}

/**
 * Validates a cleaning submission: a CSV with the header "id" listing every pool id
 * exactly once. Throws an AppError (400/413/422) whose details name lines.
 */
export function validateCleaningOrder(bytes: Buffer, pool: PoolIndex, maxFileBytes: number): CleaningOrder {
  const n = pool.rowById.size;
  const format = `a CSV with the header "id" and each of the ${n} pool ids exactly once, in the order to fix them`;
  const records = readCsvUpload(bytes, { maxFileBytes, header: ['id'], format });
  const problems: ErrorDetail[] = [];
  const firstLine = new Int32Array(n);
  const order: number[] = [];
  for (const { record, line } of records) {
    if (record.length !== 1) {
      problems.push({ line, message: `expected 1 column (id), got ${record.length}` });
      continue;
    }
    const row = poolRow(record[0], line, pool.rowById, firstLine, problems);
    if (row === undefined) continue;
    order.push(row);
  }
  if (problems.length === 0 && order.length !== n) {
    const missing: string[] = [];
    for (const [id, row] of pool.rowById) if (firstLine[row] === 0) missing.push(id);
    const examples = missing.slice(0, 5).map((id) => `"${truncate(id)}"`).join(', ');
    problems.push({ message: `${missing.length} of the ${n} pool ids are missing (e.g. ${examples}); list every id exactly once` });
  }
  throwProblems('invalid_order', 'The cleaning order is not valid', problems);
  return { order: Int32Array.from(order) };
}

/** cleaning: an ordering of all noisy training ids; see workers/evaluation/protocols/cleaning-score.ts. */
export const cleaningProtocol: ProtocolDefinition<CleaningChallengeSpec, CleaningOrder> = {
  dataFiles: (spec) => [...poolFiles(spec), { role: 'clean', ref: spec.data.clean, labels: spec.data.labels, hidden: true }],
  checkData(spec, data) {
    const checked = checkPoolData(spec, data);
    const pool = data.get('pool')!;
    const clean = data.get('clean')!;
    if (!pool.labeled) checked.problems.push(`${spec.data.pool}: the noisy training set needs a "label" column`);
    if (!clean.labeled) checked.problems.push(`${spec.data.clean}: needs a "label" column (the true labels)`);
    const same = clean.n === pool.n && clean.ids.every((id, i) => id === pool.ids[i]);
    if (!same) checked.problems.push(`${spec.data.clean} must list exactly the ids of ${spec.data.pool}, in the same order`);
    return checked;
  },
  scoringPart: (spec) => ({ protocol: spec.protocol, labels: spec.data.labels, model: spec.model, metric: spec.metric, cleaning: spec.cleaning }),
  ranking: () => ({ metric: 'fraction_of_fixes', direction: 'minimize' }),
  describe(spec, summary) {
    const facts = summary as unknown as PoolSummary;
    return {
      data: describePool(facts),
      cleaning: spec.cleaning,
      metric: { name: spec.metric.name, direction: 'minimize' },
      submissionFormat: {
        contentType: 'text/csv',
        field: 'file',
        header: ['id'],
        maxItems: facts.poolRows,
        maxFileBytes: spec.limits.maxFileBytes,
        description: `A UTF-8 CSV with the header "id" and every one of the ${facts.poolRows} pool ids exactly once, the label you would check first on the first line.`,
      },
    };
  },
  async validate(file, spec, data) {
    return validateCleaningOrder(file, poolIndex(await data.get('pool')), spec.limits.maxFileBytes);
  },
  itemCount: (parsed) => parsed.order.length,
};
