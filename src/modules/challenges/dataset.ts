import { gunzipSync } from 'node:zlib';
import { parse } from 'csv-parse/sync';
import { BINARY_TABLE_EXTENSION, BinaryTableError, isBinaryTable, readBinaryTable } from './binary-table.js';

/**
 * A table of examples: ids, labels (index into the challenge's labels, -1 when unlabeled)
 * and row-major features. Feature memory is a SharedArrayBuffer: a training thread that
 * is sent the features (or rows taken with takeRows) reads the same memory, no copy.
 */
export interface Dataset {
  ids: string[];
  labels: Int32Array;
  labeled: boolean;
  /**
   * The features as float64, what the trainers take. For a float32 binary table this is
   * a widened copy (twice the file's bytes), made on first read and kept: code that needs
   * only some rows should read them with takeRows, which reads `values`.
   */
  readonly features: Float64Array;
  /**
   * The features as held in memory: float64 from CSV, or a binary table's own values (a
   * view of its bytes, float32 or float64). Widening a float32 value to float64 is exact.
   */
  readonly values: Float32Array | Float64Array;
  n: number;
  d: number;
  featureNames: string[];
}

export class DatasetError extends Error {
  constructor(
    readonly file: string,
    readonly line: number | undefined,
    message: string,
  ) {
    super(`${file}${line === undefined ? '' : `, line ${line}`}: ${message}`);
    this.name = 'DatasetError';
  }
}

const GZIP_MAGIC = [0x1f, 0x8b];

export function isGzip(bytes: Buffer): boolean {
  return bytes.length >= 2 && bytes[0] === GZIP_MAGIC[0] && bytes[1] === GZIP_MAGIC[1];
}

/**
 * Parses a data file: a Sieve binary table (binary-table.ts), or CSV or gzip-compressed
 * CSV with an `id` column, an optional `label` column and every other column a numeric
 * feature. The format is told by the bytes; `file` (a name for messages) must not say
 * otherwise when it has a data file's extension.
 */
export function parseDataset(bytes: Buffer, file: string, labels: readonly string[]): Dataset {
  const binary = isBinaryTable(bytes);
  if (!binary && file.endsWith(BINARY_TABLE_EXTENSION)) {
    throw new DatasetError(file, undefined, `not a Sieve binary table (it does not start with "SIEVETBL"); a ${BINARY_TABLE_EXTENSION} file is written as docs/challenge-format.md says`);
  }
  if (binary && /\.csv(\.gz)?$/.test(file)) throw new DatasetError(file, undefined, `this is a Sieve binary table, not CSV: name it ${BINARY_TABLE_EXTENSION}`);
  return binary ? parseBinaryDataset(bytes, file, labels) : parseCsvDataset(bytes, file, labels);
}

function parseBinaryDataset(bytes: Buffer, file: string, labels: readonly string[]): Dataset {
  let table;
  try {
    table = readBinaryTable(bytes);
  } catch (e) {
    if (e instanceof BinaryTableError) throw new DatasetError(file, undefined, e.message);
    throw e;
  }
  const { header, ids, values } = table;
  const n = header.rows;
  const y = new Int32Array(n).fill(-1);
  if (header.labels && table.labelIndices) {
    const labelIndex = new Map(labels.map((l, i) => [l, i]));
    const toChallenge = header.labels.map((name) => {
      const index = labelIndex.get(name);
      if (index === undefined) throw new DatasetError(file, undefined, `the header's label "${name}" is not one of the challenge's labels (${labels.join(', ')})`);
      return index;
    });
    const fileLabels = table.labelIndices;
    for (let r = 0; r < n; r++) y[r] = toChallenge[fileLabels[r]];
  }
  const ds = withValues({ ids, labels: y, labeled: header.labels !== undefined, n, d: header.features.length, featureNames: header.features }, values);
  rowIndexes.set(ds, table.rowById);
  return ds;
}

/** A dataset over `values`; `features` is `values` itself when they are float64, else widened on first read. */
function withValues(parts: Omit<Dataset, 'features' | 'values'>, values: Float32Array | Float64Array): Dataset {
  if (values.BYTES_PER_ELEMENT === 8) return { ...parts, values, features: values as Float64Array };
  let widened: Float64Array | undefined;
  return {
    ...parts,
    values,
    get features() {
      if (!widened) {
        widened = sharedFloat64(values.length);
        widened.set(values);
      }
      return widened;
    },
  };
}

/** A zeroed Float64Array in a SharedArrayBuffer: sent to a worker thread, it is shared, not copied. */
export function sharedFloat64(length: number): Float64Array {
  return new Float64Array(new SharedArrayBuffer(length * Float64Array.BYTES_PER_ELEMENT));
}

const rowIndexes = new WeakMap<Dataset, ReadonlyMap<string, number>>();

/** Each id's row in `ds`: built while parsing (to find duplicate ids), or on first use. */
export function rowIndex(ds: Dataset): ReadonlyMap<string, number> {
  let index = rowIndexes.get(ds);
  if (!index) {
    const rowById = new Map<string, number>();
    for (let row = 0; row < ds.n; row++) rowById.set(ds.ids[row], row);
    rowIndexes.set(ds, (index = rowById));
  }
  return index;
}

function parseCsvDataset(bytes: Buffer, file: string, labels: readonly string[]): Dataset {
  const text = (isGzip(bytes) ? gunzipSync(bytes) : bytes).toString('utf8');
  let rows: string[][];
  try {
    rows = parse(text, { bom: true, skip_empty_lines: true, trim: true, relax_column_count: false });
  } catch (e) {
    const err = e as { lines?: number; message: string };
    throw new DatasetError(file, err.lines, err.message);
  }
  if (rows.length === 0) throw new DatasetError(file, undefined, 'the file is empty');
  const header = rows[0];
  const idCol = header.indexOf('id');
  if (idCol < 0) throw new DatasetError(file, 1, `no "id" column (header: ${header.slice(0, 5).join(',')}...)`);
  const labelCol = header.indexOf('label');
  const featureCols = header.map((_, i) => i).filter((i) => i !== idCol && i !== labelCol);
  const n = rows.length - 1;
  const d = featureCols.length;
  const labelIndex = new Map(labels.map((l, i) => [l, i]));
  const ids: string[] = new Array<string>(n);
  const y = new Int32Array(n).fill(-1);
  const x = sharedFloat64(n * d);
  const rowById = new Map<string, number>();
  for (let r = 0; r < n; r++) {
    const row = rows[r + 1];
    const line = r + 2;
    const id = row[idCol];
    if (!id) throw new DatasetError(file, line, 'empty id');
    if (rowById.has(id)) throw new DatasetError(file, line, `duplicate id "${id}"`);
    rowById.set(id, r);
    ids[r] = id;
    if (labelCol >= 0) {
      const label = labelIndex.get(row[labelCol]);
      if (label === undefined) {
        throw new DatasetError(file, line, `label "${row[labelCol]}" is not one of the challenge's labels (${labels.join(', ')})`);
      }
      y[r] = label;
    }
    for (let j = 0; j < d; j++) {
      const value = Number(row[featureCols[j]]);
      if (!Number.isFinite(value)) {
        throw new DatasetError(file, line, `column "${header[featureCols[j]]}" is not a finite number: "${row[featureCols[j]]}"`);
      }
      x[r * d + j] = value;
    }
  }
  const ds: Dataset = { ids, labels: y, labeled: labelCol >= 0, features: x, values: x, n, d, featureNames: featureCols.map((i) => header[i]) };
  rowIndexes.set(ds, rowById);
  return ds;
}

/**
 * The rows of `ds` at `rows`, as a new dense float64 dataset (features in shared memory,
 * so a training thread gets them without a copy). Reads `values`: a float32 table's
 * rows are widened one by one, never the whole table.
 */
export function takeRows(ds: Dataset, rows: ArrayLike<number>): { x: Float64Array; y: Int32Array; n: number } {
  const n = rows.length;
  const { d, values } = ds;
  const x = sharedFloat64(n * d);
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const r = rows[i];
    x.set(values.subarray(r * d, (r + 1) * d), i * d);
    y[i] = ds.labels[r];
  }
  return { x, y, n };
}
