import { createHash } from 'node:crypto';
import { fileURLToPath } from 'node:url';

import { readChallengeCsv, seededSelection, seededUint32, takeRows } from '../testing/datasets.js';
import { fitMlp, mlpLossGradient, predictMlp, type MlpData, type MlpModel, type MlpParams, type MlpWeights } from './mlp.js';

// Needs dist/workers/trainers/logreg/kernels.wasm: `npm run build` (npm test runs it).

const PARAMS: MlpParams = { hidden: 16, epochs: 30, batchSize: 16, learningRate: 0.01, weightDecay: 0.01 };
const DIGITS = fileURLToPath(new URL('../../../challenges/digits-selection/', import.meta.url));

/** n rows of d features in [-1, 1], labels from a linear rule (separable; integer PRNG only). */
function synthetic(n: number, d: number, classes: number, seed: number): MlpData {
  const next = seededUint32(seed);
  const x = new Float64Array(n * d);
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    let best = 0;
    let bestScore = -Infinity;
    for (let j = 0; j < d; j++) x[i * d + j] = ((next() % 2001) - 1000) / 1000;
    for (let c = 0; c < classes; c++) {
      let score = 0;
      for (let j = 0; j < d; j++) score += x[i * d + j] * (((j * 7 + c * 3) % 5) - 2);
      if (score > bestScore) [best, bestScore] = [c, score];
    }
    y[i] = best;
  }
  return { x, y, n, d, classes };
}

function accuracy(model: MlpModel, { x, y, n }: Pick<MlpData, 'x' | 'y' | 'n'>): number {
  const predicted = predictMlp(model, x, n);
  return predicted.reduce((hits, p, i) => hits + (p === y[i] ? 1 : 0), 0) / n;
}

function bytes(m: MlpWeights): Buffer {
  return Buffer.concat([m.w1, m.b1, m.w2, m.b2].map((a) => Buffer.from(a.buffer, a.byteOffset, a.byteLength)));
}

/** The mean softmax cross-entropy in plain JS (host Math: for comparisons only). */
function referenceLoss(model: MlpModel, { x, y, n, d }: MlpData): number {
  const { hidden, classes, w1, b1, w2, b2 } = model;
  let total = 0;
  for (let i = 0; i < n; i++) {
    const h = Array.from({ length: hidden }, (_, o) => {
      let s = b1[o];
      for (let j = 0; j < d; j++) s += w1[o * d + j] * x[i * d + j];
      return Math.max(s, 0);
    });
    const z = Array.from({ length: classes }, (_, c) => h.reduce((s, v, o) => s + v * w2[c * hidden + o], b2[c]));
    const top = Math.max(...z);
    total += top + Math.log(z.reduce((s, v) => s + Math.exp(v - top), 0)) - z[y[i]];
  }
  return total / n;
}

describe('fitMlp', () => {
  it('is deterministic: two fits give bit-identical weights and predictions', () => {
    const data = synthetic(203, 9, 4, 1);
    const a = fitMlp(data, PARAMS, 5);
    const b = fitMlp(data, PARAMS, 5);
    expect(bytes(b).equals(bytes(a))).toBe(true);
    expect(b.loss).toBe(a.loss);
    expect(Array.from(predictMlp(b, data.x, data.n))).toEqual(Array.from(predictMlp(a, data.x, data.n)));
  });

  it('gives other weights for another seed', () => {
    const data = synthetic(50, 4, 3, 2);
    const a = fitMlp(data, { ...PARAMS, epochs: 1 }, 1);
    const b = fitMlp(data, { ...PARAMS, epochs: 1 }, 2);
    expect(a.w1.some((v, i) => v !== b.w1[i])).toBe(true);
    expect(a.w2.some((v, i) => v !== b.w2[i])).toBe(true);
  });

  it('gives the recorded bits on every machine (the numeric contract of MLP_VERSION)', () => {
    // If this fingerprint changes, the fixed model's numbers changed: scores on the
    // leaderboard would no longer be reproducible. Bump MLP_VERSION in mlp.ts and record
    // the new value here, or find what broke determinism (e.g. another CPU).
    const fingerprint = (m: MlpModel) => createHash('sha256').update(bytes(m)).digest('hex');
    expect(fingerprint(fitMlp(synthetic(203, 9, 4, 1), PARAMS, 5))).toBe('c5d684c1302006fddb3114b0eb7285aeb38b6985d8055ef78dd50fe3b35b8452');
    expect(fingerprint(fitMlp(synthetic(77, 5, 2, 2), { ...PARAMS, hidden: 5, batchSize: 13 }, 0))).toBe('071e7594ebf7674fb23ce16bb36837dafacda832bc2d9a406ebf31878dfe2543');
  });

  it('learns a separable problem (train accuracy >= 0.9), one step per batch', () => {
    const data = synthetic(300, 10, 3, 3);
    const model = fitMlp(data, PARAMS, 1);
    expect(model.iterations).toBe(30 * Math.ceil(300 / 16));
    expect(accuracy(model, data)).toBeGreaterThanOrEqual(0.9);
    expect(model.loss).toBeLessThan(0.3);
  });

  it('learns the digits challenge from 500 pool rows (test accuracy >= 0.85)', () => {
    const pool = readChallengeCsv(`${DIGITS}pool.csv.gz`);
    const test = readChallengeCsv(`${DIGITS}test.csv.gz`);
    const train = takeRows(pool, seededSelection(pool.n, 500, 1));
    const model = fitMlp({ ...train, classes: 10 }, { hidden: 32, epochs: 40, batchSize: 32, learningRate: 0.003, weightDecay: 0.01 }, 1);
    expect(accuracy(model, train)).toBeGreaterThanOrEqual(0.97);
    expect(accuracy(model, test)).toBeGreaterThanOrEqual(0.85);
  });

  it('outputs all the label set’s classes, also those absent from the training labels', () => {
    const data = synthetic(120, 4, 3, 4);
    const sparse: MlpData = { ...data, y: data.y.map((c) => [0, 2, 5][c]), classes: 6 };
    const model = fitMlp(sparse, PARAMS, 3);
    expect(model.w2).toHaveLength(6 * 16);
    expect(model.b2).toHaveLength(6);
    const predicted = new Set(predictMlp(model, sparse.x, sparse.n));
    expect([...predicted].every((c) => [0, 2, 5].includes(c))).toBe(true);
    expect(accuracy(model, sparse)).toBeGreaterThanOrEqual(0.9);
  });

  it('takes one full-batch step when batchSize >= n', () => {
    const model = fitMlp(synthetic(10, 3, 2, 5), { ...PARAMS, epochs: 3, batchSize: 64 }, 1);
    expect(model.iterations).toBe(3);
  });

  it.each([
    { what: 'no rows', d: { x: new Float64Array(0), y: new Int32Array(0), n: 0, d: 2, classes: 2 }, error: /need at least one training row, got n = 0/ },
    { what: 'a label outside the label set', d: { ...synthetic(4, 1, 2, 1), y: Int32Array.from([0, 1, 4, 0]) }, error: /label 4 at row 2 is outside 0..1/ },
    { what: 'a negative label', d: { ...synthetic(4, 1, 2, 1), y: Int32Array.from([0, -1, 1, 0]) }, error: /label -1 at row 1/ },
    { what: 'a non-finite feature', d: { ...synthetic(4, 2, 2, 1), x: Float64Array.from([0, 1, 2, 3, Number.POSITIVE_INFINITY, 0, 1, 1]) }, error: /training feature 0 of row 2 is Infinity/ },
    { what: 'a NaN feature', d: { ...synthetic(4, 2, 2, 1), x: Float64Array.from([0, 1, 2, Number.NaN, 0, 0, 1, 1]) }, error: /training feature 1 of row 1 is NaN/ },
    { what: 'a size mismatch', d: { ...synthetic(4, 2, 2, 1), n: 5 }, error: /expected n × d = 5 × 2/ },
    { what: 'a label count mismatch', d: { ...synthetic(4, 2, 2, 1), y: new Int32Array(3) }, error: /3 training labels for 4 rows/ },
    { what: 'a single-class label set', d: { ...synthetic(4, 2, 2, 1), classes: 1 }, error: /at least 2 classes, got 1/ },
  ])('refuses $what', ({ d, error }) => {
    expect(() => fitMlp(d, PARAMS, 1)).toThrow(error);
  });

  it.each([
    [{ hidden: 0 }, /hidden must be a positive integer, got 0/],
    [{ hidden: 2.5 }, /hidden must be a positive integer/],
    [{ epochs: 0 }, /epochs must be a positive integer/],
    [{ batchSize: -1 }, /batchSize must be a positive integer/],
    [{ batchSize: Number.NaN }, /batchSize must be a positive integer/],
    [{ learningRate: 0 }, /learningRate must be a positive number/],
    [{ learningRate: Number.POSITIVE_INFINITY }, /learningRate must be a positive number/],
    [{ weightDecay: -0.1 }, /weightDecay must be a number >= 0/],
  ] as const)('refuses the parameters %p', (bad, error) => {
    expect(() => fitMlp(synthetic(4, 2, 2, 1), { ...PARAMS, ...bad }, 1)).toThrow(error);
  });

  it.each([-1, 0.5])('refuses the seed %p', (seed) => {
    expect(() => fitMlp(synthetic(4, 2, 2, 1), PARAMS, seed)).toThrow(/seed must be an integer/);
  });

  it('refuses to return a diverged model', () => {
    expect(() => fitMlp(synthetic(40, 3, 2, 1), { ...PARAMS, learningRate: 1e300 }, 1)).toThrow(/training diverged/);
  });
});

describe('predictMlp', () => {
  const model = (w2: number[], b2: number[]): MlpModel => ({
    d: 1,
    hidden: 1,
    classes: 3,
    w1: Float64Array.from([1]),
    b1: Float64Array.from([0]),
    w2: Float64Array.from(w2),
    b2: Float64Array.from(b2),
  });

  it('is the argmax of the logits, the lowest class index on ties', () => {
    // logits for input v: relu(v)·w2 + b2
    const m = model([0, 1, 1], [0, -1, -1]);
    expect(Array.from(predictMlp(m, Float64Array.from([0, 0.5, 2, -3]), 4))).toEqual([0, 0, 1, 0]);
    expect(Array.from(predictMlp(m, Float64Array.from([1]), 1))).toEqual([0]); // all three logits 0
    expect(Array.from(predictMlp(model([0, 0, 1], [0, 0, 0]), Float64Array.from([1]), 1))).toEqual([2]);
  });

  it('gives each row the same class whatever the rows around it (blocks of 1024)', () => {
    const data = synthetic(2500, 6, 5, 7);
    const fitted = fitMlp({ ...data, n: 300, x: data.x.subarray(0, 300 * 6), y: data.y.subarray(0, 300) }, PARAMS, 2);
    const all = predictMlp(fitted, data.x, data.n);
    for (const [from, to] of [[0, 1], [1000, 1100], [2499, 2500], [5, 2000]]) {
      expect(Array.from(predictMlp(fitted, data.x.subarray(from * 6, to * 6), to - from))).toEqual(Array.from(all.subarray(from, to)));
    }
  });

  it('predicts no rows as an empty array', () => {
    expect(predictMlp(model([0, 1, 1], [0, 0, 0]), new Float64Array(0), 0)).toHaveLength(0);
  });

  it.each([
    { what: 'a size mismatch', x: Float64Array.from([1, 2]), n: 3, error: /test features hold 2 values, expected n × d = 3 × 1/ },
    { what: 'a non-finite feature', x: Float64Array.from([1, Number.NaN]), n: 2, error: /test feature 0 of row 1 is NaN/ },
  ])('refuses $what', ({ x, n, error }) => {
    expect(() => predictMlp(model([0, 1, 1], [0, 0, 0]), x, n)).toThrow(error);
  });

  it('refuses a model whose arrays do not match its sizes', () => {
    expect(() => predictMlp({ ...model([0, 1, 1], [0, 0, 0]), b2: new Float64Array(2) }, Float64Array.from([1]), 1)).toThrow(
      /model b2 holds 2 values, expected 3/,
    );
  });
});

describe('mlpLossGradient', () => {
  // A tiny net whose every size needs padding: 5 hidden units (to 8), 3 classes (to 4),
  // 7 rows (to 8).
  const data = synthetic(7, 3, 3, 9);
  const random = seededUint32(4);
  const draw = (length: number) => Float64Array.from({ length }, () => ((random() % 2001) - 1000) / 1000);
  const model: MlpModel = { d: 3, hidden: 5, classes: 3, w1: draw(15), b1: draw(5), w2: draw(15), b2: draw(3) };

  it('is the mean softmax cross-entropy', () => {
    expect(mlpLossGradient(model, data).loss).toBeCloseTo(referenceLoss(model, data), 13);
  });

  it('matches central finite differences for every parameter', () => {
    const { grad } = mlpLossGradient(model, data);
    const step = 1e-6;
    for (const name of ['w1', 'b1', 'w2', 'b2'] as const) {
      for (let i = 0; i < model[name].length; i++) {
        const at = (delta: number) => {
          const moved = model[name].slice();
          moved[i] += delta;
          return mlpLossGradient({ ...model, [name]: moved }, data).loss;
        };
        const numeric = (at(step) - at(-step)) / (2 * step);
        if (Math.abs(numeric - grad[name][i]) > 1e-8) throw new Error(`∂loss/∂${name}[${i}] = ${grad[name][i]}, finite differences ${numeric}`);
      }
    }
    expect(grad.b2.reduce((s, v) => s + v, 0)).toBeCloseTo(0, 14); // softmax rows sum to 1
  });

  it('refuses data of another shape than the model', () => {
    expect(() => mlpLossGradient(model, synthetic(7, 4, 3, 9))).toThrow(/data with d = 4, 3 classes for a model with d = 3, 3 classes/);
  });
});
