import { gunzipSync } from 'node:zlib';
import { parse } from 'csv-parse/sync';

/** A table of examples: ids, labels (index into the challenge's labels, -1 when unlabeled) and row-major features. */
export interface Dataset {
  ids: string[];
  labels: Int32Array;
  labeled: boolean;
  features: Float64Array;
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
 * Parses a data file: CSV or gzip-compressed CSV with an `id` column, an optional `label`
 * column and every other column a numeric feature.
 */
export function parseDataset(bytes: Buffer, file: string, labels: readonly string[]): Dataset {
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
  const x = new Float64Array(n * d);
  const seen = new Set<string>();
  for (let r = 0; r < n; r++) {
    const row = rows[r + 1];
    const line = r + 2;
    const id = row[idCol];
    if (!id) throw new DatasetError(file, line, 'empty id');
    if (seen.has(id)) throw new DatasetError(file, line, `duplicate id "${id}"`);
    seen.add(id);
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
  return { ids, labels: y, labeled: labelCol >= 0, features: x, n, d, featureNames: featureCols.map((i) => header[i]) };
}

/** The rows of `ds` at `rows`, as a new dense dataset. */
export function takeRows(ds: Dataset, rows: ArrayLike<number>): { x: Float64Array; y: Int32Array; n: number } {
  const n = rows.length;
  const x = new Float64Array(n * ds.d);
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const r = rows[i];
    x.set(ds.features.subarray(r * ds.d, (r + 1) * ds.d), i * ds.d);
    y[i] = ds.labels[r];
  }
  return { x, y, n };
}
