/**
 * Histograms built from rows the database has already bucketed, rather than from
 * observations in this process: evaluations happen in worker processes, possibly on other
 * machines, and PostgreSQL holds every one of them.
 */

/** One group of rows: how many values of these labels fell in bucket `bucket`, and their sum. */
export interface BucketCount<L extends string> {
  labels: Record<L, string>;
  /** The index of the first bound the values are ≤ to; `bounds.length`: above every bound (only in +Inf). */
  bucket: number;
  count: number;
  sum: number;
}

/** One label set's histogram, as Prometheus exposes it: cumulative counts per bound, then count and sum. */
export interface HistogramSeries<L extends string> {
  labels: Record<L, string>;
  /** `cumulative[i]`: values ≤ bounds[i]. */
  cumulative: number[];
  count: number;
  sum: number;
}

/**
 * The bucket a value falls in, Prometheus' way (`le`: a value equal to a bound counts in
 * that bound's bucket): the number of bounds below it. The SQL in MetricsRepository
 * computes the same; this is its reference.
 */
export function bucketIndex(bounds: readonly number[], value: number): number {
  return bounds.filter((b) => b < value).length;
}

/** Folds bucketed counts into one cumulative histogram per label set, in first-seen order. */
export function buildHistograms<L extends string>(bounds: readonly number[], rows: readonly BucketCount<L>[]): HistogramSeries<L>[] {
  const series = new Map<string, { labels: Record<L, string>; perBucket: number[]; count: number; sum: number }>();
  for (const row of rows) {
    if (!Number.isInteger(row.bucket) || row.bucket < 0 || row.bucket > bounds.length) throw new Error(`bucket ${row.bucket} is outside 0..${bounds.length}`);
    const key = JSON.stringify(Object.entries(row.labels).sort(([a], [b]) => a.localeCompare(b)));
    let s = series.get(key);
    if (!s) {
      s = { labels: row.labels, perBucket: new Array<number>(bounds.length + 1).fill(0), count: 0, sum: 0 };
      series.set(key, s);
    }
    s.perBucket[row.bucket] += row.count;
    s.count += row.count;
    s.sum += row.sum;
  }
  return [...series.values()].map(({ labels, perBucket, count, sum }) => {
    let running = 0;
    const cumulative = bounds.map((_, i) => (running += perBucket[i]));
    return { labels, cumulative, count, sum };
  });
}
