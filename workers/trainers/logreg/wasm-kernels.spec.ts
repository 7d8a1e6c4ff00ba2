import { seededUint32 } from '../testing/datasets.js';
import { WasmKernels } from './wasm-kernels.js';

// Needs dist/workers/trainers/logreg/kernels.wasm: `npm run build` (npm test runs it).

const kernels = WasmKernels.shared('model');

function randomValues(count: number, seed: number, scale = 1): Float64Array {
  const next = seededUint32(seed);
  return Float64Array.from({ length: count }, () => ((next() % 20001) - 10000) / (10000 / scale));
}

/** The distance in units in the last place between two doubles of the same sign. */
function ulps(a: number, b: number): number {
  const view = new DataView(new ArrayBuffer(16));
  view.setFloat64(0, a);
  view.setFloat64(8, b);
  return Number(view.getBigInt64(0) - view.getBigInt64(8)) * (a < 0 ? -1 : 1);
}

describe('WasmKernels', () => {
  it.each([
    { rows: 8, inner: 1, kp: 2 },
    { rows: 16, inner: 7, kp: 4 },
    { rows: 104, inner: 64, kp: 10 },
    { rows: 24, inner: 100, kp: 6 },
    { rows: 40, inner: 13, kp: 12 },
    { rows: 64, inner: 1000, kp: 10 },
  ])('gemm gives init + Σ_t A[r,t]·M[t,c] summed in order, bit for bit ($rows × $inner × $kp)', ({ rows, inner, kp }) => {
    const a = randomValues(rows * inner, rows + inner);
    const m = randomValues(inner * kp, kp);
    const init = randomValues(kp, 7);
    const [aAt, atAt, mAt, initAt, cAt] = kernels.reserve([rows * inner * 8 + 64, inner * rows * 8 + 64, inner * kp * 8, kp * 8, rows * kp * 8]);
    kernels.f64(aAt, rows * inner).set(a);
    kernels.transpose(aAt, rows, inner, atAt, rows);
    kernels.f64(mAt, inner * kp).set(m);
    kernels.f64(initAt, kp).set(init);
    kernels.gemm(aAt, atAt, rows, rows, inner, mAt, kp, initAt, cAt);
    const c = kernels.f64(cAt, rows * kp);
    for (let r = 0; r < rows; r++) {
      for (let k = 0; k < kp; k++) {
        let s = init[k];
        for (let t = 0; t < inner; t++) s += a[r * inner + t] * m[t * kp + k];
        if (c[r * kp + k] !== s) throw new Error(`C[${r},${k}] = ${c[r * kp + k]}, expected ${s}`);
      }
    }
  });

  it('transpose', () => {
    const src = randomValues(5 * 3, 1);
    const [sAt, dAt] = kernels.reserve([15 * 8, 3 * 8 * 8]);
    kernels.f64(sAt, 15).set(src);
    kernels.transpose(sAt, 5, 3, dAt, 8);
    const dst = kernels.f64(dAt, 24);
    for (let i = 0; i < 5; i++) for (let j = 0; j < 3; j++) expect(dst[j * 8 + i]).toBe(src[i * 3 + j]);
  });

  it('multinomialLossGrad: log-loss, softmax - onehot, zero padding, column sums', () => {
    const n = 13;
    const k = 5;
    const kp = 6;
    const raw = randomValues(n * kp, 3, 8);
    const labels = Int32Array.from({ length: n }, (_, i) => (i * 3) % k);
    const [rawAt, yAt, sumsAt] = kernels.reserve([n * kp * 8, n * 4, kp * 8]);
    kernels.f64(rawAt, n * kp).set(raw);
    kernels.i32(yAt, n).set(labels);
    const loss = kernels.multinomialLossGrad(rawAt, n, k, kp, yAt, sumsAt);
    const grad = kernels.f64(rawAt, n * kp);
    let expected = 0;
    const sums = new Float64Array(kp);
    for (let i = 0; i < n; i++) {
      const z = Array.from(raw.subarray(i * kp, i * kp + k));
      const total = z.reduce((s, v) => s + Math.exp(v), 0);
      expected += Math.log(total) - z[labels[i]];
      for (let c = 0; c < k; c++) {
        const g = Math.exp(z[c]) / total - (c === labels[i] ? 1 : 0);
        expect(grad[i * kp + c]).toBeCloseTo(g, 14);
        sums[c] += grad[i * kp + c];
      }
      expect(grad[i * kp + k]).toBe(0);
    }
    expect(loss).toBeCloseTo(expected, 11);
    const colSums = kernels.f64(sumsAt, kp);
    for (let c = 0; c < kp; c++) expect(colSums[c]).toBe(sums[c]);
  });

  it('binomialLossGrad: log(1 + e^z) - y·z and sigmoid(z) - y, also for large |z|', () => {
    const z = [-800, -40, -3, -0.5, 0, 0.5, 3, 40, 800];
    const labels = [0, 1, 1, 0, 1, 0, 1, 0, 1];
    const n = z.length;
    const [rawAt, yAt, sumsAt] = kernels.reserve([n * 2 * 8, n * 4, 16]);
    const raw = kernels.f64(rawAt, n * 2);
    z.forEach((v, i) => (raw[i * 2] = v));
    kernels.i32(yAt, n).set(labels);
    const loss = kernels.binomialLossGrad(rawAt, n, 2, yAt, sumsAt);
    let expected = 0;
    z.forEach((v, i) => {
      expected += Math.max(v, 0) + Math.log1p(Math.exp(-Math.abs(v))) - labels[i] * v;
      expect(raw[i * 2]).toBeCloseTo(1 / (1 + Math.exp(-v)) - labels[i], 15);
      expect(raw[i * 2 + 1]).toBe(0);
    });
    expect(loss).toBeCloseTo(expected, 10);
  });

  it('exp (softmax) is within 1 ulp of Math.exp and maps -Infinity, NaN and x < -708 to 0', () => {
    const x = Float64Array.from([...randomValues(4000, 9, 30).map((v) => -Math.abs(v)), ...randomValues(4000, 10, 700).map((v) => -Math.abs(v))]);
    const specials = [0, -0, -708, -708.5, -Infinity, Number.NaN, -1e-300, -Math.LN2 / 2];
    const all = Float64Array.from([...x, ...specials]);
    const [at] = kernels.reserve([all.length * 8]);
    kernels.f64(at, all.length).set(all);
    kernels.expNonPositive(at, all.length);
    const out = kernels.f64(at, all.length);
    for (let i = 0; i < x.length; i++) {
      if (x[i] < -708) expect(out[i]).toBe(0);
      else if (Math.abs(ulps(out[i], Math.exp(x[i]))) > 1) throw new Error(`exp(${x[i]}) = ${out[i]}, Math.exp gives ${Math.exp(x[i])}`);
    }
    expect(Array.from(out.subarray(x.length))).toEqual([1, 1, Math.exp(-708), 0, 0, 0, 1, Math.SQRT1_2]);
  });

  it('firstNonFinite', () => {
    const [at] = kernels.reserve([4 * 8]);
    const v = kernels.f64(at, 4);
    v.set([1, 2, 3, 4]);
    expect(kernels.firstNonFinite(at, 4)).toBe(-1);
    v[2] = -Infinity;
    expect(kernels.firstNonFinite(at, 4)).toBe(2);
    v[1] = Number.NaN;
    expect(kernels.firstNonFinite(at, 4)).toBe(1);
  });

  it('dot, axpyInto, scaleInto and maxAbs on odd lengths', () => {
    const a = randomValues(11, 1);
    const b = randomValues(11, 2);
    const [aAt, bAt, cAt] = kernels.reserve([88, 88, 88]);
    kernels.f64(aAt, 11).set(a);
    kernels.f64(bAt, 11).set(b);
    expect(kernels.dot(aAt, bAt, 11)).toBeCloseTo(a.reduce((s, v, i) => s + v * b[i], 0), 14);
    kernels.axpyInto(0.5, aAt, bAt, cAt, 11);
    kernels.f64(cAt, 11).forEach((v, i) => expect(v).toBe(b[i] + 0.5 * a[i]));
    kernels.scaleInto(-2, aAt, cAt, 11);
    kernels.f64(cAt, 11).forEach((v, i) => expect(v).toBe(-2 * a[i]));
    expect(kernels.maxAbs(aAt, 11)).toBe(Math.max(...a.map(Math.abs)));
  });
});
