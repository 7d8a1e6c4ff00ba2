import { Xoshiro128 } from '../../core/random/random.js';
import { bootstrapInterval, type LadderState, ladderStep, standardError } from './statistics.js';

/**
 * Simulations of the board's statistics: the bootstrap interval's coverage, and the
 * boosting attack of Blum & Hardt (2015) against a naive public board and against the
 * Ladder. Seeded: the same numbers on every run.
 */

describe('bootstrap interval coverage', () => {
  it('holds the true accuracy in about 95% of 200 simulated test sets', () => {
    const truth = 0.8;
    const n = 200;
    const random = new Xoshiro128(2026);
    let covered = 0;
    const draws = 200;
    for (let d = 0; d < draws; d++) {
      const correct = Uint8Array.from({ length: n }, () => (random.nextDouble() < truth ? 1 : 0));
      const ci = bootstrapInterval(n, { resamples: 300, seed: d }, (indices) => {
        let s = 0;
        for (const i of indices) s += correct[i];
        return s / n;
      });
      if (ci.low <= truth && truth <= ci.high) covered++;
    }
    const coverage = covered / draws;
    console.log(`bootstrap 95% interval coverage over ${draws} simulated test sets of ${n}: ${(coverage * 100).toFixed(1)}%`);
    // A binomial(200, 0.95) share lies in [0.90, 0.99] with probability above 0.99 (the percentile bootstrap runs a little narrow).
    expect(coverage).toBeGreaterThanOrEqual(0.9);
    expect(coverage).toBeLessThanOrEqual(0.99);
  });
});

/**
 * The boosting attack: the holdout labels are coin flips, so no submission can truly beat
 * 50%. The attacker submits k random label vectors, keeps those the board says improved,
 * and submits their majority vote. Against exact public scores this climbs far above 50%
 * on the public examples while staying at 50% on the private ones; against the Ladder
 * the attacker learns almost nothing: the combined vote's public score stays within one
 * step (a standard error) of their first submission's.
 */
describe('the boosting attack', () => {
  const n = 4000; // public examples
  const k = 400; // random submissions
  const random = new Xoshiro128(7);
  const labels = Uint8Array.from({ length: n }, () => random.nextBelow(2));
  const privateLabels = Uint8Array.from({ length: n }, () => random.nextBelow(2));
  const submissions = Array.from({ length: k }, () => Uint8Array.from({ length: n }, () => random.nextBelow(2)));
  const accuracy = (guess: Uint8Array, truth: Uint8Array) => {
    let right = 0;
    for (let i = 0; i < truth.length; i++) if (guess[i] === truth[i]) right++;
    return right / truth.length;
  };
  const majority = (chosen: Uint8Array[]) =>
    Uint8Array.from({ length: n }, (_, i) => {
      let ones = 0;
      for (const c of chosen) ones += c[i];
      return 2 * ones > chosen.length ? 1 : 0;
    });
  const loss = (guess: Uint8Array) => Float64Array.from(labels, (y, i) => (guess[i] === y ? 0 : 1));

  it('climbs a naive board but not the Ladder', () => {
    // Naive board: the attacker sees every exact public score and keeps those above 50%.
    const naiveChosen = submissions.filter((s) => accuracy(s, labels) > 0.5);
    const naive = majority(naiveChosen);
    const naivePublic = accuracy(naive, labels);
    const naivePrivate = accuracy(naive, privateLabels);

    // The Ladder: the attacker sees the released scores and keeps the submissions whose release went up.
    let state: LadderState = { released: null, bestSubmissionId: null };
    let best = -1;
    const accepted: Uint8Array[] = [];
    submissions.forEach((s, t) => {
      const score = accuracy(s, labels);
      const improvement = best < 0 ? null : score - accuracy(submissions[best], labels);
      const before = best < 0 ? null : loss(submissions[best]);
      const after = loss(s);
      const se = before ? standardError(before.map((l, i) => l - after[i])).se : null;
      const next = ladderStep(state, { submissionId: String(t), score, improvement, standardError: se }, 1 / n);
      if (next.accepted) {
        best = t;
        accepted.push(s);
      }
      state = next;
    });
    const laddered = majority(accepted);
    const ladderPublic = accuracy(laddered, labels);
    const first = accuracy(submissions[0], labels);
    const step = 0.5 / Math.sqrt(n); // one standard error of a 50% accuracy on n examples
    console.log(
      `boosting attack, ${k} random submissions on ${n} public coin-flip labels: naive board public ${(naivePublic * 100).toFixed(1)}% (private ${(naivePrivate * 100).toFixed(1)}%); ` +
        `Ladder public ${(ladderPublic * 100).toFixed(1)}% from ${accepted.length} released submission(s), first submission ${(first * 100).toFixed(1)}%; ` +
        `gain over the first: naive ${((naivePublic - first) * 100).toFixed(1)} points, Ladder ${((ladderPublic - first) * 100).toFixed(1)} points; one step = ${(step * 100).toFixed(2)} points`,
    );
    expect(naivePublic - first).toBeGreaterThan(5 * step);
    expect(Math.abs(naivePrivate - 0.5)).toBeLessThan(3 * step);
    expect(ladderPublic - first).toBeLessThanOrEqual(step);
  });
});
