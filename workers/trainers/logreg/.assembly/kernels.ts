// AssemblyScript source of the logistic-regression kernels (compiled to WebAssembly by
// `npm run build:wasm`, output dist/workers/trainers/logreg/kernels.wasm).
//
// Why this folder starts with a dot: the Node program's tsconfig includes `workers/`,
// and TypeScript's include globs skip dot-folders; AssemblyScript is not TypeScript
// (v128, usize, load<T>), so it must stay out of that program. The tsconfig.json here
// gives editors and ESLint the AssemblyScript types.
//
// Determinism: only standard WebAssembly f64 and f64x2 arithmetic (add, mul, div,
// compare) in a fixed order, and AssemblyScript's own exp/log/log1p (ports of musl,
// compiled into the module, no host Math). No relaxed-simd, no FMA. The same inputs
// give the same bits on every x86-64 and arm64 machine. Changing anything here changes
// the numbers the fixed model produces: bump LOGREG_VERSION in logreg.ts.
//
// Memory is managed by the host (wasm-kernels.ts): it lays out the arrays above
// heapBase() and passes byte offsets.

/** a + x * w, as separate multiply and add (never fused). */
@inline function madd(a: v128, x: v128, w: v128): v128 {
  return f64x2.add(a, f64x2.mul(x, w));
}

/** First byte the host may use. */
export function heapBase(): usize {
  return __heap_base;
}

// C = init + A · M, where
//   A: rows × inner, row-major (rows must be a multiple of 8; pad with zero rows),
//   M: inner × kp, row-major, kp even (columns come in f64x2 "chunks"),
//   init: a kp-vector added to every row of C, or 0 for none,
//   C: rows × kp, row-major.
// The columns are covered by register tiles: 2 rows × 4 chunks while at least 4
// chunks remain, then 4 rows × 2 chunks, then 8 rows × 1 chunk. Each output element
// is summed over t = 0..inner-1 in order, so the result does not depend on the tiling.
export function gemm(a: usize, rows: i32, inner: i32, m: usize, kp: i32, init: usize, c: usize): void {
  const chunks = kp >> 1;
  let c0 = 0;
  while (c0 < chunks) {
    const left = chunks - c0;
    if (left >= 4) {
      tile2x4(a, rows, inner, m, kp, c0, init, c);
      c0 += 4;
    } else if (left >= 2) {
      tile4x2(a, rows, inner, m, kp, c0, init, c);
      c0 += 2;
    } else {
      tile8x1(a, rows, inner, m, kp, c0, init, c);
      c0 += 1;
    }
  }
}

function tile2x4(a: usize, rows: i32, inner: i32, m: usize, kp: i32, c0: i32, init: usize, c: usize): void {
  const ms = <usize>kp << 3;
  const co = <usize>c0 << 4;
  const as = <usize>inner << 3;
  let b0 = f64x2.splat(0), b1 = b0, b2 = b0, b3 = b0;
  if (init != 0) {
    const bp = init + co;
    b0 = v128.load(bp); b1 = v128.load(bp, 16); b2 = v128.load(bp, 32); b3 = v128.load(bp, 48);
  }
  for (let r = 0; r < rows; r += 2) {
    let p0 = b0, p1 = b1, p2 = b2, p3 = b3;
    let q0 = b0, q1 = b1, q2 = b2, q3 = b3;
    let ap = a + <usize>r * as;
    let mp = m + co;
    for (let t = 0; t < inner; t++) {
      const x0 = v128.load64_splat(ap);
      const x1 = v128.load64_splat(ap + as);
      const w0 = v128.load(mp), w1 = v128.load(mp, 16), w2 = v128.load(mp, 32), w3 = v128.load(mp, 48);
      p0 = madd(p0, x0, w0); p1 = madd(p1, x0, w1); p2 = madd(p2, x0, w2); p3 = madd(p3, x0, w3);
      q0 = madd(q0, x1, w0); q1 = madd(q1, x1, w1); q2 = madd(q2, x1, w2); q3 = madd(q3, x1, w3);
      ap += 8;
      mp += ms;
    }
    const cp = c + <usize>r * ms + co;
    v128.store(cp, p0); v128.store(cp, p1, 16); v128.store(cp, p2, 32); v128.store(cp, p3, 48);
    const cq = cp + ms;
    v128.store(cq, q0); v128.store(cq, q1, 16); v128.store(cq, q2, 32); v128.store(cq, q3, 48);
  }
}

function tile4x2(a: usize, rows: i32, inner: i32, m: usize, kp: i32, c0: i32, init: usize, c: usize): void {
  const ms = <usize>kp << 3;
  const co = <usize>c0 << 4;
  const as = <usize>inner << 3;
  let b0 = f64x2.splat(0), b1 = b0;
  if (init != 0) {
    b0 = v128.load(init + co); b1 = v128.load(init + co, 16);
  }
  for (let r = 0; r < rows; r += 4) {
    let p0 = b0, p1 = b1, q0 = b0, q1 = b1, s0 = b0, s1 = b1, u0 = b0, u1 = b1;
    let ap = a + <usize>r * as;
    let mp = m + co;
    for (let t = 0; t < inner; t++) {
      const w0 = v128.load(mp), w1 = v128.load(mp, 16);
      const x0 = v128.load64_splat(ap);
      p0 = madd(p0, x0, w0); p1 = madd(p1, x0, w1);
      const x1 = v128.load64_splat(ap + as);
      q0 = madd(q0, x1, w0); q1 = madd(q1, x1, w1);
      const x2 = v128.load64_splat(ap + 2 * as);
      s0 = madd(s0, x2, w0); s1 = madd(s1, x2, w1);
      const x3 = v128.load64_splat(ap + 3 * as);
      u0 = madd(u0, x3, w0); u1 = madd(u1, x3, w1);
      ap += 8;
      mp += ms;
    }
    let cp = c + <usize>r * ms + co;
    v128.store(cp, p0); v128.store(cp, p1, 16); cp += ms;
    v128.store(cp, q0); v128.store(cp, q1, 16); cp += ms;
    v128.store(cp, s0); v128.store(cp, s1, 16); cp += ms;
    v128.store(cp, u0); v128.store(cp, u1, 16);
  }
}

function tile8x1(a: usize, rows: i32, inner: i32, m: usize, kp: i32, c0: i32, init: usize, c: usize): void {
  const ms = <usize>kp << 3;
  const co = <usize>c0 << 4;
  const as = <usize>inner << 3;
  let b0 = f64x2.splat(0);
  if (init != 0) b0 = v128.load(init + co);
  for (let r = 0; r < rows; r += 8) {
    let p0 = b0, p1 = b0, p2 = b0, p3 = b0, p4 = b0, p5 = b0, p6 = b0, p7 = b0;
    let ap = a + <usize>r * as;
    let mp = m + co;
    for (let t = 0; t < inner; t++) {
      const w0 = v128.load(mp);
      p0 = madd(p0, v128.load64_splat(ap), w0);
      p1 = madd(p1, v128.load64_splat(ap + as), w0);
      p2 = madd(p2, v128.load64_splat(ap + 2 * as), w0);
      p3 = madd(p3, v128.load64_splat(ap + 3 * as), w0);
      p4 = madd(p4, v128.load64_splat(ap + 4 * as), w0);
      p5 = madd(p5, v128.load64_splat(ap + 5 * as), w0);
      p6 = madd(p6, v128.load64_splat(ap + 6 * as), w0);
      p7 = madd(p7, v128.load64_splat(ap + 7 * as), w0);
      ap += 8;
      mp += ms;
    }
    let cp = c + <usize>r * ms + co;
    v128.store(cp, p0); cp += ms; v128.store(cp, p1); cp += ms;
    v128.store(cp, p2); cp += ms; v128.store(cp, p3); cp += ms;
    v128.store(cp, p4); cp += ms; v128.store(cp, p5); cp += ms;
    v128.store(cp, p6); cp += ms; v128.store(cp, p7);
  }
}

// Multinomial log-loss (scikit-learn's HalfMultinomialLoss) of n rows of raw scores
// (n × kp; the first k columns are the classes) against labels y (int32, 0..k-1).
// Returns the SUM of the per-row losses log(Σ exp(raw)) - raw[y]; overwrites raw with
// the pointwise gradient softmax(raw) - onehot(y) and zeroes the padding columns.
export function multinomialLossGrad(raw: usize, n: i32, k: i32, kp: i32, y: usize): f64 {
  let total = 0.0;
  for (let i = 0; i < n; i++) {
    const rp = raw + ((<usize>i * <usize>kp) << 3);
    const py = rp + (<usize>load<i32>(y + (<usize>i << 2)) << 3);
    let top = load<f64>(rp);
    for (let j = 1; j < k; j++) {
      const v = load<f64>(rp + (<usize>j << 3));
      if (v > top) top = v;
    }
    const scoreY = load<f64>(py);
    let sum = 0.0;
    for (let j = 0; j < k; j++) {
      const p = rp + (<usize>j << 3);
      const e = Math.exp(load<f64>(p) - top);
      store<f64>(p, e);
      sum += e;
    }
    total += Math.log(sum) + top - scoreY;
    for (let j = 0; j < k; j++) {
      const p = rp + (<usize>j << 3);
      store<f64>(p, load<f64>(p) / sum);
    }
    store<f64>(py, load<f64>(py) - 1.0);
    for (let j = k; j < kp; j++) store<f64>(rp + (<usize>j << 3), 0.0);
  }
  return total;
}

// Binary log-loss (scikit-learn's HalfBinomialLoss) of n raw scores stored in column 0
// of an n × kp array, against labels y (int32, 0 or 1). Returns the SUM of
// log(1 + exp(z)) - y·z; overwrites column 0 with sigmoid(z) - y and zeroes the other
// columns.
export function binomialLossGrad(raw: usize, n: i32, kp: i32, y: usize): f64 {
  let total = 0.0;
  for (let i = 0; i < n; i++) {
    const rp = raw + ((<usize>i * <usize>kp) << 3);
    const z = load<f64>(rp);
    const label = <f64>load<i32>(y + (<usize>i << 2));
    let prob: f64;
    if (z >= 0) {
      const e = Math.exp(-z);
      total += z + Math.log1p(e) - label * z;
      prob = 1.0 / (1.0 + e);
    } else {
      const e = Math.exp(z);
      total += Math.log1p(e) - label * z;
      prob = e / (1.0 + e);
    }
    store<f64>(rp, prob - label);
    for (let j = 1; j < kp; j++) store<f64>(rp + (<usize>j << 3), 0.0);
  }
  return total;
}

// ---- Vector operations of the optimizer (n float64 at byte offsets) ----------------

/** Σ a[i]·b[i], as 4 interleaved partial sums (lanes of two f64x2), then the tail. */
export function dot(a: usize, b: usize, n: i32): f64 {
  let s0 = f64x2.splat(0), s1 = s0;
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 3;
    s0 = madd(s0, v128.load(a + o), v128.load(b + o));
    s1 = madd(s1, v128.load(a + o, 16), v128.load(b + o, 16));
  }
  const s = f64x2.add(s0, s1);
  let r = f64x2.extract_lane(s, 0) + f64x2.extract_lane(s, 1);
  for (; i < n; i++) {
    const o = <usize>i << 3;
    r += load<f64>(a + o) * load<f64>(b + o);
  }
  return r;
}

/** out[i] = y[i] + alpha·x[i] (out may be y). */
export function axpyInto(alpha: f64, x: usize, y: usize, out: usize, n: i32): void {
  const av = f64x2.splat(alpha);
  let i = 0;
  for (; i + 2 <= n; i += 2) {
    const o = <usize>i << 3;
    v128.store(out + o, madd(v128.load(y + o), av, v128.load(x + o)));
  }
  for (; i < n; i++) {
    const o = <usize>i << 3;
    store<f64>(out + o, load<f64>(y + o) + alpha * load<f64>(x + o));
  }
}

/** out[i] = alpha·x[i] (out may be x). */
export function scaleInto(alpha: f64, x: usize, out: usize, n: i32): void {
  const av = f64x2.splat(alpha);
  let i = 0;
  for (; i + 2 <= n; i += 2) {
    const o = <usize>i << 3;
    v128.store(out + o, f64x2.mul(av, v128.load(x + o)));
  }
  for (; i < n; i++) {
    const o = <usize>i << 3;
    store<f64>(out + o, alpha * load<f64>(x + o));
  }
}

/** max |x[i]|; NaN when any x[i] is NaN. */
export function maxAbs(x: usize, n: i32): f64 {
  let m = 0.0;
  for (let i = 0; i < n; i++) {
    const v = Math.abs(load<f64>(x + (<usize>i << 3)));
    if (v > m || v != v) m = v; // a NaN sticks
  }
  return m;
}
