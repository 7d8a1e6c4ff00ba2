import { LBFGSB_LINE_SEARCH, MoreThuenteLineSearch } from './line-search.js';
import { WasmKernels } from './wasm-kernels.js';

/**
 * Limited-memory BFGS for smooth unconstrained minimization, written to take the same
 * path as scipy's L-BFGS-B (v3.0) with no bounds — the optimizer behind scikit-learn's
 * `LogisticRegression(solver='lbfgs')`:
 *
 * - the first direction (and the first after a memory reset) is -g; every other one is
 *   -H·g from the two-loop recursion over the last `memory` pairs with H0 = (s'y / y'y)·I
 *   (L-BFGS-B's compact form with B0 = theta·I, theta = y'y / s'y, gives the same H);
 * - the More-Thuente line search with ftol 1e-3, gtol 0.9, xtol 0.1, stpmax 1e10; the
 *   first trial step is 1/||d|| on the very first iteration and 1 afterwards; at most
 *   `maxLineSearch` evaluations per search;
 * - a pair is skipped when s'y <= eps · (-g_old's); a failed search restores the
 *   previous iterate and resets the memory, or stops when the memory was already empty;
 * - the stopping tests, in scipy's order, after each iteration: the iteration limit,
 *   the evaluation limit, max|g| <= gtol, then (f_old - f) <= ftol · max(|f_old|, |f|, 1).
 *   max|g| <= gtol is also tested at the starting point.
 *
 * Everything is plain float64 arithmetic in a fixed order: deterministic. The vector
 * arithmetic runs in WebAssembly (wasm-kernels.ts): the same operations in JS loops
 * cost more than the objective itself on small problems.
 */

/**
 * The function to minimize. `evaluate` writes the gradient at x into `grad` and returns
 * f(x); it must not keep either array (both are views of the optimizer's memory).
 */
export interface Objective {
  evaluate(x: Float64Array, grad: Float64Array): number;
}

export type LbfgsStatus =
  | 'converged-gradient' // max |g_i| <= gtol
  | 'converged-function' // relative reduction of f <= ftol
  | 'max-iterations'
  | 'max-evaluations'
  | 'line-search-failed'; // no acceptable step even along -g

export interface LbfgsOptions {
  /** iteration limit (scipy `maxiter`) */
  maxIter: number;
  /** projected-gradient tolerance on max |g_i| (scipy `gtol`, sklearn's `tol`) */
  gtol: number;
  /** relative function-reduction tolerance (scipy `ftol`; default 2.220446049250313e-9, i.e. factr 1e7) */
  ftol?: number;
  /** correction pairs kept (scipy `maxcor`, default 10) */
  memory?: number;
  /** evaluations per line search (scipy `maxls`, default 20) */
  maxLineSearch?: number;
  /** function-evaluation limit (scipy `maxfun`, default 15000) */
  maxEvaluations?: number;
}

export interface LbfgsResult {
  x: Float64Array;
  f: number;
  grad: Float64Array;
  /** completed iterations (scipy `nit`, sklearn `n_iter_`) */
  iterations: number;
  evaluations: number;
  status: LbfgsStatus;
  /** true for the converged-* statuses */
  converged: boolean;
}

/** scipy.optimize.minimize(method='L-BFGS-B') defaults */
export const SCIPY_LBFGSB_DEFAULTS = {
  ftol: 2.220446049250313e-9,
  memory: 10,
  maxLineSearch: 20,
  maxEvaluations: 15000,
} as const;

const EPS = 2.220446049250313e-16;
const STPMAX = 1e10;

export function minimizeLbfgs(objective: Objective, x0: Float64Array, options: LbfgsOptions): LbfgsResult {
  const n = x0.length;
  const ftol = options.ftol ?? SCIPY_LBFGSB_DEFAULTS.ftol;
  const m = options.memory ?? SCIPY_LBFGSB_DEFAULTS.memory;
  const maxLs = options.maxLineSearch ?? SCIPY_LBFGSB_DEFAULTS.maxLineSearch;
  const maxEval = options.maxEvaluations ?? SCIPY_LBFGSB_DEFAULTS.maxEvaluations;
  const { maxIter, gtol } = options;
  if (!Number.isInteger(maxIter) || maxIter < 1) throw new Error(`L-BFGS: maxIter must be a positive integer, got ${maxIter}`);
  if (!(gtol >= 0) || !(ftol >= 0)) throw new Error('L-BFGS: tolerances must be >= 0');
  if (!Number.isInteger(m) || m < 1) throw new Error(`L-BFGS: memory must be a positive integer, got ${m}`);
  if (n < 1) throw new Error('L-BFGS: nothing to minimize (no variables)');

  // The vectors live in the optimizer's WebAssembly memory (see wasm-kernels.ts); `v`
  // does the arithmetic on them by byte offset.
  const v = WasmKernels.shared('optimizer');
  const [xAt, gAt, dAt, xOldAt, gOldAt, ...pairs] = v.reserve(Array.from({ length: 5 + 2 * m }, () => n * 8));
  const S = pairs.slice(0, m); // ring buffer of s = x_new - x_old
  const Y = pairs.slice(m); // and of y = g_new - g_old
  const x = v.f64(xAt, n);
  const g = v.f64(gAt, n);
  const copy = (from: number, to: number) => v.scaleInto(1, from, to, n);
  const rho = new Float64Array(m);
  const alpha = new Float64Array(m);
  let head = 0; // slot of the oldest pair
  let col = 0; // pairs stored
  let theta = 1; // B0 = theta·I

  x.set(x0);
  let f = objective.evaluate(x, g);
  let evaluations = 1;
  let iter = 0; // L-BFGS-B's iteration counter (drives the first-step rule)
  let iterations = 0; // scipy's nit
  const result = (status: LbfgsStatus): LbfgsResult => ({
    x: Float64Array.from(x),
    f,
    grad: Float64Array.from(g),
    iterations,
    evaluations,
    status,
    converged: status === 'converged-gradient' || status === 'converged-function',
  });

  if (v.maxAbs(gAt, n) <= gtol) return result('converged-gradient');
  const search = new MoreThuenteLineSearch({ ...LBFGSB_LINE_SEARCH, stpmax: STPMAX });

  for (;;) {
    // Search direction d = -H g; H0 = I while the memory is empty (theta is then 1).
    if (col === 0) {
      v.scaleInto(-1, gAt, dAt, n);
    } else {
      // Two-loop recursion, newest pair first, H0 = I / theta.
      copy(gAt, dAt);
      for (let k = col - 1; k >= 0; k--) {
        const slot = (head + k) % m;
        alpha[slot] = rho[slot] * v.dot(S[slot], dAt, n);
        v.axpyInto(-alpha[slot], Y[slot], dAt, dAt, n);
      }
      v.scaleInto(1 / theta, dAt, dAt, n);
      for (let k = 0; k < col; k++) {
        const slot = (head + k) % m;
        const beta = rho[slot] * v.dot(Y[slot], dAt, n);
        v.axpyInto(alpha[slot] - beta, S[slot], dAt, dAt, n);
      }
      v.scaleInto(-1, dAt, dAt, n);
    }

    // Line search along d from x.
    copy(xAt, xOldAt);
    copy(gAt, gOldAt);
    const fOld = f;
    const gdOld = v.dot(gAt, dAt, n);
    let stp = iter === 0 ? Math.min(1 / Math.sqrt(v.dot(dAt, dAt, n)), STPMAX) : 1;
    let gd = gdOld;
    let failed = !(gdOld < 0); // not a descent direction
    if (!failed) {
      let task = search.start(f, gdOld, stp);
      let tries = 0;
      while (task === 'evaluate') {
        if (tries >= maxLs) {
          failed = true;
          break;
        }
        stp = search.stp;
        v.axpyInto(stp, dAt, xOldAt, xAt, n);
        f = objective.evaluate(x, g);
        evaluations++;
        tries++;
        gd = v.dot(gAt, dAt, n);
        task = search.next(f, gd);
      }
      // dcsrch only ever accepts the step it evaluated last
      stp = search.stp;
    }

    if (failed) {
      copy(xOldAt, xAt);
      copy(gOldAt, gAt);
      f = fOld;
      if (col === 0) return result('line-search-failed');
      col = 0;
      head = 0;
      theta = 1;
      continue;
    }

    iter++;
    iterations++;
    if (iterations >= maxIter) return result('max-iterations');
    if (evaluations > maxEval) return result('max-evaluations');
    if (v.maxAbs(gAt, n) <= gtol) return result('converged-gradient');
    if (fOld - f <= ftol * Math.max(Math.abs(fOld), Math.abs(f), 1)) return result('converged-function');

    // Curvature pair s = x - x_old = stp·d, y = g - g_old, kept when s'y > eps·(-g_old's).
    const sy = stp === 1 ? gd - gdOld : (gd - gdOld) * stp;
    const descent = stp === 1 ? -gdOld : -gdOld * stp;
    if (sy <= EPS * descent) continue;
    const slot = col < m ? (head + col) % m : head;
    if (col < m) col++;
    else head = (head + 1) % m;
    v.scaleInto(stp, dAt, S[slot], n);
    v.axpyInto(-1, gOldAt, gAt, Y[slot], n);
    rho[slot] = 1 / sy;
    theta = v.dot(Y[slot], Y[slot], n) / sy;
  }
}
