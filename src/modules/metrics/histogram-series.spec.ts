import { Histogram, Registry } from 'prom-client';
import { type BucketCount, bucketIndex, buildHistograms } from './histogram-series.js';
import { PrecomputedHistogram } from './precomputed-histogram.js';

const BOUNDS = [1, 5, 30];

describe('histograms from bucketed rows', () => {
  it('puts a value equal to a bound in that bound’s bucket, as Prometheus’ le does', () => {
    expect([0, 0.5, 1, 1.01, 5, 29.9, 30, 31, 1e6].map((v) => bucketIndex(BOUNDS, v))).toEqual([0, 0, 0, 1, 1, 2, 2, 3, 3]);
  });

  it('folds rows into cumulative counts per label set, whatever their order', () => {
    const rows: BucketCount<'challenge' | 'trainer'>[] = [
      { labels: { challenge: 'a', trainer: 'logreg' }, bucket: 2, count: 1, sum: 12 },
      { labels: { challenge: 'b', trainer: 'mlp' }, bucket: 3, count: 2, sum: 100 },
      { labels: { trainer: 'logreg', challenge: 'a' }, bucket: 0, count: 3, sum: 1.5 },
    ];
    expect(buildHistograms(BOUNDS, rows)).toEqual([
      { labels: { challenge: 'a', trainer: 'logreg' }, cumulative: [3, 3, 4], count: 4, sum: 13.5 },
      // Above every bound: only in +Inf (the count).
      { labels: { challenge: 'b', trainer: 'mlp' }, cumulative: [0, 0, 0], count: 2, sum: 100 },
    ]);
    expect(buildHistograms(BOUNDS, [])).toEqual([]);
  });

  it('refuses a bucket index that no bound has', () => {
    expect(() => buildHistograms(BOUNDS, [{ labels: { q: 'x' }, bucket: 4, count: 1, sum: 1 }])).toThrow('outside 0..3');
    expect(() => buildHistograms(BOUNDS, [{ labels: { q: 'x' }, bucket: -1, count: 1, sum: 1 }])).toThrow('outside 0..3');
  });

  it('exposes exactly what prom-client’s own histogram would for the same values', async () => {
    // Binary fractions: sums come out the same whatever order they are added in.
    const values: [string, number][] = [['a', 0.25], ['a', 1], ['a', 4.5], ['b', 30], ['a', 99], ['b', 0.125], ['a', 5]];
    const observed = new Registry();
    const reference = new Histogram({ name: 'x_seconds', help: 'h', labelNames: ['challenge'], buckets: BOUNDS, registers: [observed] });
    for (const [challenge, v] of values) reference.observe({ challenge }, v);

    // What the repository's SQL returns: one row per label set and bucket.
    const grouped = new Map<string, BucketCount<'challenge'>>();
    for (const [challenge, v] of values) {
      const bucket = bucketIndex(BOUNDS, v);
      const row = grouped.get(`${challenge}/${bucket}`) ?? { labels: { challenge }, bucket, count: 0, sum: 0 };
      row.count += 1;
      row.sum += v;
      grouped.set(`${challenge}/${bucket}`, row);
    }
    const built = new Registry();
    const precomputed = new PrecomputedHistogram<'challenge'>({ name: 'x_seconds', help: 'h', labelNames: ['challenge'], buckets: BOUNDS, registers: [built] });
    precomputed.setSeries(buildHistograms(BOUNDS, [...grouped.values()]));

    const lines = async (r: Registry) => (await r.metrics()).split('\n').sort();
    expect(await lines(built)).toEqual(await lines(observed));
    expect((await built.getMetricsAsJSON())[0]).toMatchObject({ name: 'x_seconds', type: 'histogram' });
  });

  it('drops label sets that are no longer given', async () => {
    const r = new Registry();
    const h = new PrecomputedHistogram<'challenge'>({ name: 'y_seconds', help: 'h', labelNames: ['challenge'], buckets: BOUNDS, registers: [r] });
    h.setSeries([{ labels: { challenge: 'gone' }, cumulative: [1, 1, 1], count: 1, sum: 0.5 }]);
    expect(await r.metrics()).toContain('challenge="gone"');
    h.setSeries([]);
    expect(await r.metrics()).not.toContain('gone');
    expect(() => h.setSeries([{ labels: { challenge: 'x' }, cumulative: [1], count: 1, sum: 1 }])).toThrow('1 bucket counts for 3 bounds');
  });
});
