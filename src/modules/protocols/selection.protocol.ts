import type { ErrorDetail } from '../../core/errors/app-error.js';
import { poolRow, readCsvUpload, throwProblems, truncate } from './csv-upload.js';
import type { PublicData, SubmissionValidator } from './protocol.js';

/** What validation needs to know about the pool: which ids exist and their labels. */
export interface PoolIndex {
  rowById: ReadonlyMap<string, number>;
  labels: Int32Array;
  labeled: boolean;
}

export interface SelectionRules {
  labels: readonly string[];
  maxItems: number;
  maxFileBytes: number;
}

/** A valid selection: pool rows and the label to train each one with. */
export interface Selection {
  rows: Int32Array;
  labels: Int32Array;
}

export { MAX_LINE_CHARS } from './csv-upload.js';

/** selection: a CSV of pool ids (with labels when the pool is unlabeled), at most budget.maxItems. */
export const selectionProtocol: SubmissionValidator<Selection> = {
  protocol: 'selection',
  validate(file: Buffer, { spec, pool }: PublicData): Selection {
    if (spec.protocol !== 'selection') throw new Error(`selection validator given a ${spec.protocol} challenge`);
    return validateSelection(file, pool.index, {
      labels: spec.data.labels,
      maxItems: spec.budget.maxItems,
      maxFileBytes: spec.limits.maxFileBytes,
    });
  },
  itemCount: (selection) => selection.rows.length,
};


/**
 * Validates a selection file completely, before anything is stored or queued.
 * Throws an AppError (400 malformed, 413 too large, 422 invalid) whose details name each line.
 */
export function validateSelection(bytes: Buffer, pool: PoolIndex, rules: SelectionRules): Selection {
  const expectedHeader = pool.labeled ? ['id'] : ['id', 'label'];
  const format = `a CSV with the header "${expectedHeader.join(',')}" and one pool id${pool.labeled ? '' : ' and its label'} per line`;

  const hint = pool.labeled ? ' (the pool is labeled, so no label column)' : ' (the pool is unlabeled, so give a label for each id)';
  const records = readCsvUpload(bytes, { maxFileBytes: rules.maxFileBytes, header: expectedHeader, format, headerHint: hint });

  const problems: ErrorDetail[] = [];
  const firstLine = new Map<string, number>();
  const labelIndex = new Map(rules.labels.map((l, i) => [l, i]));
  const rows: number[] = [];
  const labels: number[] = [];
  for (const { record, line } of records) {
    if (record.length !== expectedHeader.length) {
      problems.push({ line, message: `expected ${expectedHeader.length} column(s) (${expectedHeader.join(',')}), got ${record.length}` });
      continue;
    }
    const row = poolRow(record[0], line, pool.rowById, firstLine, problems);
    if (row === undefined) continue;
    let label = pool.labels[row];
    if (!pool.labeled) {
      const given = labelIndex.get(record[1]);
      if (given === undefined) {
        problems.push({ line, message: `label "${truncate(record[1])}" is not one of ${rules.labels.join(', ')}` });
        continue;
      }
      label = given;
    }
    rows.push(row);
    labels.push(label);
  }

  const count = records.length;
  if (count > rules.maxItems) {
    problems.unshift({ message: `the selection has ${count} ids; the budget allows at most ${rules.maxItems}` });
  }
  if (count === 0) {
    problems.push({ message: `the file has a header but no ids; expected ${format}` });
  }
  if (problems.length === 0 && new Set(labels).size < 2) {
    const only = labels.length ? ` (only "${rules.labels[labels[0]]}")` : '';
    problems.push({ message: `the selection covers fewer than 2 classes${only}; the model needs examples of at least 2` });
  }
  throwProblems('invalid_selection', 'The selection is not valid', problems);
  return { rows: Int32Array.from(rows), labels: Int32Array.from(labels) };
}
