// AssemblyScript source of the logistic-regression kernels (compiled to WebAssembly by
// `npm run build:wasm`, output dist/workers/trainers/logreg/kernels.wasm).
//
// Why this folder starts with a dot: the Node program's tsconfig includes `workers/`,
// and TypeScript's include globs skip dot-folders; AssemblyScript is not TypeScript
// (v128, usize, load<T>), so it must stay out of that program (ESLint skips dot-folders
// too). The tsconfig.json here gives editors the AssemblyScript types; asconfig.json
// holds the compiler options.
//
// Determinism: only standard WebAssembly f64 and f64x2 arithmetic (add, mul, div,
// compare, rounding) in a fixed order; exp is written out below (table-driven),
// log and log1p are AssemblyScript's own (musl ports compiled into the module, no host
// Math). No relaxed-simd, no FMA. The same inputs give the same bits on every x86-64
// and arm64 machine. Changing anything here changes the numbers the fixed model
// produces: bump LOGREG_VERSION in logreg.ts (its spec records a fingerprint).
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
//   A: rows × inner, row-major (rows a multiple of 8: pad with zero rows),
//   at: the same matrix transposed, inner × (≥ rows) with row stride atStride (may be
//       read up to 8 columns past `rows`: leave 64 bytes of slack after it),
//   M: inner × kp, row-major, kp even (columns come in f64x2 "chunks"),
//   init: a kp-vector added to every row of C, or 0 for none,
//   C: rows × kp, row-major.
// Register tiles: 2 rows × 4 chunks of C while 4 chunks remain (reading A), then one
// chunk at a time for 8 rows, two rows per f64x2 lane pair (reading at, where 8 rows
// are contiguous). Every element is init + Σ_t A[r,t]·M[t,c] summed over t in order,
// whichever tile computes it: the result does not depend on the tiling.
export function gemm(a: usize, at: usize, atStride: i32, rows: i32, inner: i32, m: usize, kp: i32, init: usize, c: usize): void {
  const chunks = kp >> 1;
  let c0 = 0;
  for (; c0 + 4 <= chunks; c0 += 4) tile2x4(a, rows, inner, m, kp, c0, init, c);
  for (; c0 < chunks; c0++) tileT8x1(at, atStride, rows, inner, m, kp, c0, init, c);
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

// One chunk (columns k, k+1) of C for 8 rows at a time: lanes hold rows (r+2j, r+2j+1),
// p* accumulate column k and q* column k+1, then a shuffle turns them back into rows.
function tileT8x1(at: usize, atStride: i32, rows: i32, inner: i32, m: usize, kp: i32, c0: i32, init: usize, c: usize): void {
  const ms = <usize>kp << 3;
  const co = <usize>c0 << 4;
  const ats = <usize>atStride << 3;
  let b0 = f64x2.splat(0), b1 = b0;
  if (init != 0) {
    b0 = v128.load64_splat(init + co);
    b1 = v128.load64_splat(init + co + 8);
  }
  for (let r = 0; r < rows; r += 8) {
    let p0 = b0, p1 = b0, p2 = b0, p3 = b0;
    let q0 = b1, q1 = b1, q2 = b1, q3 = b1;
    let ap = at + (<usize>r << 3);
    let mp = m + co;
    for (let t = 0; t < inner; t++) {
      const w0 = v128.load64_splat(mp), w1 = v128.load64_splat(mp + 8);
      const a0 = v128.load(ap), a1 = v128.load(ap, 16), a2 = v128.load(ap, 32), a3 = v128.load(ap, 48);
      p0 = madd(p0, a0, w0); p1 = madd(p1, a1, w0); p2 = madd(p2, a2, w0); p3 = madd(p3, a3, w0);
      q0 = madd(q0, a0, w1); q1 = madd(q1, a1, w1); q2 = madd(q2, a2, w1); q3 = madd(q3, a3, w1);
      ap += ats;
      mp += ms;
    }
    let cp = c + <usize>r * ms + co;
    v128.store(cp, v128.shuffle<f64>(p0, q0, 0, 2)); cp += ms;
    v128.store(cp, v128.shuffle<f64>(p0, q0, 1, 3)); cp += ms;
    v128.store(cp, v128.shuffle<f64>(p1, q1, 0, 2)); cp += ms;
    v128.store(cp, v128.shuffle<f64>(p1, q1, 1, 3)); cp += ms;
    v128.store(cp, v128.shuffle<f64>(p2, q2, 0, 2)); cp += ms;
    v128.store(cp, v128.shuffle<f64>(p2, q2, 1, 3)); cp += ms;
    v128.store(cp, v128.shuffle<f64>(p3, q3, 0, 2)); cp += ms;
    v128.store(cp, v128.shuffle<f64>(p3, q3, 1, 3));
  }
}

/** dst (cols × rows, row stride dstStride) = src (rows × cols, row-major) transposed. */
export function transpose(src: usize, rows: i32, cols: i32, dst: usize, dstStride: i32): void {
  const ds = <usize>dstStride << 3;
  for (let i = 0; i < rows; i++) {
    const sp = src + ((<usize>i * <usize>cols) << 3);
    const dp = dst + (<usize>i << 3);
    for (let j = 0; j < cols; j++) store<f64>(dp + <usize>j * ds, load<f64>(sp + (<usize>j << 3)));
  }
}

// exp(x) for two lanes at once, for x <= 0 (softmax arguments), without a division:
// x = (64·m + j)·ln2/64 + r with |r| <= ln2/128 (Cody-Waite, the split ln2 of fdlibm),
// exp(x) = 2^m · T[j] · (1 + q), T[j] = 2^(j/64) correctly rounded (table below) and
// q = exp(r) - 1 by its degree-5 Taylor polynomial (truncation < 0.2 ulp). 2^m is
// applied by adding m to the exponent bits. Error within 1 ulp of the exact value.
// Lanes below -708 (where 2^m would be subnormal), -Infinity and NaN give 0.
const LN2_HI_64 = 6.93147180369123816490e-01 / 64; // k·LN2_HI_64 is exact for |k| < 2^21
const LN2_LO_64 = 1.90821492927058770002e-10 / 64;
const INV_LN2_64 = 92.33248261689366; // 64 / ln 2
const SHIFTER = 6755399441055744.0; // 1.5·2^52: k + SHIFTER holds k in its low bits
const SHIFTER_BITS: i64 = 0x4338000000000000;
const EXP2_TABLE: StaticArray<f64> = [
  1.0, 1.0108892860517005, 1.0218971486541166, 1.0330248790212284,
  1.0442737824274138, 1.0556451783605572, 1.0671404006768237, 1.0787607977571199,
  1.0905077326652577, 1.102382583307841, 1.1143867425958924, 1.1265216186082418,
  1.1387886347566916, 1.1511892299529827, 1.1637248587775775, 1.1763969916502812,
  1.189207115002721, 1.202156731452703, 1.215247359980469, 1.22848053610687,
  1.241857812073484, 1.255380757024691, 1.2690509571917332, 1.2828700160787783,
  1.2968395546510096, 1.3109612115247644, 1.3252366431597413, 1.339667524053303,
  1.3542555469368927, 1.3690024229745905, 1.383909881963832, 1.3989796725383112,
  1.4142135623730951, 1.42961333839197, 1.4451808069770467, 1.460917794180647,
  1.4768261459394993, 1.4929077282912648, 1.5091644275934228, 1.5255981507445384,
  1.5422108254079407, 1.559004400237837, 1.5759808451078865, 1.593142151342267,
  1.6104903319492543, 1.6280274218573478, 1.645755478153965, 1.6636765803267364,
  1.681792830507429, 1.7001063537185235, 1.718619298122478, 1.7373338352737062,
  1.7562521603732995, 1.7753764925265212, 1.7947090750031072, 1.8142521755003989,
  1.8340080864093424, 1.8539791250833855, 1.8741676341103, 1.8945759815869656,
  1.9152065613971474, 1.9360617934922943, 1.9571441241754002, 1.978456026387951,
];

@inline function expNonPositive(x: v128): v128 {
  const kd = f64x2.nearest(f64x2.mul(x, f64x2.splat(INV_LN2_64)));
  const r = f64x2.sub(f64x2.sub(x, f64x2.mul(kd, f64x2.splat(LN2_HI_64))), f64x2.mul(kd, f64x2.splat(LN2_LO_64)));
  const k = i64x2.sub(f64x2.add(kd, f64x2.splat(SHIFTER)), i64x2.splat(SHIFTER_BITS));
  const j = v128.and(k, i64x2.splat(63));
  const table = changetype<usize>(EXP2_TABLE);
  let t = v128.load64_splat(table + (<usize>i64x2.extract_lane(j, 0) << 3));
  t = f64x2.replace_lane(t, 1, load<f64>(table + (<usize>i64x2.extract_lane(j, 1) << 3)));
  let p = madd(f64x2.splat(0.041666666666666664), r, f64x2.splat(0.008333333333333333)); // 1/24 + r/120
  p = madd(f64x2.splat(0.16666666666666666), r, p); // 1/6 + r·p
  p = madd(f64x2.splat(0.5), r, p); // 1/2 + r·p
  const q = madd(r, f64x2.mul(r, r), p); // r + r²·p
  const y = madd(t, t, q); // T[j]·(1 + q)
  // 2^m with m = (k - j) / 64: add (k - j) << 46 = m << 52 to the exponent field
  const scaled = i64x2.add(y, i64x2.shl(i64x2.sub(k, j), 46));
  return v128.and(scaled, f64x2.ge(x, f64x2.splat(-708.0)));
}

/** Exported for the kernels' tests: x[i] = exp(x[i]) for x[i] <= 0, n even. */
export function expNonPositiveArray(x: usize, n: i32): void {
  for (let i = 0; i < n; i += 2) {
    const p = x + (<usize>i << 3);
    v128.store(p, expNonPositive(v128.load(p)));
  }
}

// Multinomial log-loss (scikit-learn's HalfMultinomialLoss) of n rows of raw scores
// (n × kp; the first k columns are the classes, kp = k rounded up to even) against
// labels y (int32, 0..k-1). Returns the SUM over rows of log(Σ exp(raw)) - raw[y];
// overwrites raw with the pointwise gradient softmax(raw) - onehot(y) (0 in the padding
// column), and writes its column sums (the intercept gradient, rows summed in order)
// to colSums (kp values). Per row: top = max, e = exp(raw - top) two lanes at a time, s = Σ e (lane
// sums, then the two lanes), p = e · (1 / s). The logs of s are taken per 8 rows, of the
// product of their sums (each in [1, k]: no overflow), to save 7 logs in 8.
export function multinomialLossGrad(raw: usize, n: i32, k: i32, kp: i32, y: usize, colSums: usize): f64 {
  const chunks = kp >> 1;
  const rowBytes = <usize>kp << 3;
  const pad = (k & 1) != 0 ? raw + (<usize>k << 3) : 0; // the padding cell of row 0
  let shifts = 0.0; // Σ top - raw[y]
  let logs = 0.0; // Σ log(product of up to 8 sums)
  let product = 1.0;
  let inProduct = 0;
  for (let i = 0; i < n; i++) {
    const rp = raw + <usize>i * rowBytes;
    if (pad != 0) store<f64>(pad + <usize>i * rowBytes, -Infinity);
    let mx = v128.load(rp);
    for (let c = 1; c < chunks; c++) mx = f64x2.max(mx, v128.load(rp + (<usize>c << 4)));
    const top = Math.max(f64x2.extract_lane(mx, 0), f64x2.extract_lane(mx, 1));
    const py = rp + (<usize>load<i32>(y + (<usize>i << 2)) << 3);
    shifts += top - load<f64>(py);
    const topv = f64x2.splat(top);
    let sum = f64x2.splat(0);
    for (let c = 0; c < chunks; c++) {
      const p = rp + (<usize>c << 4);
      const e = expNonPositive(f64x2.sub(v128.load(p), topv));
      v128.store(p, e);
      sum = f64x2.add(sum, e);
    }
    const s = f64x2.extract_lane(sum, 0) + f64x2.extract_lane(sum, 1);
    product *= s;
    if (++inProduct == 8) {
      logs += Math.log(product);
      product = 1.0;
      inProduct = 0;
    }
    const inv = f64x2.splat(1.0 / s);
    for (let c = 0; c < chunks; c++) {
      const p = rp + (<usize>c << 4);
      v128.store(p, f64x2.mul(v128.load(p), inv));
    }
    store<f64>(py, load<f64>(py) - 1.0);
  }
  if (inProduct > 0) logs += Math.log(product);
  columnSums(raw, n, kp, colSums);
  return logs + shifts;
}

/** out (kp values) = Σ over the n rows of raw (n × kp), rows added in order from 0. */
function columnSums(raw: usize, n: i32, kp: i32, out: usize): void {
  const rowBytes = <usize>kp << 3;
  for (let c = 0; c < kp; c += 2) {
    const co = <usize>c << 3;
    let acc = f64x2.splat(0);
    for (let i = 0; i < n; i++) acc = f64x2.add(acc, v128.load(raw + <usize>i * rowBytes + co));
    v128.store(out + co, acc);
  }
}

// Binary log-loss (scikit-learn's HalfBinomialLoss) of n raw scores stored in column 0
// of an n × kp array, against labels y (int32, 0 or 1). Returns the SUM of
// log(1 + exp(z)) - y·z; overwrites column 0 with sigmoid(z) - y and zeroes the other
// columns; writes the column sums (the intercept gradient) to colSums.
export function binomialLossGrad(raw: usize, n: i32, kp: i32, y: usize, colSums: usize): f64 {
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
  columnSums(raw, n, kp, colSums);
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

/** Index of the first x[i] that is NaN or ±Infinity, or -1. */
export function firstNonFinite(x: usize, n: i32): i32 {
  for (let i = 0; i < n; i++) {
    const v = load<f64>(x + (<usize>i << 3));
    if (v - v != 0) return i; // NaN - NaN and Inf - Inf are NaN
  }
  return -1;
}
