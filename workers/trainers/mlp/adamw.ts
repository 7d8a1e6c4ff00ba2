/**
 * AdamW as PyTorch 2.x computes it (torch.optim.AdamW, the single-tensor path, defaults
 * amsgrad=False, maximize=False), operation by operation, for each parameter p with
 * gradient g at step t = 1, 2, ...:
 *
 *   p  = p · (1 - lr·wd)                        decoupled weight decay (every parameter)
 *   m  = m + (1 - β1)·(g - m)                   exp_avg.lerp_(g, 1 - β1)
 *   v  = v·β2 + (1 - β2)·g·g                    exp_avg_sq.mul_(β2).addcmul_(g, g, 1 - β2)
 *   p  = p + (-lr / (1 - β1^t)) · (m / (√v / √(1 - β2^t) + eps))
 *
 * β^t is a running product (one multiplication per step), not Math.pow, whose last bits
 * vary between platforms; √ is IEEE-exact. Elementwise, no reductions: the result does
 * not depend on the order the elements are visited in.
 */

export interface AdamWOptions {
  learningRate: number;
  weightDecay: number;
  beta1?: number;
  beta2?: number;
  eps?: number;
}

export class AdamW {
  /** steps taken so far */
  step = 0;
  /** first and second moment estimates */
  readonly m: Float64Array;
  readonly v: Float64Array;
  private readonly lr: number;
  private readonly decay: number;
  private readonly beta1: number;
  private readonly beta2: number;
  private readonly eps: number;
  private beta1Power = 1;
  private beta2Power = 1;

  constructor(size: number, { learningRate, weightDecay, beta1 = 0.9, beta2 = 0.999, eps = 1e-8 }: AdamWOptions) {
    this.m = new Float64Array(size);
    this.v = new Float64Array(size);
    this.lr = learningRate;
    this.decay = 1 - learningRate * weightDecay;
    this.beta1 = beta1;
    this.beta2 = beta2;
    this.eps = eps;
  }

  /** One update of params (in place) from grads: both hold at least `m.length` values. */
  update(params: Float64Array, grads: Float64Array): void {
    const { m, v, decay, beta1, beta2, eps } = this;
    this.step++;
    this.beta1Power *= beta1;
    this.beta2Power *= beta2;
    const oneMinusBeta1 = 1 - beta1;
    const oneMinusBeta2 = 1 - beta2;
    const stepSize = this.lr / (1 - this.beta1Power);
    const correction2 = Math.sqrt(1 - this.beta2Power);
    for (let i = 0; i < m.length; i++) {
      const g = grads[i];
      const mi = m[i] + oneMinusBeta1 * (g - m[i]);
      const vi = v[i] * beta2 + oneMinusBeta2 * g * g;
      m[i] = mi;
      v[i] = vi;
      params[i] = params[i] * decay + -stepSize * (mi / (Math.sqrt(vi) / correction2 + eps));
    }
  }
}
