import { createHash } from 'node:crypto';

import { seededUint32 } from '../testing/datasets.js';
import { fitLogReg, predictLogReg, type LogRegData, type LogRegModel } from './logreg.js';

// Needs dist/workers/trainers/logreg/kernels.wasm: `npm run build` (npm test runs it).

const PARAMS = { C: 1, maxIter: 200, tol: 1e-4 };

function data(rows: number[][], labels: number[], classes: number): LogRegData {
  return { x: Float64Array.from(rows.flat()), y: Int32Array.from(labels), n: rows.length, d: rows[0].length, classes };
}

/** n rows of d features in [-4, 4] and labels from a noisy linear rule (integer PRNG only). */
function synthetic(n: number, d: number, classes: number, seed: number): LogRegData {
  const next = seededUint32(seed);
  const x = new Float64Array(n * d);
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    let best = 0;
    let bestScore = -Infinity;
    for (let j = 0; j < d; j++) x[i * d + j] = ((next() % 2001) - 1000) / 250;
    for (let c = 0; c < classes; c++) {
      let score = 0;
      for (let j = 0; j < d; j++) score += x[i * d + j] * (((j + c) % 3) - 1);
      if (score > bestScore) [best, bestScore] = [c, score];
    }
    y[i] = next() % 4 === 0 ? next() % classes : best;
  }
  return { x, y, n, d, classes };
}

/** scikit-learn's objective Σ log-loss + ‖W‖²/(2C), in plain JS, for a fitted model. */
function objectiveOf(model: LogRegModel, { x, y, n, d }: LogRegData, C: number): number {
  const rows = model.intercept.length;
  let total = 0;
  for (let i = 0; i < n; i++) {
    const z = Array.from({ length: rows }, (_, c) => {
      let s = model.intercept[c];
      for (let j = 0; j < d; j++) s += x[i * d + j] * model.coef[c * d + j];
      return s;
    });
    if (rows === 1) {
      const positive = y[i] === model.classes[1] ? 1 : 0;
      total += Math.max(z[0], 0) + Math.log1p(Math.exp(-Math.abs(z[0]))) - positive * z[0];
    } else {
      const top = Math.max(...z);
      const label = model.classes.indexOf(y[i]);
      total += top + Math.log(z.reduce((s, v) => s + Math.exp(v - top), 0)) - z[label];
    }
  }
  return total + model.coef.reduce((s, v) => s + v * v, 0) / (2 * C);
}

// Fixtures and expectations from scikit-learn 1.2.1:
// LogisticRegression(C=C, max_iter=200, tol=1e-4).fit(X, y) → coef_, intercept_, n_iter_,
// predict(PROBE).
const MULTI_X = [
  [0.0, 0.0], [0.5, 0.2], [1.0, 0.1], [0.2, 0.9], [2.0, 2.1], [2.5, 1.8],
  [1.9, 2.6], [2.2, 2.2], [0.1, 2.0], [0.4, 2.5], [-0.2, 2.2], [1.0, 1.0],
];
const MULTI_Y = [0, 0, 0, 3, 1, 1, 1, 1, 3, 3, 3, 0]; // class 2 of 0..3 is absent
const BINARY_X = [[0.0, 1.0], [1.0, 0.5], [0.5, 0.0], [2.0, 2.0], [2.5, 1.0], [1.5, 2.5], [1.0, 1.0], [2.0, 0.5]];
const BINARY_Y = [2, 2, 2, 5, 5, 5, 5, 2]; // classes 2 and 5 of 0..5
const PROBE = [[0.3, 0.3], [2.2, 2.0], [0.0, 2.4], [1.2, 1.2], [1.5, 0.0]];

describe('fitLogReg against scikit-learn 1.2', () => {
  it.each([
    {
      C: 1,
      coef: [[-0.06495904835495808, -1.1291335993146157], [1.1113371386042876, 0.5683109083830752], [-1.0463780902493296, 0.5608226909315408]],
      intercept: [1.7398875364700443, -2.082496163604799, 0.3426086271347558],
      iterations: 15,
    },
    {
      C: 0.1,
      coef: [[-0.07294818757202422, -0.33099617285804256], [0.3369583513357313, 0.1838358553498734], [-0.2640101637637071, 0.14716031750816913]],
      intercept: [0.5543188001025683, -0.6193903742698308, 0.06507157416726228],
      iterations: 13,
    },
  ])('multinomial on the present classes {0, 1, 3} of 4 (C = $C)', ({ C, coef, intercept, iterations }) => {
    const model = fitLogReg(data(MULTI_X, MULTI_Y, 4), { ...PARAMS, C });
    expect(Array.from(model.classes)).toEqual([0, 1, 3]);
    expect(model.iterations).toBe(iterations);
    coef.flat().forEach((v, i) => expect(model.coef[i]).toBeCloseTo(v, 8));
    intercept.forEach((v, i) => expect(model.intercept[i]).toBeCloseTo(v, 8));
    expect(Array.from(predictLogReg(model, Float64Array.from(PROBE.flat()), PROBE.length))).toEqual([0, 1, 3, 0, 0]);
  });

  it('binary when exactly two classes are present: one weight row, the larger class positive', () => {
    const model = fitLogReg(data(BINARY_X, BINARY_Y, 6), PARAMS);
    expect(Array.from(model.classes)).toEqual([2, 5]);
    expect(model.coef).toHaveLength(2); // 1 row × 2 features
    expect(model.intercept).toHaveLength(1);
    expect(model.iterations).toBe(7);
    expect(model.coef[0]).toBeCloseTo(0.659803232683236, 8);
    expect(model.coef[1]).toBeCloseTo(1.0129459645529095, 8);
    expect(model.intercept[0]).toBeCloseTo(-1.9251336982592222, 8);
    expect(Array.from(predictLogReg(model, Float64Array.from(PROBE.flat()), PROBE.length))).toEqual([2, 5, 5, 5, 2]);
  });
});

describe('fitLogReg', () => {
  it('separates well-separated clusters, predicting global class indices', () => {
    const centers: Record<number, [number, number]> = { 1: [4, 0], 4: [0, 4], 6: [-4, -4] };
    const rows: number[][] = [];
    const labels: number[] = [];
    for (const [label, [cx, cy]] of Object.entries(centers)) {
      for (let k = 0; k < 10; k++) {
        rows.push([cx + ((k % 3) - 1) * 0.3, cy + ((k % 4) - 1.5) * 0.2]);
        labels.push(Number(label));
      }
    }
    const model = fitLogReg(data(rows, labels, 8), PARAMS);
    expect(model.converged).toBe(true);
    expect(Array.from(model.classes)).toEqual([1, 4, 6]);
    expect(Array.from(predictLogReg(model, Float64Array.from(rows.flat()), rows.length))).toEqual(labels);
    expect(Array.from(predictLogReg(model, Float64Array.from([5, 0.5, -0.5, 6, -5, -3]), 3))).toEqual([1, 4, 6]);
  });

  it('only ever predicts the classes present in the training labels', () => {
    const full = synthetic(300, 6, 5, 11);
    const keep = Array.from(full.y.keys()).filter((i) => full.y[i] !== 1 && full.y[i] !== 3);
    const subset: LogRegData = {
      x: Float64Array.from(keep.flatMap((i) => Array.from(full.x.subarray(i * 6, i * 6 + 6)))),
      y: Int32Array.from(keep.map((i) => full.y[i])),
      n: keep.length,
      d: 6,
      classes: 5,
    };
    const model = fitLogReg(subset, PARAMS);
    expect(Array.from(model.classes)).toEqual([0, 2, 4]);
    expect(model.coef).toHaveLength(3 * 6);
    expect(new Set(predictLogReg(model, full.x, full.n))).toEqual(new Set([0, 2, 4]));
  });

  it('reports the objective scikit-learn minimizes (sum of log-losses + ‖W‖²/2C)', () => {
    for (const [classes, C] of [[2, 1], [3, 0.5], [7, 2]]) {
      const d = synthetic(157, 7, classes, 5);
      const model = fitLogReg(d, { ...PARAMS, C });
      expect(model.objective).toBeCloseTo(objectiveOf(model, d, C), 9);
    }
  });

  it('is deterministic: two fits give bit-identical coefficients', () => {
    const d = synthetic(203, 9, 4, 1);
    const a = fitLogReg(d, PARAMS);
    const b = fitLogReg(d, PARAMS);
    expect(Buffer.from(b.coef.buffer)).toEqual(Buffer.from(a.coef.buffer));
    expect(Buffer.from(b.intercept.buffer)).toEqual(Buffer.from(a.intercept.buffer));
    expect(b.iterations).toBe(a.iterations);
  });

  it('gives the recorded bits on every machine (the numeric contract of LOGREG_VERSION)', () => {
    // If this fingerprint changes, the fixed model's numbers changed: scores on the
    // leaderboard would no longer be reproducible. Bump LOGREG_VERSION in logreg.ts and
    // record the new value here, or find what broke determinism (e.g. another CPU).
    const fingerprint = (m: LogRegModel) =>
      createHash('sha256').update(Buffer.from(m.coef.buffer)).update(Buffer.from(m.intercept.buffer)).update(String(m.iterations)).digest('hex');
    expect(fingerprint(fitLogReg(synthetic(203, 9, 4, 1), PARAMS))).toBe('79e0e04efddca94b4487b28877cfa1636f2f46d041ba360382f2dbc729a4887e');
    expect(fingerprint(fitLogReg(synthetic(77, 5, 2, 2), PARAMS))).toBe('c9281e186aeffcaaf30f14490841154421c52b8d6db01873667872586c997524');
  });

  it('refuses a single present class', () => {
    expect(() => fitLogReg(data([[0], [1], [2]], [3, 3, 3], 5), PARAMS)).toThrow(/only class 3; at least 2 classes/);
  });

  it.each([
    { what: 'a label outside the label set', d: data([[0], [1]], [0, 4], 4), error: /label 4 at row 1 is outside 0..3/ },
    { what: 'a non-finite feature', d: data([[0], [Number.NaN]], [0, 1], 2), error: /feature 0 of row 1 is NaN/ },
    { what: 'a size mismatch', d: { ...data([[0], [1]], [0, 1], 2), n: 3 }, error: /expected n × d = 3 × 1/ },
  ])('refuses $what', ({ d, error }) => {
    expect(() => fitLogReg(d, PARAMS)).toThrow(error);
  });

  it.each([{ C: 0 }, { maxIter: 0 }, { maxIter: 1.5 }, { tol: -1 }])('refuses the parameters %p', (bad) => {
    expect(() => fitLogReg(data([[0], [1]], [0, 1], 2), { ...PARAMS, ...bad })).toThrow(/logreg: (C|maxIter|tol)/);
  });
});
