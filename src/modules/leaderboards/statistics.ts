import { Xoshiro128 } from '../../core/random/random.js';

/**
 * The statistics behind a trustworthy board, as plain functions: the seeded public/private
 * split of a test set, bootstrap confidence intervals over test examples, paired
 * bootstrap comparisons and the tie groups they make, and the Ladder. Everything seeded
 * is deterministic: the same inputs give the same numbers on every machine.
 */

/** Which test examples are public (shown during a phase) and which private (decide the final ranking). */
export interface TestSplit {
  public: Int32Array;
  private: Int32Array;
}

/**
 * A stratified split: within each label, the examples are shuffled with xoshiro128**
 * seeded by `seed` and the first round(count × fraction) are public. Indices come out
 * in ascending order.
 */
export function stratifiedSplit(labels: Int32Array, fraction: number, seed: number): TestSplit {
  if (!(fraction > 0 && fraction < 1)) throw new Error(`split: the public fraction must be between 0 and 1 (exclusive), got ${fraction}`);
  const byLabel = new Map<number, number[]>();
  for (let i = 0; i < labels.length; i++) {
    let list = byLabel.get(labels[i]);
    if (!list) byLabel.set(labels[i], (list = []));
    list.push(i);
  }
  const random = new Xoshiro128(seed);
  const isPublic = new Uint8Array(labels.length);
  for (const label of [...byLabel.keys()].sort((a, b) => a - b)) {
    const order = Int32Array.from(byLabel.get(label)!);
    random.shuffle(order);
    const take = Math.round(order.length * fraction);
    for (let i = 0; i < take; i++) isPublic[order[i]] = 1;
  }
  const pub: number[] = [];
  const priv: number[] = [];
  for (let i = 0; i < labels.length; i++) (isPublic[i] ? pub : priv).push(i);
  return { public: Int32Array.from(pub), private: Int32Array.from(priv) };
}

export interface BootstrapSettings {
  /** Resamples (B). */
  resamples: number;
  seed: number;
  /** Confidence level; 0.95 unless said. */
  level?: number;
}

/**
 * Calls `visit` with B resamples of 0..n-1 drawn with replacement (xoshiro128** seeded by
 * `seed`). The array is reused between calls: read it, do not keep it.
 */
export function forEachResample(n: number, settings: BootstrapSettings, visit: (indices: Int32Array, b: number) => void): void {
  if (!Number.isInteger(n) || n < 1) throw new Error(`bootstrap: needs at least one example, got ${n}`);
  if (!Number.isInteger(settings.resamples) || settings.resamples < 1) throw new Error(`bootstrap: resamples must be a whole number above 0, got ${settings.resamples}`);
  const random = new Xoshiro128(settings.seed);
  const indices = new Int32Array(n);
  for (let b = 0; b < settings.resamples; b++) {
    for (let i = 0; i < n; i++) indices[i] = random.nextBelow(n);
    visit(indices, b);
  }
}

export interface Interval {
  low: number;
  high: number;
}

/**
 * The percentile bootstrap interval of `statistic` over n test examples: the statistic
 * on each resample, and its (1-level)/2 and (1+level)/2 quantiles (linear interpolation
 * between order statistics, numpy's default).
 */
export function bootstrapInterval(n: number, settings: BootstrapSettings, statistic: (indices: Int32Array) => number): Interval {
  return intervalOf(resampled(n, settings, statistic), settings.level);
}

/** The percentile interval of a statistic's resampled values (see resampled). */
export function intervalOf(values: Float64Array, level = 0.95): Interval {
  const sorted = Float64Array.from(values).sort();
  const tail = (1 - level) / 2;
  return { low: quantile(sorted, tail), high: quantile(sorted, 1 - tail) };
}

export interface Comparison extends Interval {
  /** The difference a − b on the full test set's resamples, averaged. */
  mean: number;
  /** The interval excludes 0: a and b differ at the chosen level. */
  significant: boolean;
}

/**
 * Paired bootstrap of a difference between two entries scored on the same test examples:
 * each resample draws the same examples for both, so their shared difficulty cancels.
 * `difference(indices)` is statistic(a) − statistic(b) on those examples.
 */
export function pairedBootstrap(n: number, settings: BootstrapSettings, difference: (indices: Int32Array) => number): Comparison {
  return compareResampled(resampled(n, settings, difference), new Float64Array(settings.resamples), settings.level);
}

/**
 * An entry's statistic on each of the B resamples. With the same n and settings every
 * entry sees the same resamples, so two entries' vectors compare pairwise
 * (compareResampled) without drawing again: O(B) per comparison.
 */
export function resampled(n: number, settings: BootstrapSettings, statistic: (indices: Int32Array) => number): Float64Array {
  const values = new Float64Array(settings.resamples);
  forEachResample(n, settings, (indices, b) => (values[b] = statistic(indices)));
  return values;
}

/**
 * A score's value on each bootstrap resample of its examples: the metric on each seed's
 * predictions of the resampled examples (the same draw for every seed), then their mean,
 * as the score itself is. The same settings give every submission the same draws.
 */
export function resampledScore(
  metric: (yTrue: Int32Array, yPred: Int32Array) => number,
  truth: Int32Array,
  predictions: readonly Int32Array[],
  settings: BootstrapSettings,
): Float64Array {
  const n = truth.length;
  for (const p of predictions) if (p.length !== n) throw new Error(`bootstrap: ${p.length} predictions for ${n} examples`);
  const yTrue = new Int32Array(n);
  const yPred = new Int32Array(n);
  return resampled(n, settings, (indices) => {
    for (let i = 0; i < n; i++) yTrue[i] = truth[indices[i]];
    let sum = 0;
    for (const p of predictions) {
      for (let i = 0; i < n; i++) yPred[i] = p[indices[i]];
      sum += metric(yTrue, yPred);
    }
    return sum / predictions.length;
  });
}

/** The paired comparison a − b from two entries' resampled statistics (see resampled). */
export function compareResampled(a: Float64Array, b: Float64Array, level = 0.95): Comparison {
  if (a.length !== b.length) throw new Error(`compare: ${a.length} resamples against ${b.length}`);
  const values = new Float64Array(a.length);
  let sum = 0;
  for (let i = 0; i < a.length; i++) {
    values[i] = a[i] - b[i];
    sum += values[i];
  }
  values.sort();
  const tail = (1 - level) / 2;
  const low = quantile(values, tail);
  const high = quantile(values, 1 - tail);
  return { mean: sum / values.length, low, high, significant: low > 0 || high < 0 };
}

/** The values at `indices`, in that order (all of them when `indices` is null). */
export function take(values: Int32Array, indices: Int32Array | null): Int32Array {
  if (!indices) return values;
  const out = new Int32Array(indices.length);
  for (let i = 0; i < indices.length; i++) out[i] = values[indices[i]];
  return out;
}

/** The q-quantile of sorted values, interpolating linearly between order statistics. */
export function quantile(sorted: Float64Array, q: number): number {
  if (sorted.length === 0) throw new Error('quantile of nothing');
  const at = q * (sorted.length - 1);
  const lo = Math.floor(at);
  const hi = Math.min(lo + 1, sorted.length - 1);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (at - lo);
}

export interface TieGroup {
  /** 0-based index of the group, best first. */
  group: number;
  /** The ranks the entry could hold: from the group's first rank to its last. */
  rankRange: [number, number];
}

/**
 * Tie groups over a ranking (best first): each group starts at its leader, and the
 * entries below join it while the leader is not significantly better than them
 * (`differs(leader, entry)` false); the first entry that is starts the next group.
 * Every entry of a group shares the group's rank range. O(entries) comparisons.
 */
export function tieGroups<T>(ranked: readonly T[], differs: (leader: T, entry: T) => boolean): TieGroup[] {
  const groups: number[] = [];
  let leader = 0;
  let group = 0;
  for (let i = 0; i < ranked.length; i++) {
    if (i > 0 && differs(ranked[leader], ranked[i])) {
      leader = i;
      group++;
    }
    groups.push(group);
  }
  const first = new Map<number, number>();
  const last = new Map<number, number>();
  groups.forEach((g, i) => {
    if (!first.has(g)) first.set(g, i + 1);
    last.set(g, i + 1);
  });
  return groups.map((g) => ({ group: g, rankRange: [first.get(g)!, last.get(g)!] }));
}

/** The mean and the standard error (sample standard deviation / √n) of per-example values. */
export function standardError(values: ArrayLike<number>): { mean: number; se: number } {
  const n = values.length;
  if (n < 2) throw new Error(`standard error: needs at least 2 examples, got ${n}`);
  let sum = 0;
  for (let i = 0; i < n; i++) sum += values[i];
  const mean = sum / n;
  let squares = 0;
  for (let i = 0; i < n; i++) squares += (values[i] - mean) * (values[i] - mean);
  return { mean, se: Math.sqrt(squares / (n - 1)) / Math.sqrt(n) };
}

export interface LadderState {
  /** The released score (rounded); null before the first release. */
  released: number | null;
  /** The submission whose score was released last (its per-example losses are the reference). */
  bestSubmissionId: string | null;
}

/**
 * One step of the parameter-free Ladder (Blum & Hardt, ICML 2015) for one participant.
 * `improvement` is how much better the new submission is than the reference by the
 * board's metric (positive: better), and `standardError` the standard error of the
 * per-example loss differences between the two. The new score is released (rounded to
 * `precision`) only when the improvement exceeds one standard error; otherwise the board
 * repeats the previous release. The first submission is always released.
 */
export function ladderStep(
  state: LadderState,
  candidate: { submissionId: string; score: number; improvement: number | null; standardError: number | null },
  precision: number,
): LadderState & { accepted: boolean } {
  if (state.released === null || state.bestSubmissionId === null) {
    return { released: roundTo(candidate.score, precision), bestSubmissionId: candidate.submissionId, accepted: true };
  }
  if (candidate.improvement === null || candidate.standardError === null) throw new Error('ladder: a later submission needs its improvement and standard error');
  if (candidate.improvement > candidate.standardError) {
    return { released: roundTo(candidate.score, precision), bestSubmissionId: candidate.submissionId, accepted: true };
  }
  return { ...state, accepted: false };
}

/** `value` rounded to the nearest multiple of `precision` (e.g. 0.001), without binary noise. */
export function roundTo(value: number, precision: number): number {
  if (!(precision > 0)) throw new Error(`round: precision must be above 0, got ${precision}`);
  const decimals = Math.max(0, Math.ceil(-Math.log10(precision) - 1e-9));
  return Number((Math.round(value / precision) * precision).toFixed(decimals));
}
