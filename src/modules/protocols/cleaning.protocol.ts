import type { ErrorDetail } from '../../core/errors/app-error.js';
import { poolRow, readCsvUpload, throwProblems, truncate } from './csv-upload.js';
import type { PoolIndex } from './selection.protocol.js';
import type { PublicData, SubmissionValidator } from './protocol.js';

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
  const firstLine = new Map<string, number>();
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
    const missing = [...pool.rowById.keys()].filter((id) => !firstLine.has(id));
    const examples = missing.slice(0, 5).map((id) => `"${truncate(id)}"`).join(', ');
    problems.push({ message: `${missing.length} of the ${n} pool ids are missing (e.g. ${examples}); list every id exactly once` });
  }
  throwProblems('invalid_order', 'The cleaning order is not valid', problems);
  return { order: Int32Array.from(order) };
}

/** cleaning: an ordering of all noisy training ids; see workers/evaluation/protocols/cleaning-score.ts. */
export const cleaningProtocol: SubmissionValidator<CleaningOrder> = {
  protocol: 'cleaning',
  validate(file: Buffer, { spec, pool }: PublicData): CleaningOrder {
    if (spec.protocol !== 'cleaning') throw new Error(`cleaning validator given a ${spec.protocol} challenge`);
    return validateCleaningOrder(file, pool.index, spec.limits.maxFileBytes);
  },
  itemCount: (parsed) => parsed.order.length,
};
