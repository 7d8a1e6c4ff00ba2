import { accuracy, computeMetric, f1Binary, macroF1 } from './classification.js';

const i32 = (values: number[]) => Int32Array.from(values);

// Every expected value below was computed with scikit-learn 1.2.1
// (sklearn.metrics.accuracy_score / f1_score) and is compared for exact equality.

describe('accuracy', () => {
  it.each([
    { yTrue: [0, 1, 2, 0, 1, 2], yPred: [0, 2, 1, 0, 0, 1], expected: 0.3333333333333333 },
    { yTrue: [0, 0, 1, 1], yPred: [0, 0, 1, 1], expected: 1 },
    { yTrue: [0, 0, 0, 0], yPred: [1, 1, 1, 1], expected: 0 },
    { yTrue: [3, 3, 5, 5], yPred: [3, 5, 5, 5], expected: 0.75 },
    { yTrue: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1], yPred: [0, 1, 2, 3, 4, 5, 6, 7, 8, 8, 0, 2], expected: 0.8333333333333334 },
  ])('accuracy($yTrue, $yPred) = $expected', ({ yTrue, yPred, expected }) => {
    expect(accuracy(i32(yTrue), i32(yPred))).toBe(expected);
  });
});

describe('macroF1 (f1_score average="macro": mean over the labels in y_true ∪ y_pred)', () => {
  it.each([
    { case: 'three classes, mixed up', yTrue: [0, 1, 2, 0, 1, 2], yPred: [0, 2, 1, 0, 0, 1], expected: 0.26666666666666666 },
    { case: 'perfect', yTrue: [0, 0, 1, 1], yPred: [0, 0, 1, 1], expected: 1 },
    { case: 'all wrong: both labels score 0', yTrue: [0, 0, 0, 0], yPred: [1, 1, 1, 1], expected: 0 },
    { case: 'labels need not start at 0', yTrue: [3, 3, 5, 5], yPred: [3, 5, 5, 5], expected: 0.7333333333333334 },
    { case: 'a true class never predicted scores 0', yTrue: [0, 1, 2, 3], yPred: [0, 1, 2, 2], expected: 0.6666666666666666 },
    { case: 'one label only', yTrue: [1, 1, 1], yPred: [1, 1, 1], expected: 1 },
    { case: 'a predicted class absent from the truth counts', yTrue: [2, 2, 2], yPred: [7, 7, 7], expected: 0 },
    {
      case: 'ten classes (numpy pairwise summation path)',
      yTrue: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1],
      yPred: [0, 1, 2, 3, 4, 5, 6, 7, 8, 8, 0, 2],
      expected: 0.8,
    },
    {
      case: 'twelve classes, random',
      yTrue: [9, 1, 2, 2, 2, 9, 10, 6, 0, 1, 3, 5, 7, 5, 3, 1, 8, 8, 0, 1, 5, 4, 10, 6, 5, 5, 7, 7, 2, 8, 9, 11, 9, 3, 3, 7, 7, 8, 10, 3],
      yPred: [9, 2, 2, 2, 2, 9, 10, 6, 0, 11, 3, 5, 3, 10, 3, 2, 8, 11, 11, 1, 11, 7, 6, 11, 5, 9, 4, 7, 11, 8, 9, 11, 0, 3, 3, 7, 7, 8, 7, 3],
      expected: 0.5336940836940837,
    },
  ])('$case', ({ yTrue, yPred, expected }) => {
    expect(macroF1(i32(yTrue), i32(yPred))).toBe(expected);
  });

  it('ignores classes of the label set that occur in neither array', () => {
    // The challenge may have 10 classes; only 0, 3 and 5 occur here.
    expect(macroF1(i32([0, 3, 5, 5]), i32([0, 3, 3, 5]))).toBe(macroF1(i32([0, 1, 2, 2]), i32([0, 1, 1, 2])));
  });
});

describe('f1Binary (f1_score average="binary", pos_label)', () => {
  it.each([
    { yTrue: [0, 1, 1, 0], yPred: [0, 1, 0, 0], positive: 1, expected: 0.6666666666666666 },
    { yTrue: [0, 0, 0], yPred: [0, 0, 0], positive: 1, expected: 0 }, // no positives at all
    { yTrue: [1, 1, 1], yPred: [1, 1, 1], positive: 1, expected: 1 },
    { yTrue: [0, 0, 1], yPred: [1, 1, 0], positive: 1, expected: 0 },
    { yTrue: [0, 1, 1, 0, 1], yPred: [1, 1, 1, 0, 0], positive: 0, expected: 0.5 },
    { yTrue: [3, 7, 7, 3], yPred: [7, 7, 3, 3], positive: 7, expected: 0.5 },
    { yTrue: [0, 0], yPred: [0, 0], positive: 5, expected: 0 }, // one label present: allowed
  ])('f1Binary($yTrue, $yPred, positive $positive) = $expected', ({ yTrue, yPred, positive, expected }) => {
    expect(f1Binary(i32(yTrue), i32(yPred), positive)).toBe(expected);
  });

  it.each([
    { yTrue: [0, 1, 2], yPred: [0, 1, 1], positive: 1, error: /3 classes/ },
    { yTrue: [0, 1], yPred: [0, 2], positive: 1, error: /3 classes/ },
    { yTrue: [0, 2], yPred: [0, 2], positive: 1, error: /positive class 1 is not one of the labels/ },
  ])('refuses what scikit-learn refuses: $yTrue / $yPred, positive $positive', ({ yTrue, yPred, positive, error }) => {
    expect(() => f1Binary(i32(yTrue), i32(yPred), positive)).toThrow(error);
  });
});

describe('computeMetric', () => {
  const yTrue = i32([0, 1, 1, 0]);
  const yPred = i32([0, 1, 0, 0]);

  it.each([
    { name: 'accuracy' as const, expected: 0.75 },
    { name: 'macro_f1' as const, expected: macroF1(yTrue, yPred) },
    { name: 'f1' as const, expected: 0.6666666666666666 },
  ])('$name', ({ name, expected }) => {
    expect(computeMetric(name, yTrue, yPred, { positiveClass: 1 })).toBe(expected);
  });

  it('f1 needs a positive class', () => {
    expect(() => computeMetric('f1', yTrue, yPred, {})).toThrow(/positive class/);
  });

  it.each(['accuracy', 'macro_f1'] as const)('%s rejects mismatched or empty inputs', (name) => {
    expect(() => computeMetric(name, i32([0, 1]), i32([0]), {})).toThrow(/2 true labels but 1 predictions/);
    expect(() => computeMetric(name, i32([]), i32([]), {})).toThrow(/no labels/);
  });
});

describe('macroF1 on class indices and on any integers', () => {
  it('gives the same value, bit for bit, for labels shifted below zero (the general path)', () => {
    let state = 12345;
    const next = () => (state = (state * 1103515245 + 12345) % 2147483648) % 7;
    for (let trial = 0; trial < 50; trial++) {
      const yTrue = Int32Array.from({ length: 97 }, next);
      const yPred = Int32Array.from({ length: 97 }, next);
      const shift = (a: Int32Array) => a.map((v) => v - 100);
      expect(Object.is(macroF1(yTrue, yPred), macroF1(shift(yTrue), shift(yPred)))).toBe(true);
    }
  });
});
