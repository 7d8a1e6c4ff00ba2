import {
  bootstrapInterval,
  compareResampled,
  type LadderState,
  ladderStep,
  pairedBootstrap,
  quantile,
  resampled,
  roundTo,
  standardError,
  stratifiedSplit,
  tieGroups,
} from './statistics.js';

/** n examples, the first `correct` of them right: a correctness vector. */
const correctness = (n: number, correct: number) => Uint8Array.from({ length: n }, (_, i) => (i < correct ? 1 : 0));
const meanOver = (values: Uint8Array) => (indices: Int32Array) => {
  let sum = 0;
  for (const i of indices) sum += values[i];
  return sum / indices.length;
};

describe('stratifiedSplit', () => {
  const labels = Int32Array.from({ length: 1000 }, (_, i) => (i < 700 ? 0 : i < 950 ? 1 : 2)); // 700 / 250 / 50

  it.each([
    [0.5, [350, 125, 25]],
    [0.3, [210, 75, 15]],
    [0.1, [70, 25, 5]],
  ])('fraction %d keeps each label’s share in the public part: %j', (fraction, perLabel) => {
    const split = stratifiedSplit(labels, fraction, 7);
    const counts = [0, 1, 2].map((label) => split.public.filter((i) => labels[i] === label).length);
    expect(counts).toEqual(perLabel);
    expect(split.public.length + split.private.length).toBe(labels.length);
    expect(new Set([...split.public, ...split.private]).size).toBe(labels.length);
  });

  it('is the same for the same seed and another for another seed', () => {
    expect(stratifiedSplit(labels, 0.5, 1)).toEqual(stratifiedSplit(labels, 0.5, 1));
    expect(stratifiedSplit(labels, 0.5, 1).public).not.toEqual(stratifiedSplit(labels, 0.5, 2).public);
  });

  it.each([0, 1, -0.1, Number.NaN])('refuses the fraction %d', (fraction) => {
    expect(() => stratifiedSplit(labels, fraction, 0)).toThrow('between 0 and 1');
  });
});

describe('quantile (linear interpolation, as numpy)', () => {
  it.each([
    [[1, 2, 3, 4], 0, 1],
    [[1, 2, 3, 4], 1, 4],
    [[1, 2, 3, 4], 0.5, 2.5],
    [[1, 2, 3, 4], 0.25, 1.75],
    [[5], 0.975, 5],
  ])('%j at %d is %d', (values, q, expected) => {
    expect(quantile(Float64Array.from(values), q)).toBeCloseTo(expected, 12);
  });
});

describe('bootstrapInterval', () => {
  it.each([
    [1000, 800],
    [2000, 1500],
    [500, 450],
  ])('of accuracy on %d examples with %d right: holds the estimate and is about ±1.96 standard errors wide', (n, right) => {
    const p = right / n;
    const ci = bootstrapInterval(n, { resamples: 2000, seed: 3 }, meanOver(correctness(n, right)));
    expect(ci.low).toBeLessThan(p);
    expect(ci.high).toBeGreaterThan(p);
    const expectedHalfWidth = 1.96 * Math.sqrt((p * (1 - p)) / n);
    expect((ci.high - ci.low) / 2).toBeGreaterThan(expectedHalfWidth * 0.85);
    expect((ci.high - ci.low) / 2).toBeLessThan(expectedHalfWidth * 1.15);
  });

  it('is the same for the same seed, bit for bit', () => {
    const stat = meanOver(correctness(300, 200));
    expect(bootstrapInterval(300, { resamples: 500, seed: 9 }, stat)).toStrictEqual(bootstrapInterval(300, { resamples: 500, seed: 9 }, stat));
  });

  it('refuses to run on nothing', () => {
    expect(() => bootstrapInterval(0, { resamples: 10, seed: 0 }, () => 0)).toThrow('at least one example');
    expect(() => bootstrapInterval(10, { resamples: 0, seed: 0 }, () => 0)).toThrow('resamples');
  });
});

describe('pairedBootstrap', () => {
  const n = 1000;
  const a = correctness(n, 800);
  const diffOf = (x: Uint8Array, y: Uint8Array) => (indices: Int32Array) => {
    let sum = 0;
    for (const i of indices) sum += x[i] - y[i];
    return sum / indices.length;
  };

  it.each([
    ['the same predictions', 800, false],
    ['one example apart', 799, false],
    ['1 point apart on 1,000 examples (10 examples)', 790, true],
    ['10 points apart', 700, true],
  ])('%s (b right on %d): significant %s', (_name, bRight, significant) => {
    const cmp = pairedBootstrap(n, { resamples: 1000, seed: 5 }, diffOf(a, correctness(n, bRight)));
    expect(cmp.significant).toBe(significant);
    expect(cmp.low).toBeLessThanOrEqual(cmp.mean);
    expect(cmp.high).toBeGreaterThanOrEqual(cmp.mean);
  });

  it('gives the same comparison from two resampled vectors as from drawing the difference itself', () => {
    const b = correctness(n, 790);
    const settings = { resamples: 500, seed: 4 };
    const direct = pairedBootstrap(n, settings, diffOf(a, b));
    const fromVectors = compareResampled(resampled(n, settings, meanOver(a)), resampled(n, settings, meanOver(b)));
    expect(fromVectors.significant).toBe(direct.significant);
    expect(fromVectors.low).toBeCloseTo(direct.low, 12);
    expect(fromVectors.high).toBeCloseTo(direct.high, 12);
    expect(fromVectors.mean).toBeCloseTo(direct.mean, 12);
  });

  it('pairs the examples: a shared hard half does not hide a small, consistent difference', () => {
    // b is wrong wherever a is, and on 10 more examples: a paired test sees it; two independent intervals would overlap.
    const b = correctness(n, 790);
    expect(pairedBootstrap(n, { resamples: 1000, seed: 1 }, diffOf(a, b)).significant).toBe(true);
    const ciA = bootstrapInterval(n, { resamples: 1000, seed: 1 }, meanOver(a));
    const ciB = bootstrapInterval(n, { resamples: 1000, seed: 2 }, meanOver(b));
    expect(ciA.low).toBeLessThan(ciB.high);
  });
});

describe('tieGroups', () => {
  const differs = (leader: number, entry: number) => leader - entry > 0.05;
  it.each<[string, number[], [number, [number, number]][]]>([
    ['all far apart', [0.9, 0.8, 0.7], [
      [0, [1, 1]],
      [1, [2, 2]],
      [2, [3, 3]],
    ]],
    ['all within reach of the leader', [0.9, 0.88, 0.86], [
      [0, [1, 3]],
      [0, [1, 3]],
      [0, [1, 3]],
    ]],
    ['a chain is cut at the leader’s reach, not the neighbour’s', [0.9, 0.87, 0.84, 0.81], [
      [0, [1, 2]],
      [0, [1, 2]],
      [1, [3, 4]],
      [1, [3, 4]],
    ]],
    ['one entry', [0.5], [[0, [1, 1]]]],
    ['no entries', [], []],
  ])('%s', (_name, scores, expected) => {
    expect(tieGroups(scores, differs).map((g) => [g.group, g.rankRange])).toEqual(expected);
  });
});

describe('standardError', () => {
  it.each([
    [[0, 1, 0, 1], 0.5, Math.sqrt(1 / 3) / 2],
    [[1, 1, 1, 1], 1, 0],
    [[0, 0, 0, 1, 0, 0, 0, 1], 0.25, Math.sqrt(((2 * 0.75 ** 2 + 6 * 0.25 ** 2) / 7) / 8)],
  ])('%j: mean %d, se %d', (values, mean, se) => {
    const r = standardError(values);
    expect(r.mean).toBeCloseTo(mean, 12);
    expect(r.se).toBeCloseTo(se, 12);
  });
});

describe('ladderStep (parameter-free Ladder)', () => {
  const start: LadderState = { released: null, bestSubmissionId: null };
  const at = (released: number, id: string): LadderState => ({ released, bestSubmissionId: id });
  it.each<[string, LadderState, { submissionId: string; score: number; improvement: number | null; standardError: number | null }, LadderState & { accepted: boolean }]>([
    ['releases the first submission, rounded', start, { submissionId: 's1', score: 0.81234, improvement: null, standardError: null }, { released: 0.812, bestSubmissionId: 's1', accepted: true }],
    ['releases a gain of more than one standard error', at(0.812, 's1'), { submissionId: 's2', score: 0.84, improvement: 0.028, standardError: 0.01 }, { released: 0.84, bestSubmissionId: 's2', accepted: true }],
    ['repeats the previous release for a gain within one standard error', at(0.812, 's1'), { submissionId: 's2', score: 0.8199, improvement: 0.0079, standardError: 0.01 }, { released: 0.812, bestSubmissionId: 's1', accepted: false }],
    ['repeats it for a gain of exactly one standard error', at(0.812, 's1'), { submissionId: 's2', score: 0.822, improvement: 0.01, standardError: 0.01 }, { released: 0.812, bestSubmissionId: 's1', accepted: false }],
    ['repeats it for a worse submission', at(0.812, 's1'), { submissionId: 's3', score: 0.7, improvement: -0.112, standardError: 0.02 }, { released: 0.812, bestSubmissionId: 's1', accepted: false }],
  ])('%s', (_name, state, candidate, expected) => {
    expect(ladderStep(state, candidate, 0.001)).toEqual(expected);
  });
});

describe('the Ladder over hand-made sequences of submissions', () => {
  // [score, improvement over the reference, standard error of the loss differences]
  type Step = [number, number | null, number | null];
  const run = (steps: Step[]) => {
    let state: LadderState = { released: null, bestSubmissionId: null };
    return steps.map(([score, improvement, standardError], i) => {
      state = ladderStep(state, { submissionId: `s${i + 1}`, score, improvement, standardError }, 0.01);
      return [state.released, state.bestSubmissionId];
    });
  };
  it.each<[string, Step[], [number | null, string | null][]]>([
    [
      'small wiggles never move the board',
      [[0.7, null, null], [0.705, 0.005, 0.01], [0.698, -0.002, 0.01], [0.709, 0.009, 0.01]],
      [[0.7, 's1'], [0.7, 's1'], [0.7, 's1'], [0.7, 's1']],
    ],
    [
      'a clear gain moves it, and later gains are measured from the new reference',
      [[0.7, null, null], [0.74, 0.04, 0.01], [0.75, 0.01, 0.01], [0.77, 0.03, 0.01]],
      [[0.7, 's1'], [0.74, 's2'], [0.74, 's2'], [0.77, 's4']],
    ],
    [
      'a worse submission after a release changes nothing',
      [[0.6, null, null], [0.65, 0.05, 0.02], [0.5, -0.15, 0.02]],
      [[0.6, 's1'], [0.65, 's2'], [0.65, 's2']],
    ],
  ])('%s', (_name, steps, expected) => {
    expect(run(steps)).toEqual(expected);
  });
});

describe('roundTo', () => {
  it.each([
    [0.81234, 0.001, 0.812],
    [0.8126, 0.001, 0.813],
    [0.8126, 0.01, 0.81],
    [12.5, 1, 13],
    [0.1 + 0.2, 0.1, 0.3],
  ])('%d to %d is %d', (value, precision, expected) => {
    expect(roundTo(value, precision)).toBe(expected);
  });
});
