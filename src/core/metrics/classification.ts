/**
 * Challenge metrics: pure functions over integer class labels, with scikit-learn 1.2's
 * semantics (the values match sklearn.metrics to the last bit, including numpy's
 * pairwise summation in the macro average).
 */

export type MetricName = 'accuracy' | 'macro_f1' | 'f1';

export const METRIC_NAMES: readonly MetricName[] = ['accuracy', 'macro_f1', 'f1'];

export function computeMetric(name: MetricName, yTrue: Int32Array, yPred: Int32Array, opts: { positiveClass?: number } = {}): number {
  switch (name) {
    case 'accuracy':
      return accuracy(yTrue, yPred);
    case 'macro_f1':
      return macroF1(yTrue, yPred);
    case 'f1': {
      if (opts.positiveClass === undefined) throw new Error("metric 'f1' needs a positive class");
      return f1Binary(yTrue, yPred, opts.positiveClass);
    }
    default:
      return unknownMetric(name);
  }
}

/** Fraction of rows where the prediction equals the truth (sklearn accuracy_score). */
export function accuracy(yTrue: Int32Array, yPred: Int32Array): number {
  checkPair(yTrue, yPred);
  let correct = 0;
  for (let i = 0; i < yTrue.length; i++) if (yTrue[i] === yPred[i]) correct++;
  return correct / yTrue.length;
}

/**
 * Unweighted mean of the per-class F1 scores (sklearn f1_score(average='macro')).
 * The classes averaged over are those that occur in yTrue or in yPred — as sklearn
 * does when it is not given `labels` — so a class of the challenge's label set that
 * occurs in neither does not count, while a class that occurs in the truth but is
 * never predicted (or the reverse) scores 0. A class with no true and no predicted
 * rows cannot occur in that union. Precision or recall with a zero denominator is 0
 * (sklearn's default zero_division='warn' also yields 0).
 */
export function macroF1(yTrue: Int32Array, yPred: Int32Array): number {
  checkPair(yTrue, yPred);
  let max = -1;
  for (let i = 0; i < yTrue.length; i++) {
    if (yTrue[i] < 0 || yPred[i] < 0) return macroF1Sparse(yTrue, yPred);
    if (yTrue[i] > max) max = yTrue[i];
    if (yPred[i] > max) max = yPred[i];
  }
  if (max >= 65536) return macroF1Sparse(yTrue, yPred);
  // Labels are small class indices: count in arrays (the bootstrap calls this a thousand times per score).
  const tp = new Int32Array(max + 1);
  const truths = new Int32Array(max + 1);
  const preds = new Int32Array(max + 1);
  for (let i = 0; i < yTrue.length; i++) {
    truths[yTrue[i]]++;
    preds[yPred[i]]++;
    if (yTrue[i] === yPred[i]) tp[yTrue[i]]++;
  }
  let present = 0;
  for (let label = 0; label <= max; label++) if (truths[label] + preds[label] > 0) present++;
  const scores = new Float64Array(present);
  let at = 0;
  for (let label = 0; label <= max; label++) {
    if (truths[label] + preds[label] > 0) scores[at++] = fScore(tp[label], preds[label], truths[label]);
  }
  return pairwiseSum(scores, 0, scores.length) / scores.length;
}

/** macroF1 for any integer labels (negative or large ones): the same classes, order and sums, kept in a map. */
function macroF1Sparse(yTrue: Int32Array, yPred: Int32Array): number {
  const stats = new Map<number, { tp: number; truths: number; preds: number }>();
  const at = (label: number) => {
    let s = stats.get(label);
    if (!s) {
      s = { tp: 0, truths: 0, preds: 0 };
      stats.set(label, s);
    }
    return s;
  };
  for (let i = 0; i < yTrue.length; i++) {
    at(yTrue[i]).truths++;
    at(yPred[i]).preds++;
    if (yTrue[i] === yPred[i]) at(yTrue[i]).tp++;
  }
  const labels = [...stats.keys()].sort((a, b) => a - b);
  const scores = new Float64Array(labels.length);
  labels.forEach((label, i) => {
    const s = at(label);
    scores[i] = fScore(s.tp, s.preds, s.truths);
  });
  return pairwiseSum(scores, 0, scores.length) / scores.length;
}

/**
 * F1 of one positive class (sklearn f1_score(average='binary', pos_label)). Like
 * sklearn, it refuses data with more than two distinct labels in yTrue ∪ yPred, and a
 * positive class that is not one of two present labels; it is 0 when there are
 * neither positive rows nor positive predictions.
 */
export function f1Binary(yTrue: Int32Array, yPred: Int32Array, positiveClass: number): number {
  checkPair(yTrue, yPred);
  const present = new Set<number>();
  let tp = 0;
  let truths = 0;
  let preds = 0;
  for (let i = 0; i < yTrue.length; i++) {
    present.add(yTrue[i]);
    present.add(yPred[i]);
    if (yTrue[i] === positiveClass) truths++;
    if (yPred[i] === positiveClass) preds++;
    if (yTrue[i] === positiveClass && yPred[i] === positiveClass) tp++;
  }
  if (present.size > 2) {
    throw new Error(`binary f1: the labels hold ${present.size} classes (${[...present].sort((a, b) => a - b).join(', ')}); at most 2 are allowed`);
  }
  if (present.size === 2 && !present.has(positiveClass)) {
    throw new Error(`binary f1: positive class ${positiveClass} is not one of the labels (${[...present].sort((a, b) => a - b).join(', ')})`);
  }
  return fScore(tp, preds, truths);
}

/** sklearn's F-beta with beta = 1: 2·P·R / (P + R), 0 where undefined. */
function fScore(tp: number, preds: number, truths: number): number {
  const precision = preds === 0 ? 0 : tp / preds;
  const recall = truths === 0 ? 0 : tp / truths;
  const denom = precision + recall;
  return (2 * precision * recall) / (denom === 0 ? 1 : denom);
}

/** numpy's pairwise summation (np.add.reduce on a contiguous float64 array). */
function pairwiseSum(a: Float64Array, start: number, n: number): number {
  if (n < 8) {
    let res = 0;
    for (let i = 0; i < n; i++) res += a[start + i];
    return res;
  }
  if (n <= 128) {
    const r = Array.from(a.subarray(start, start + 8));
    let i = 8;
    for (; i < n - (n % 8); i += 8) for (let j = 0; j < 8; j++) r[j] += a[start + i + j];
    // prettier-ignore
    let res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
    for (; i < n; i++) res += a[start + i];
    return res;
  }
  let half = Math.floor(n / 2);
  half -= half % 8;
  return pairwiseSum(a, start, half) + pairwiseSum(a, start + half, n - half);
}

function checkPair(yTrue: Int32Array, yPred: Int32Array): void {
  if (yTrue.length !== yPred.length) throw new Error(`metrics: ${yTrue.length} true labels but ${yPred.length} predictions`);
  if (yTrue.length === 0) throw new Error('metrics: no labels to score');
}

function unknownMetric(name: never): never {
  throw new Error(`unknown metric ${String(name)}`);
}
