import { z } from 'zod';
import type { ErrorDetail } from '../../core/errors/app-error.js';
import { type Dataset, rowIndex } from '../challenges/dataset.js';
import { checkPositiveLabel, ClassificationMetric, common, DataRef, Labels, describeMetric, rankByMetric } from '../challenges/spec-parts.js';
import { poolRow, readCsvUpload, throwProblems, truncate } from './csv-upload.js';
import { describePool, poolSummary, type PoolSummary } from './pool-summary.js';
import { type DataFile, type ProtocolDefinition, sameFeatures } from './protocol.js';

/** The fields of a selection challenge (or task) besides the common ones. */
export const selectionFields = {
  protocol: z.literal('selection'),
  /** dev: an optional public split, labeled, that the offline scorer evaluates on. */
  data: z.strictObject({ pool: DataRef, test: DataRef, dev: DataRef.optional(), labels: Labels }),
  budget: z.strictObject({ maxItems: z.number().int().positive() }),
  metric: ClassificationMetric,
};

/** selection: pick at most budget.maxItems pool rows; the model trains on them. */
export const SelectionSpec = z.strictObject({ ...common, ...selectionFields }).superRefine(checkPositiveLabel);
export type SelectionChallengeSpec = z.infer<typeof SelectionSpec>;

/** What validation needs to know about the pool: which ids exist and their labels. */
export interface PoolIndex {
  rowById: ReadonlyMap<string, number>;
  labels: Int32Array;
  labeled: boolean;
}

const indexes = new WeakMap<Dataset, PoolIndex>();

/** The id index of a pool, built once per parsed pool. */
export function poolIndex(pool: Dataset): PoolIndex {
  let index = indexes.get(pool);
  if (!index) {
    index = { rowById: rowIndex(pool), labels: pool.labels, labeled: pool.labeled };
    indexes.set(pool, index);
  }
  return index;
}

/** The data files of a pool-based challenge: pool and test, and dev when there is one. */
export function poolFiles(spec: { data: { pool: string; test: string; dev?: string; labels: string[] } }): DataFile[] {
  const { data } = spec;
  const files: DataFile[] = [
    { role: 'pool', ref: data.pool, labels: data.labels, hidden: false },
    { role: 'test', ref: data.test, labels: data.labels, hidden: true },
  ];
  if (data.dev) files.push({ role: 'dev', ref: data.dev, labels: data.labels, hidden: false });
  return files;
}

/** Checks shared by pool-based protocols: a labeled test (and dev), the same features everywhere. */
export function checkPoolData(spec: { data: { pool: string; test: string; dev?: string; labels: string[] } }, data: ReadonlyMap<string, Dataset>) {
  const problems: string[] = [];
  const pool = { ds: data.get('pool')!, ref: spec.data.pool };
  const test = { ds: data.get('test')!, ref: spec.data.test };
  if (!test.ds.labeled) problems.push(`${test.ref}: the test set needs a "label" column`);
  problems.push(...sameFeatures(pool, test));
  const devSet = data.get('dev');
  if (devSet && spec.data.dev) {
    if (!devSet.labeled) problems.push(`${spec.data.dev}: the dev split needs a "label" column`);
    problems.push(...sameFeatures(pool, { ds: devSet, ref: spec.data.dev }));
  }
  return { problems, summary: poolSummary(pool.ds, test.ds, spec.data.labels, devSet) };
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

export const selectionProtocol: ProtocolDefinition<SelectionChallengeSpec, Selection> = {
  dataFiles: poolFiles,
  checkData(spec, data) {
    const checked = checkPoolData(spec, data);
    const pool = data.get('pool')!;
    if (spec.budget.maxItems > pool.n) checked.problems.push(`budget.maxItems (${spec.budget.maxItems}) is larger than the pool (${pool.n} rows)`);
    return checked;
  },
  scoringPart: (spec) => ({ protocol: spec.protocol, labels: spec.data.labels, model: spec.model, metric: spec.metric }),
  ranking: rankByMetric,
  describe(spec, summary) {
    const facts = summary as unknown as PoolSummary;
    return {
      data: describePool(facts),
      budget: spec.budget,
      metric: describeMetric(spec.metric),
      submissionFormat: {
        contentType: 'text/csv',
        field: 'file',
        header: facts.poolLabeled ? ['id'] : ['id', 'label'],
        maxItems: spec.budget.maxItems,
        maxFileBytes: spec.limits.maxFileBytes,
        description: facts.poolLabeled
          ? `A UTF-8 CSV with the header "id" and one pool id per line, at most ${spec.budget.maxItems} ids, no duplicates.`
          : `A UTF-8 CSV with the header "id,label", one pool id and its label per line, at most ${spec.budget.maxItems} rows.`,
      },
    };
  },
  async validate(file, spec, data) {
    return validateSelection(file, poolIndex(await data.get('pool')), {
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
  const firstLine = new Int32Array(pool.labels.length);
  const labelIndex = new Map(rules.labels.map((l, i) => [l, i]));
  const rows = new Int32Array(records.length);
  const labels = new Int32Array(records.length);
  let count = 0;
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
    rows[count] = row;
    labels[count] = label;
    count++;
  }

  if (records.length > rules.maxItems) {
    problems.unshift({ message: `the selection has ${records.length} ids; the budget allows at most ${rules.maxItems}` });
  }
  if (records.length === 0) {
    problems.push({ message: `the file has a header but no ids; expected ${format}` });
  }
  if (problems.length === 0 && !labels.some((l) => l !== labels[0])) {
    const only = count ? ` (only "${rules.labels[labels[0]]}")` : '';
    problems.push({ message: `the selection covers fewer than 2 classes${only}; the model needs examples of at least 2` });
  }
  throwProblems('invalid_selection', 'The selection is not valid', problems);
  return { rows, labels };
}
