import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';

/**
 * Small data helpers for the trainers' tests and benchmarks (not the app's dataset
 * loader, which lives in src/modules/challenges): read a challenge CSV, draw a seeded
 * selection, gather its rows.
 */

export interface LabeledRows {
  ids: string[];
  /** n × d, row-major */
  x: Float64Array;
  y: Int32Array;
  n: number;
  d: number;
}

/** Reads a challenge table (`id,label,f0,…`), gzip-compressed when the name ends in .gz. */
export function readChallengeCsv(path: string): LabeledRows {
  const raw = readFileSync(path);
  const text = (path.endsWith('.gz') ? gunzipSync(raw) : raw).toString('utf8');
  const lines = text.split(/\r?\n/).filter((line) => line.length > 0);
  const header = lines[0]?.split(',') ?? [];
  if (header[0] !== 'id' || header[1] !== 'label' || header.length < 3) {
    throw new Error(`${path}: expected the header id,label,f0,…; got ${lines[0] ?? '(empty file)'}`);
  }
  const d = header.length - 2;
  const n = lines.length - 1;
  const x = new Float64Array(n * d);
  const y = new Int32Array(n);
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    const cells = lines[i + 1].split(',');
    if (cells.length !== d + 2) throw new Error(`${path}:${i + 2}: ${cells.length} cells, expected ${d + 2}`);
    ids.push(cells[0]);
    y[i] = Number(cells[1]);
    for (let j = 0; j < d; j++) x[i * d + j] = Number(cells[j + 2]);
    if (!Number.isInteger(y[i])) throw new Error(`${path}:${i + 2}: label ${cells[1]} is not an integer`);
  }
  return { ids, x, y, n, d };
}

/** mulberry32: a small seeded generator of uint32 values (integer arithmetic only). */
export function seededUint32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
}

/** k distinct row indices out of n (a partial Fisher-Yates shuffle), the same for a seed. */
export function seededSelection(n: number, k: number, seed: number): Int32Array {
  if (!Number.isInteger(k) || k < 0 || k > n) throw new Error(`cannot select ${k} of ${n} rows`);
  const next = seededUint32(seed);
  const order = Int32Array.from({ length: n }, (_, i) => i);
  for (let i = 0; i < k; i++) {
    const j = i + (next() % (n - i));
    const t = order[i];
    order[i] = order[j];
    order[j] = t;
  }
  return order.slice(0, k);
}

/** The rows `idx` of (x, y), in that order. */
export function takeRows(rows: Pick<LabeledRows, 'x' | 'y' | 'd'>, idx: ArrayLike<number>): { x: Float64Array; y: Int32Array; n: number; d: number } {
  const { d } = rows;
  const x = new Float64Array(idx.length * d);
  const y = new Int32Array(idx.length);
  for (let i = 0; i < idx.length; i++) {
    const r = idx[i];
    x.set(rows.x.subarray(r * d, (r + 1) * d), i * d);
    y[i] = rows.y[r];
  }
  return { x, y, n: idx.length, d };
}
