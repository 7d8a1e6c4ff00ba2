import { WasmKernels } from '../logreg/wasm-kernels.js';
import { AdamW } from './adamw.js';
import { MlpNetwork, type MlpWeights } from './mlp-network.js';
import { Xoshiro128 } from '../../../src/core/random/random.js';

export type { MlpWeights } from './mlp-network.js';

/**
 * Sieve's second fixed reference model: a one-hidden-layer perceptron,
 *
 *   input d → Linear → ReLU (hidden units) → Linear → logits, one per class
 *
 * trained on the softmax cross-entropy (mean over each mini-batch) with AdamW, as this
 * PyTorch program would (float64):
 *
 *   torch.nn.Sequential(nn.Linear(d, hidden), nn.ReLU(), nn.Linear(hidden, classes))
 *   torch.optim.AdamW(model.parameters(), lr, betas=(0.9, 0.999), eps=1e-8, weight_decay)
 *   each epoch: shuffle the rows, step once per mini-batch of batchSize (the last smaller)
 *
 * - All `classes` logits are always produced, even for classes absent from the labels;
 *   predictions are the argmax of the logits (the lowest class index on ties).
 * - Initialization as nn.Linear's default: weights and biases uniform in ±1/√fan_in.
 * - Random numbers: xoshiro128** seeded through splitmix64 (random.ts), integer
 *   operations only. They draw the initial weights (layer 1 then 2, weight then bias,
 *   each out × in row-major), then each epoch shuffles the row order 0..n-1 afresh
 *   (Fisher-Yates, unbiased integer draws).
 * - Determinism is the contract: the same data, params and seed give bit-identical
 *   weights and predictions on every machine. Float64 only; matrix products in the
 *   WebAssembly f64x2 kernels (no FMA, a fixed summation order); exp and log only inside
 *   those kernels (the softmax), never the host's Math.exp/log/pow; β^t by repeated
 *   multiplication; the rest +, -, ×, /, √ and comparisons, in a fixed order.
 *
 * The numbers were not compared with PyTorch bit for bit (its random numbers and
 * summation orders differ); the arithmetic follows its definitions.
 */

/** Part of the numeric contract: bump when anything could change the numbers. */
export const MLP_VERSION = '1.0.0';

export interface MlpParams {
  /** hidden units (a positive integer) */
  hidden: number;
  /** passes over the training rows (a positive integer) */
  epochs: number;
  /** rows per optimizer step (a positive integer; the last batch of an epoch may be smaller) */
  batchSize: number;
  /** AdamW's lr (> 0) */
  learningRate: number;
  /** AdamW's decoupled weight decay (>= 0), applied to weights and biases */
  weightDecay: number;
}

export interface MlpData {
  /** n × d features, row-major */
  x: Float64Array;
  /** n labels, global class indices 0..classes-1 */
  y: Int32Array;
  n: number;
  d: number;
  /** size of the challenge's label set: the number of logits */
  classes: number;
}

export interface MlpModel extends MlpWeights {
  d: number;
  hidden: number;
  classes: number;
}

export interface MlpFit extends MlpModel {
  /** optimizer steps taken: epochs × ⌈n / batchSize⌉ */
  iterations: number;
  /** the mean training loss over the last epoch (each batch's loss before its step) */
  loss: number;
}

/** Predictions are computed this many rows at a time (bounds the memory). */
const PREDICT_ROWS = 1024;

export function fitMlp(data: MlpData, params: MlpParams, seed: number): MlpFit {
  checkData(data);
  checkParams(params);
  const { x, y, n, d, classes } = data;
  const { hidden, epochs } = params;
  const random = new Xoshiro128(seed);
  const batch = Math.min(params.batchSize, n);
  const net = new MlpNetwork(WasmKernels.shared('model'), { d, hidden, classes }, batch);
  net.initialize(random);
  const optimizer = new AdamW(net.size, { learningRate: params.learningRate, weightDecay: params.weightDecay });
  const order = new Int32Array(n);
  let epochLoss = 0;
  for (let epoch = 0; epoch < epochs; epoch++) {
    for (let i = 0; i < n; i++) order[i] = i;
    random.shuffle(order);
    epochLoss = 0;
    for (let start = 0; start < n; start += batch) {
      const count = Math.min(batch, n - start);
      net.load(x, y, order, start, count);
      epochLoss += net.lossAndGradient();
      optimizer.update(net.params, net.grads);
    }
  }
  if (net.firstNonFiniteParam() >= 0) {
    throw new Error(`mlp: training diverged (a weight became non-finite); lower the learning rate (${params.learningRate})`);
  }
  return { d, hidden, classes, ...net.weights(), iterations: optimizer.step, loss: epochLoss / n };
}

/**
 * Predicted global class indices for n rows (n × d, row-major): the argmax of the
 * logits, the lowest class index on ties.
 */
export function predictMlp(model: MlpModel, x: Float64Array, n: number): Int32Array {
  checkModel(model);
  const { d, classes } = model;
  if (!Number.isInteger(n) || n < 0 || x.length !== n * d) {
    throw new Error(`mlp: test features hold ${x.length} values, expected n × d = ${n} × ${d}`);
  }
  checkFinite(x, d, 'test');
  const out = new Int32Array(n);
  if (n === 0) return out;
  const net = new MlpNetwork(WasmKernels.shared('model'), model, Math.min(n, PREDICT_ROWS));
  net.setWeights(model);
  const kp = classes + (classes & 1);
  for (let start = 0; start < n; start += PREDICT_ROWS) {
    const count = Math.min(PREDICT_ROWS, n - start);
    net.load(x, null, null, start, count);
    const logits = net.forward();
    for (let i = 0; i < count; i++) {
      const row = i * kp;
      let best = 0;
      for (let c = 1; c < classes; c++) if (logits[row + c] > logits[row + best]) best = c;
      out[start + i] = best;
    }
  }
  return out;
}

/**
 * The mean softmax cross-entropy of a model over all rows of `data` and its gradient
 * (same layout as the weights): the computation one training step makes on one batch.
 */
export function mlpLossGradient(model: MlpModel, data: MlpData): { loss: number; grad: MlpWeights } {
  checkModel(model);
  checkData(data);
  if (data.d !== model.d || data.classes !== model.classes) {
    throw new Error(`mlp: data with d = ${data.d}, ${data.classes} classes for a model with d = ${model.d}, ${model.classes} classes`);
  }
  const net = new MlpNetwork(WasmKernels.shared('model'), model, data.n);
  net.setWeights(model);
  net.load(data.x, data.y, null, 0, data.n);
  const loss = net.lossAndGradient() / data.n;
  return { loss, grad: net.gradients() };
}

function checkData({ x, y, n, d, classes }: MlpData): void {
  if (!Number.isInteger(n) || n < 1) throw new Error(`mlp: need at least one training row, got n = ${n}`);
  if (!Number.isInteger(d) || d < 1) throw new Error(`mlp: need at least one feature, got d = ${d}`);
  if (!Number.isInteger(classes) || classes < 2) throw new Error(`mlp: the label set must have at least 2 classes, got ${classes}`);
  if (x.length !== n * d) throw new Error(`mlp: training features hold ${x.length} values, expected n × d = ${n} × ${d}`);
  if (y.length !== n) throw new Error(`mlp: ${y.length} training labels for ${n} rows`);
  for (let i = 0; i < n; i++) {
    if (!(y[i] >= 0 && y[i] < classes)) throw new Error(`mlp: training label ${y[i]} at row ${i} is outside 0..${classes - 1}`);
  }
  checkFinite(x, d, 'training');
}

function checkFinite(x: Float64Array, d: number, which: string): void {
  for (let i = 0; i < x.length; i++) {
    if (x[i] - x[i] !== 0) throw new Error(`mlp: ${which} feature ${i % d} of row ${Math.floor(i / d)} is ${x[i]}`);
  }
}

function checkParams({ hidden, epochs, batchSize, learningRate, weightDecay }: MlpParams): void {
  const ints = { hidden, epochs, batchSize };
  for (const [name, value] of Object.entries(ints)) {
    if (!Number.isSafeInteger(value) || value < 1) throw new Error(`mlp: ${name} must be a positive integer, got ${value}`);
  }
  if (!(learningRate > 0) || !Number.isFinite(learningRate)) throw new Error(`mlp: learningRate must be a positive number, got ${learningRate}`);
  if (!(weightDecay >= 0) || !Number.isFinite(weightDecay)) throw new Error(`mlp: weightDecay must be a number >= 0, got ${weightDecay}`);
}

function checkModel({ d, hidden, classes, w1, b1, w2, b2 }: MlpModel): void {
  const sizes = { w1: [w1, hidden * d], b1: [b1, hidden], w2: [w2, classes * hidden], b2: [b2, classes] } as const;
  if (!Number.isInteger(d) || d < 1 || !Number.isInteger(hidden) || hidden < 1 || !Number.isInteger(classes) || classes < 2) {
    throw new Error(`mlp: not a model: d = ${d}, hidden = ${hidden}, classes = ${classes}`);
  }
  for (const [name, [array, expected]] of Object.entries(sizes)) {
    if (array.length !== expected) throw new Error(`mlp: model ${name} holds ${array.length} values, expected ${expected}`);
  }
}
