import { Histogram, type HistogramConfiguration, type MetricType } from 'prom-client';
import type { HistogramSeries } from './histogram-series.js';

type Exported = Awaited<ReturnType<Histogram['get']>>;

/**
 * prom-client's typings declare MetricType as a numeric enum that the package does not
 * export; at run time a metric's type is this string (it becomes `# TYPE … histogram`).
 */
const HISTOGRAM = 'histogram' as unknown as MetricType;

/**
 * A prom-client histogram whose series are set whole from outside (see histogram-series)
 * instead of observed one value at a time; it is exposed like any other histogram
 * (`_bucket{le}`, `_sum`, `_count`). The registry reads `getForPromString` for the text
 * format and `get` for JSON: both answer the series last set.
 */
export class PrecomputedHistogram<L extends string> extends Histogram {
  private readonly bounds: readonly number[];
  private readonly series: { name: string; help: string };
  private precomputed: HistogramSeries<L>[] = [];

  constructor(config: HistogramConfiguration<L> & { buckets: number[] }) {
    super(config);
    this.bounds = [...config.buckets].sort((a, b) => a - b);
    this.series = { name: config.name, help: config.help };
  }

  /** Replaces every series (label sets missing from `series` disappear). */
  setSeries(series: HistogramSeries<L>[]): void {
    for (const s of series) {
      if (s.cumulative.length !== this.bounds.length) throw new Error(`${this.series.name}: ${s.cumulative.length} bucket counts for ${this.bounds.length} bounds`);
    }
    this.precomputed = series;
  }

  override get(): Promise<Exported> {
    return Promise.resolve(this.exported());
  }

  getForPromString(): Promise<Exported> {
    return Promise.resolve(this.exported());
  }

  private exported(): Exported {
    const { name, help } = this.series;
    const values = this.precomputed.flatMap(({ labels, cumulative, count, sum }) => {
      const base: Record<string, string> = labels;
      return [
        // `le` first, as prom-client writes its own histograms.
        ...this.bounds.map((le, i) => ({ labels: { le, ...base }, value: cumulative[i], metricName: `${name}_bucket` })),
        { labels: { le: '+Inf', ...base }, value: count, metricName: `${name}_bucket` },
        { labels: { ...base }, value: sum, metricName: `${name}_sum` },
        { labels: { ...base }, value: count, metricName: `${name}_count` },
      ];
    });
    return { name, help, type: HISTOGRAM, aggregator: 'sum', collect: () => undefined, values };
  }
}
