import { minimizeLbfgs, type LbfgsStatus, type Objective } from './lbfgs.js';
import { WasmKernels } from './wasm-kernels.js';

/**
 * Sieve's fixed reference model: L2-penalized logistic regression with the objective,
 * the optimizer and the class handling of scikit-learn 1.2's
 * `LogisticRegression(C, solver='lbfgs', max_iter, tol)` (fit_intercept=True):
 *
 * - it is fit on the classes PRESENT in the training labels (sklearn's `classes_`),
 *   and only predicts those; labels and predictions are global class indices;
 * - 3 or more present classes: multinomial (softmax) model, one weight row and one
 *   intercept per class, objective  Σᵢ [log Σₖ exp(zᵢₖ) - zᵢ,yᵢ] + ‖W‖² / (2C);
 * - exactly 2 present classes: binary model (one weight vector, sigmoid), the larger
 *   class index is the positive one, objective Σᵢ [log(1 + exp(zᵢ)) - yᵢ zᵢ] + ‖w‖² / (2C);
 * - 1 present class: an error (scikit-learn refuses too);
 * - intercepts are not penalized; start from zero; L-BFGS with scipy's L-BFGS-B rules
 *   (see lbfgs.ts): gtol = tol on the gradient of the objective above, ftol 2.2e-9,
 *   10 pairs, 20 line-search steps, at most maxIter iterations.
 *
 * Note the scaling: scikit-learn 1.2 minimizes the SUM of the losses (not the mean)
 * plus ‖W‖²/(2C), so `tol` applies to that sum's gradient, and it leaves scipy's
 * defaults ftol = 2.2e-9 and maxls = 20 (see sklearn/linear_model/_logistic.py and
 * _linear_loss.py of 1.2.1). Later releases divide by n and pass other ftol/maxls: the
 * minimizer is the same, the stopping point is not. Sieve follows 1.2.1, the version
 * its parity test runs against (same iteration counts, coefficients within ~1e-10).
 *
 * The arithmetic is float64 only (WebAssembly f64x2 kernels + plain JS), in a fixed
 * order: the same inputs give bit-identical coefficients on every machine.
 */

/** Part of the numeric contract: bump when anything changes the numbers. */
export const LOGREG_VERSION = '1.0.0';

export interface LogRegParams {
  /** inverse regularization strength (> 0) */
  C: number;
  /** L-BFGS iteration limit */
  maxIter: number;
  /** gradient tolerance */
  tol: number;
}

export interface LogRegData {
  /** n × d features, row-major */
  x: Float64Array;
  /** n labels, global class indices 0..classes-1 */
  y: Int32Array;
  n: number;
  d: number;
  /** size of the challenge's label set */
  classes: number;
}

export interface LogRegModel {
  /** global class indices present in the training labels, ascending (sklearn `classes_`) */
  classes: Int32Array;
  d: number;
  /** weight rows, row-major: one per class, or a single row when binary (sklearn `coef_`) */
  coef: Float64Array;
  /** one per weight row (sklearn `intercept_`) */
  intercept: Float64Array;
  /** L-BFGS iterations (sklearn `n_iter_`) */
  iterations: number;
  evaluations: number;
  status: LbfgsStatus;
  converged: boolean;
  /** the objective at the solution */
  objective: number;
}

/** Rows padded to a multiple of this for the kernels' register tiles. */
const ROW_BLOCK = 8;
/** Bytes the kernels may read past a transposed matrix. */
const SLACK = 64;

export function fitLogReg(data: LogRegData, params: LogRegParams): LogRegModel {
  checkData(data);
  checkParams(params);
  const { x, y, n, d } = data;

  // Present classes and local labels (sklearn's LabelEncoder).
  const seen = new Uint8Array(data.classes);
  for (let i = 0; i < n; i++) seen[y[i]] = 1;
  const present: number[] = [];
  for (let c = 0; c < data.classes; c++) if (seen[c]) present.push(c);
  if (present.length < 2) {
    throw new Error(`logreg: the training labels hold only class ${present[0]}; at least 2 classes are needed`);
  }
  const local = new Int32Array(data.classes).fill(-1);
  present.forEach((c, i) => (local[c] = i));
  const binary = present.length === 2;
  const k = binary ? 1 : present.length; // score columns
  const kp = k + (k & 1); // padded to whole f64x2 chunks

  // Memory layout (float64 unless noted; the kernels want rows in multiples of 8 and
  // may read 64 bytes past a transposed matrix, hence the padding and slack):
  //   X     nRows × d     training rows, then zero rows
  //   XT    dRows × n     Xᵀ, then zero rows
  //   Y     n int32       local labels; binary: 1 for the positive (larger) class
  //   W     (d+1) × kp    weights transposed (d rows), then the intercepts: the vector
  //                       L-BFGS works on
  //   RAW   nRows × kp    scores, then the pointwise gradient
  //   GW    dRows × kp    gradient of the weights (first d rows)
  //   GB    kp            gradient of the intercepts
  const nRows = roundUp(n, ROW_BLOCK);
  const dRows = roundUp(d, ROW_BLOCK);
  const size = (d + 1) * kp;
  const kernels = WasmKernels.shared('model');
  const [xAt, xtAt, yAt, wAt, rawAt, gwAt, gbAt] = kernels.reserve([
    nRows * d * 8 + SLACK,
    dRows * n * 8 + SLACK,
    n * 4,
    size * 8,
    nRows * kp * 8,
    dRows * kp * 8,
    kp * 8,
  ]);
  kernels.f64(xAt, n * d).set(x);
  checkFinite(kernels, xAt, x, d, 'training');
  kernels.transpose(xAt, n, d, xtAt, n);
  const yLocal = kernels.i32(yAt, n);
  for (let i = 0; i < n; i++) yLocal[i] = local[y[i]];
  const objective = new LogLossObjective(kernels, { xAt, xtAt, yAt, wAt, rawAt, gwAt, gbAt }, { n, d, k, kp, nRows, dRows }, 1 / params.C);

  const fit = minimizeLbfgs(objective, new Float64Array(size), { maxIter: params.maxIter, gtol: params.tol });

  // Back to sklearn's layout: coef_ rows × d, intercept_ rows.
  const coef = new Float64Array(k * d);
  const intercept = new Float64Array(k);
  for (let c = 0; c < k; c++) {
    for (let j = 0; j < d; j++) coef[c * d + j] = fit.x[j * kp + c];
    intercept[c] = fit.x[d * kp + c];
  }
  return {
    classes: Int32Array.from(present),
    d,
    coef,
    intercept,
    iterations: fit.iterations,
    evaluations: fit.evaluations,
    status: fit.status,
    converged: fit.converged,
    objective: fit.f,
  };
}

/**
 * Predicted global class indices for n rows (n × d, row-major): the class with the
 * highest score, the first one on ties (numpy argmax); binary: the positive class
 * when its score is > 0 (sklearn).
 */
export function predictLogReg(model: LogRegModel, x: Float64Array, n: number): Int32Array {
  const { d, classes } = model;
  if (!Number.isInteger(n) || n < 0 || x.length !== n * d) {
    throw new Error(`logreg: test features hold ${x.length} values, expected n × d = ${n} × ${d}`);
  }
  const out = new Int32Array(n);
  if (n === 0) return out;
  const k = model.intercept.length;
  const kp = k + (k & 1);
  const nRows = roundUp(n, ROW_BLOCK);
  const kernels = WasmKernels.shared('model');
  const [xAt, xtAt, wAt, rawAt] = kernels.reserve([nRows * d * 8 + SLACK, d * nRows * 8 + SLACK, (d + 1) * kp * 8, nRows * kp * 8]);
  kernels.f64(xAt, n * d).set(x);
  checkFinite(kernels, xAt, x, d, 'test');
  kernels.transpose(xAt, n, d, xtAt, nRows);
  const w = kernels.f64(wAt, (d + 1) * kp);
  for (let c = 0; c < k; c++) {
    for (let j = 0; j < d; j++) w[j * kp + c] = model.coef[c * d + j];
    w[d * kp + c] = model.intercept[c];
  }
  kernels.gemm(xAt, xtAt, nRows, nRows, d, wAt, kp, wAt + d * kp * 8, rawAt);
  const raw = kernels.f64(rawAt, n * kp);
  for (let i = 0; i < n; i++) {
    const row = i * kp;
    if (k === 1) {
      out[i] = raw[row] > 0 ? classes[1] : classes[0];
      continue;
    }
    let best = 0;
    for (let c = 1; c < k; c++) if (raw[row + c] > raw[row + best]) best = c;
    out[i] = classes[best];
  }
  return out;
}

/**
 * Σ log-loss + ‖W‖² · l2 / 2 and its gradient, over the parameter vector laid out as
 * the kernels want it: (d + 1) × kp, Wᵀ then the intercepts.
 */
class LogLossObjective implements Objective {
  private readonly w: Float64Array;
  private readonly gradW: Float64Array;
  private readonly gradB: Float64Array;

  constructor(
    private readonly kernels: WasmKernels,
    private readonly at: { xAt: number; xtAt: number; yAt: number; wAt: number; rawAt: number; gwAt: number; gbAt: number },
    private readonly dims: { n: number; d: number; k: number; kp: number; nRows: number; dRows: number },
    private readonly l2: number,
  ) {
    this.w = kernels.f64(at.wAt, (dims.d + 1) * dims.kp);
    this.gradW = kernels.f64(at.gwAt, dims.d * dims.kp);
    this.gradB = kernels.f64(at.gbAt, dims.kp);
  }

  evaluate(v: Float64Array, out: Float64Array): number {
    const { kernels, at, l2 } = this;
    const { n, d, k, kp, nRows, dRows } = this.dims;
    this.w.set(v);
    // scores = X · W + b, then the loss, the pointwise gradient G and its column sums
    kernels.gemm(at.xAt, at.xtAt, n, nRows, d, at.wAt, kp, at.wAt + d * kp * 8, at.rawAt);
    const loss =
      k === 1
        ? kernels.binomialLossGrad(at.rawAt, n, kp, at.yAt, at.gbAt)
        : kernels.multinomialLossGrad(at.rawAt, n, k, kp, at.yAt, at.gbAt);
    // gradient of the weights = Xᵀ · G, plus the penalty's (not on the intercepts)
    kernels.gemm(at.xtAt, at.xAt, d, dRows, n, at.rawAt, kp, 0, at.gwAt);
    const squares = kernels.dot(at.wAt, at.wAt, d * kp);
    kernels.axpyInto(l2, at.wAt, at.gwAt, at.gwAt, d * kp);
    out.set(this.gradW);
    out.set(this.gradB, d * kp);
    return loss + 0.5 * l2 * squares;
  }
}

function checkData({ x, y, n, d, classes }: LogRegData): void {
  if (!Number.isInteger(n) || n < 1) throw new Error(`logreg: need at least one training row, got n = ${n}`);
  if (!Number.isInteger(d) || d < 1) throw new Error(`logreg: need at least one feature, got d = ${d}`);
  if (!Number.isInteger(classes) || classes < 2) throw new Error(`logreg: the label set must have at least 2 classes, got ${classes}`);
  if (x.length !== n * d) throw new Error(`logreg: training features hold ${x.length} values, expected n × d = ${n} × ${d}`);
  if (y.length !== n) throw new Error(`logreg: ${y.length} training labels for ${n} rows`);
  for (let i = 0; i < n; i++) {
    if (y[i] < 0 || y[i] >= classes) throw new Error(`logreg: training label ${y[i]} at row ${i} is outside 0..${classes - 1}`);
  }
}

/** Throws on the first NaN or ±Infinity of x (n × d), already copied to `at`. */
function checkFinite(kernels: WasmKernels, at: number, x: Float64Array, d: number, which: string): void {
  const i = kernels.firstNonFinite(at, x.length);
  if (i >= 0) throw new Error(`logreg: ${which} feature ${i % d} of row ${Math.floor(i / d)} is ${x[i]}`);
}

function checkParams({ C, maxIter, tol }: LogRegParams): void {
  if (!(C > 0) || !Number.isFinite(C)) throw new Error(`logreg: C must be a positive number, got ${C}`);
  if (!Number.isInteger(maxIter) || maxIter < 1) throw new Error(`logreg: maxIter must be a positive integer, got ${maxIter}`);
  if (!(tol >= 0) || !Number.isFinite(tol)) throw new Error(`logreg: tol must be a number >= 0, got ${tol}`);
}

function roundUp(v: number, block: number): number {
  return Math.ceil(v / block) * block;
}
