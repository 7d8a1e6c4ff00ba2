import { AdamW } from './adamw.js';

describe('AdamW', () => {
  it('takes the hand-computed first step: p·(1 - lr·wd) - lr·g/(|g| + eps)', () => {
    // Step 1: m = 0.1·g, v = 0.001·g², bias corrections 0.1 and √0.001, so
    // m̂ / (√v̂ + eps) = g / (|g| + eps).
    const p = Float64Array.from([1, -2, 0.5]);
    const g = Float64Array.from([0.1, -0.3, 0]);
    const opt = new AdamW(3, { learningRate: 0.01, weightDecay: 0.1 });
    opt.update(p, g);
    expect(opt.step).toBe(1);
    expect(p[0]).toBeCloseTo(1 * 0.999 - (0.01 * 0.1) / (0.1 + 1e-8), 15);
    expect(p[1]).toBeCloseTo(-2 * 0.999 + (0.01 * 0.3) / (0.3 + 1e-8), 15);
    expect(p[2]).toBe(0.5 * 0.999); // no gradient: only the decay
    expect(Array.from(opt.m)).toEqual([0.1 * (1 - 0.9), -0.3 * (1 - 0.9), 0]);
  });

  it('takes the hand-computed second step (bias corrections 1 - 0.9², 1 - 0.999²)', () => {
    const p = Float64Array.from([0.3]);
    const opt = new AdamW(1, { learningRate: 0.1, weightDecay: 0.5 });
    opt.update(p, Float64Array.from([2]));
    const p1 = 0.3 * 0.95 - (0.1 * 2) / (2 + 1e-8);
    expect(p[0]).toBeCloseTo(p1, 15);
    opt.update(p, Float64Array.from([-1]));
    // m = 0.1·(0.9·2 - 1) = 0.08, v = 0.001·(0.999·4 + 1) = 0.004996
    const m = 0.08;
    const v = 0.004996;
    const mHat = m / (1 - 0.81);
    const vHat = v / (1 - 0.998001);
    expect(opt.m[0]).toBeCloseTo(m, 15);
    expect(opt.v[0]).toBeCloseTo(v, 15);
    expect(p[0]).toBeCloseTo(p1 * 0.95 - (0.1 * mHat) / (Math.sqrt(vHat) + 1e-8), 14);
  });

  it('leaves a zero parameter with zero gradients at zero (padding stays inert)', () => {
    const p = new Float64Array(4);
    const opt = new AdamW(4, { learningRate: 0.1, weightDecay: 0.1 });
    for (let t = 0; t < 5; t++) opt.update(p, new Float64Array(4));
    expect(Array.from(p)).toEqual([0, 0, 0, 0]);
  });
});
