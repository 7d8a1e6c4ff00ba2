/**
 * The cleaning protocol's score (DataPerf vision debugging), as pure functions.
 *
 * The participant orders all N training ids. The evaluator fixes labels in that order and
 * retrains the fixed model at checkpoints. With A the test accuracy after all N fixes
 * (the fully cleaned accuracy, the same for every submission):
 *
 *   target = 0.95 · A
 *   score  = min { c / N : checkpoint c with accuracy(c) >= target }     (lower is better)
 *
 * Exactly:
 * - checkpoints are c_j = floor(j · N / steps) for j = 0..steps (so 0 and N are always
 *   among them), duplicates removed; `steps` = 100 is "every 1% of N";
 * - the comparison is `>=` on the accuracies as computed (doubles), with **no rounding**
 *   before comparing (DataPerf's code rounded to 2 decimals in one place and compared with
 *   `>` in another); the fraction 0.95 is applied to A as a double;
 * - checkpoint 0 (no fixes) counts: if the noisy labels already reach the target, the
 *   score is 0; checkpoint N always reaches it (accuracy(N) = A >= 0.95 · A), so a score
 *   always exists.
 */

export interface CurvePoint {
  fixes: number;
  fraction: number;
  accuracy: number;
}

export const DEFAULT_TARGET_RATIO = 0.95;

/** The checkpoints for N training rows and `steps` equal steps: 0, ..., N. */
export function cleaningCheckpoints(n: number, steps: number): number[] {
  if (!Number.isInteger(n) || n < 1) throw new Error(`cleaning needs at least 1 training row, got ${n}`);
  if (!Number.isInteger(steps) || steps < 1) throw new Error(`steps must be a positive integer, got ${steps}`);
  const out: number[] = [];
  for (let j = 0; j <= steps; j++) {
    const c = Math.floor((j * n) / steps);
    if (out[out.length - 1] !== c) out.push(c);
  }
  return out;
}

/** The training labels after fixing the first `fixes` ids of `order` (row indices). */
export function labelsAfterFixes(noisy: Int32Array, clean: Int32Array, order: Int32Array, fixes: number): Int32Array {
  const labels = Int32Array.from(noisy);
  for (let i = 0; i < fixes; i++) labels[order[i]] = clean[order[i]];
  return labels;
}

/**
 * The score from the accuracy curve (one point per checkpoint, in order, the last at N).
 * Returns the fraction of fixes needed and the target accuracy.
 */
export function cleaningScore(curve: readonly CurvePoint[], targetRatio = DEFAULT_TARGET_RATIO): { score: number; target: number } {
  if (curve.length === 0) throw new Error('the accuracy curve is empty');
  const full = curve[curve.length - 1];
  for (let i = 1; i < curve.length; i++) {
    if (curve[i].fixes <= curve[i - 1].fixes) throw new Error('checkpoints must increase');
  }
  const target = targetRatio * full.accuracy;
  const reached = curve.find((p) => p.accuracy >= target) ?? full;
  return { score: reached.fraction, target };
}
