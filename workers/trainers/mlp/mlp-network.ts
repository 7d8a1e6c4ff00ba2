import type { WasmKernels } from '../logreg/wasm-kernels.js';
import type { Xoshiro128 } from '../../../src/core/random/random.js';

/**
 * The MLP's arrays in WebAssembly memory and its forward and backward passes over one
 * batch: the matrix products run in the logistic regression's f64x2 kernels (gemm sums
 * every element over the inner index in order, whatever the tiling), the softmax and
 * its log-loss in `multinomialLossGrad` (its own exp and log, no host Math), ReLU and
 * the bias sums in plain JS loops in a fixed order. Float64 throughout.
 *
 * Padding, for the kernels (rows in multiples of 8, columns in whole f64x2 chunks):
 * hidden units are padded to hp, a multiple of 8 (so every product with hp output
 * columns runs in the kernel's 2×4 tiles), classes to kp, even. A padded hidden unit
 * has zero weights in and out and a zero bias: its activation is 0, its gradients are 0,
 * and AdamW keeps a zero parameter with a zero gradient at 0, so it never influences
 * the real units. The padding class column gets gradient 0 from the kernel. Batch rows
 * are padded to a multiple of 8 with zero rows whose activations and gradients are
 * zeroed before they could enter a sum.
 *
 * An instance reserves the kernels' memory when built: it is valid until the next
 * `reserve()` on the same kernels (the next network, or a logistic regression fit).
 */

export interface MlpShape {
  d: number;
  hidden: number;
  classes: number;
}

/** Weights in PyTorch's nn.Linear layout: out × in, row-major. */
export interface MlpWeights {
  /** hidden × d */
  w1: Float64Array;
  /** hidden */
  b1: Float64Array;
  /** classes × hidden */
  w2: Float64Array;
  /** classes */
  b2: Float64Array;
}

const ROW_BLOCK = 8;
/** Bytes the kernels may read past a transposed matrix. */
const SLACK = 64;

export class MlpNetwork {
  /** the number of values AdamW updates (params and grads, including the padding) */
  readonly size: number;
  /**
   * Parameters, the vector the optimizer works on (float64, in-major "in × out" as the
   * kernels want them):  W2 hp × kp | b2 kp | b1 hp | W1 d × hp.
   */
  readonly params: Float64Array;
  /** Gradients of the batch's MEAN loss, same layout (then dRows - d rows of scratch). */
  readonly grads: Float64Array;

  private readonly hp: number;
  private readonly kp: number;
  private readonly at: Record<'x' | 'xt' | 'y' | 'p' | 'g' | 'h' | 'ht' | 'z' | 'zt' | 'w2t' | 'dh' | 'sums', number>;
  private readonly off: { w2: number; b2: number; b1: number; w1: number };
  private readonly x: Float64Array;
  private readonly y: Int32Array;
  private readonly h: Float64Array;
  private readonly z: Float64Array;
  private readonly dh: Float64Array;
  /** rows of the loaded batch, and that rounded up to a multiple of 8 */
  private count = 0;
  private rows = 0;

  /** maxBatch: the most rows one batch will hold */
  constructor(
    private readonly kernels: WasmKernels,
    private readonly shape: MlpShape,
    maxBatch: number,
  ) {
    const { d, hidden, classes } = shape;
    const hp = roundUp(hidden, ROW_BLOCK);
    const kp = classes + (classes & 1);
    const dRows = roundUp(d, ROW_BLOCK);
    const rows = roundUp(maxBatch, ROW_BLOCK);
    this.hp = hp;
    this.kp = kp;
    this.off = { w2: 0, b2: hp * kp, b1: hp * kp + kp, w1: hp * kp + kp + hp };
    this.size = this.off.w1 + d * hp;
    // Memory (float64 unless noted; a batch of `count` rows uses r = roundUp(count, 8)
    // rows, and every transposed matrix has row stride r):
    //   x    r × d       batch rows            xt   dRows × r   xᵀ
    //   y    r int32     batch labels          p, g parameters, gradients (above)
    //   h    r × hp      hidden activations    ht   hp × r      hᵀ
    //   z    r × kp      logits, then ∂loss/∂logits             zt   kp × r
    //   w2t  kp × hp     W2ᵀ                   dh   r × hp      ∂loss/∂h, then ∂/∂(pre-ReLU)
    //   sums kp          the loss kernel's column sums (unused)
    const names = ['x', 'xt', 'y', 'p', 'g', 'h', 'ht', 'z', 'zt', 'w2t', 'dh', 'sums'] as const;
    const offsets = kernels.reserve([
      rows * d * 8 + SLACK,
      dRows * rows * 8 + SLACK,
      rows * 4,
      this.size * 8,
      (this.size + (dRows - d) * hp) * 8,
      rows * hp * 8 + SLACK,
      hp * rows * 8 + SLACK,
      rows * kp * 8 + SLACK,
      kp * rows * 8 + SLACK,
      kp * hp * 8,
      rows * hp * 8,
      kp * 8,
    ]);
    this.at = Object.fromEntries(names.map((name, i) => [name, offsets[i]])) as MlpNetwork['at'];
    this.x = kernels.f64(this.at.x, rows * d);
    this.y = kernels.i32(this.at.y, rows);
    this.params = kernels.f64(this.at.p, this.size);
    this.grads = kernels.f64(this.at.g, this.size);
    this.h = kernels.f64(this.at.h, rows * hp);
    this.z = kernels.f64(this.at.z, rows * kp);
    this.dh = kernels.f64(this.at.dh, rows * hp);
  }

  /**
   * PyTorch's nn.Linear initialization: weights and biases uniform in ±1/√fan_in, drawn
   * layer by layer, weight (out × in, row-major) then bias, as u·2b - b.
   */
  initialize(random: Xoshiro128): void {
    const { d, hidden, classes } = this.shape;
    const { params: p, hp, kp, off } = this;
    const bound1 = 1 / Math.sqrt(d);
    const bound2 = 1 / Math.sqrt(hidden);
    const draw = (bound: number) => random.nextDouble() * (2 * bound) - bound;
    for (let o = 0; o < hidden; o++) for (let i = 0; i < d; i++) p[off.w1 + i * hp + o] = draw(bound1);
    for (let o = 0; o < hidden; o++) p[off.b1 + o] = draw(bound1);
    for (let o = 0; o < classes; o++) for (let i = 0; i < hidden; i++) p[off.w2 + i * kp + o] = draw(bound2);
    for (let o = 0; o < classes; o++) p[off.b2 + o] = draw(bound2);
  }

  setWeights({ w1, b1, w2, b2 }: MlpWeights): void {
    const { d, hidden, classes } = this.shape;
    const { params: p, hp, kp, off } = this;
    p.fill(0);
    for (let o = 0; o < hidden; o++) for (let i = 0; i < d; i++) p[off.w1 + i * hp + o] = w1[o * d + i];
    p.set(b1, off.b1);
    for (let o = 0; o < classes; o++) for (let i = 0; i < hidden; i++) p[off.w2 + i * kp + o] = w2[o * hidden + i];
    p.set(b2, off.b2);
  }

  weights(): MlpWeights {
    return this.unpack(this.params);
  }

  gradients(): MlpWeights {
    return this.unpack(this.grads);
  }

  /** the index of the first non-finite parameter, or -1 */
  firstNonFiniteParam(): number {
    return this.kernels.firstNonFinite(this.at.p, this.size);
  }

  /** Loads rows order[start .. start+count) of x (n × d) as the batch, and their labels. */
  load(x: Float64Array, y: Int32Array | null, order: Int32Array | null, start: number, count: number): void {
    const { d } = this.shape;
    for (let i = 0; i < count; i++) {
      const r = order ? order[start + i] : start + i;
      this.x.set(x.subarray(r * d, r * d + d), i * d);
      if (y) this.y[i] = y[r];
    }
    this.count = count;
    this.rows = roundUp(count, ROW_BLOCK);
    this.x.fill(0, count * d, this.rows * d);
  }

  /** Logits of the loaded batch: count × kp, row-major (the first `classes` columns). */
  forward(): Float64Array {
    const { kernels: k, at, hp, kp, h, count, rows } = this;
    const { d } = this.shape;
    k.transpose(at.x, rows, d, at.xt, rows);
    k.gemm(at.x, at.xt, rows, rows, d, at.p + this.off.w1 * 8, hp, at.p + this.off.b1 * 8, at.h);
    for (let i = 0; i < count * hp; i++) if (h[i] < 0) h[i] = 0;
    h.fill(0, count * hp, rows * hp);
    k.transpose(at.h, rows, hp, at.ht, rows);
    k.gemm(at.h, at.ht, rows, rows, hp, at.p + this.off.w2 * 8, kp, at.p + this.off.b2 * 8, at.z);
    return this.z.subarray(0, count * kp);
  }

  /**
   * The SUM of the softmax cross-entropy losses of the loaded batch; the gradients of
   * their MEAN go to `grads`. Runs the forward pass first.
   */
  lossAndGradient(): number {
    const { kernels: k, at, hp, kp, h, z, dh, grads: g, count, rows } = this;
    const { d, classes } = this.shape;
    const off = this.off;
    this.forward();
    const loss = k.multinomialLossGrad(at.z, count, classes, kp, at.y, at.sums);
    // z = (softmax - onehot) / count, zero in the padding rows
    z.fill(0, count * kp, rows * kp);
    k.scaleInto(1 / count, at.z, at.z, count * kp);
    // ∂b2 = column sums of z, rows in order; ∂W2 = hᵀ · z
    g.fill(0, off.b2, off.b2 + kp);
    for (let i = 0; i < count; i++) for (let c = 0; c < kp; c++) g[off.b2 + c] += z[i * kp + c];
    k.gemm(at.ht, at.h, hp, hp, rows, at.z, kp, 0, at.g + off.w2 * 8);
    // ∂h = z · W2ᵀ, then through the ReLU (derivative 0 where the activation is not > 0)
    k.transpose(at.z, rows, kp, at.zt, rows);
    k.transpose(at.p + off.w2 * 8, hp, kp, at.w2t, hp);
    k.gemm(at.z, at.zt, rows, rows, kp, at.w2t, hp, 0, at.dh);
    for (let i = 0; i < rows * hp; i++) if (!(h[i] > 0)) dh[i] = 0;
    // ∂b1 = column sums of dh, rows in order; ∂W1 = xᵀ · dh (dRows rows: the tail is scratch)
    g.fill(0, off.b1, off.b1 + hp);
    for (let i = 0; i < count; i++) for (let j = 0; j < hp; j++) g[off.b1 + j] += dh[i * hp + j];
    k.gemm(at.xt, at.x, d, roundUp(d, ROW_BLOCK), rows, at.dh, hp, 0, at.g + off.w1 * 8);
    return loss;
  }

  private unpack(v: Float64Array): MlpWeights {
    const { d, hidden, classes } = this.shape;
    const { hp, kp, off } = this;
    const w1 = new Float64Array(hidden * d);
    const w2 = new Float64Array(classes * hidden);
    for (let o = 0; o < hidden; o++) for (let i = 0; i < d; i++) w1[o * d + i] = v[off.w1 + i * hp + o];
    for (let o = 0; o < classes; o++) for (let i = 0; i < hidden; i++) w2[o * hidden + i] = v[off.w2 + i * kp + o];
    return { w1, b1: v.slice(off.b1, off.b1 + hidden), w2, b2: v.slice(off.b2, off.b2 + classes) };
  }
}

function roundUp(v: number, block: number): number {
  return Math.ceil(v / block) * block;
}
