import { LBFGSB_LINE_SEARCH, MoreThuenteLineSearch } from './line-search.js';

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
 * Everything is plain float64 arithmetic in a fixed order: deterministic.
 */

/**
 * The function to minimize. `evaluate` writes the gradient at x into `grad` and returns
 * f(x); it must not keep either array. (An object rather than a closure: V8 keeps the
 * optimizer's code across fits when the call target is one class method.)
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

  const x = Float64Array.from(x0);
  const g = new Float64Array(n);
  const d = new Float64Array(n);
  const xOld = new Float64Array(n);
  const gOld = new Float64Array(n);
  // Ring buffer of correction pairs.
  const S = Array.from({ length: m }, () => new Float64Array(n));
  const Y = Array.from({ length: m }, () => new Float64Array(n));
  const rho = new Float64Array(m);
  const alpha = new Float64Array(m);
  let head = 0; // index of the oldest pair
  let col = 0; // pairs stored
  let theta = 1; // B0 = theta·I

  let f = objective.evaluate(x, g);
  let evaluations = 1;
  let iter = 0; // L-BFGS-B's iteration counter (drives the first-step rule)
  let iterations = 0; // scipy's nit
  const result = (status: LbfgsStatus): LbfgsResult => ({
    x,
    f,
    grad: g,
    iterations,
    evaluations,
    status,
    converged: status === 'converged-gradient' || status === 'converged-function',
  });

  if (maxAbs(g) <= gtol) return result('converged-gradient');
  const search = new MoreThuenteLineSearch({ ...LBFGSB_LINE_SEARCH, stpmax: STPMAX });

  // The vector work lives in small helper functions: V8 optimizes those at once, while
  // this long function may run unoptimized for a while.
  for (;;) {
    // Search direction d = -H g (H0 = I while the memory is empty: theta is then 1).
    if (col === 0) negate(g, d);
    else twoLoop(g, d, S, Y, rho, alpha, head, col, 1 / theta);

    // Line search along d from x.
    xOld.set(x);
    gOld.set(g);
    const fOld = f;
    const gdOld = dot(g, d);
    let stp = iter === 0 ? Math.min(1 / Math.sqrt(dot(d, d)), STPMAX) : 1;
    let gd = gdOld;
    let failed = gdOld >= 0; // not a descent direction
    if (!failed) {
      let task = search.start(f, gdOld, stp);
      let tries = 0;
      while (task === 'evaluate') {
        if (tries >= maxLs) {
          failed = true;
          break;
        }
        stp = search.stp;
        stepFrom(xOld, stp, d, x);
        f = objective.evaluate(x, g);
        evaluations++;
        tries++;
        gd = dot(g, d);
        task = search.next(f, gd);
      }
      // dcsrch only ever accepts the step it last asked for
      stp = search.stp;
    }

    if (failed) {
      x.set(xOld);
      g.set(gOld);
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
    if (maxAbs(g) <= gtol) return result('converged-gradient');
    if (fOld - f <= ftol * Math.max(Math.abs(fOld), Math.abs(f), 1)) return result('converged-function');

    // Curvature pair s = x - x_old = stp·d, y = g - g_old.
    const dr = stp === 1 ? gd - gdOld : (gd - gdOld) * stp; // s'y
    const ddum = stp === 1 ? -gdOld : -gdOld * stp; // -g_old's
    if (dr <= EPS * ddum) continue; // skip the update
    const slot = col < m ? (head + col) % m : head;
    if (col < m) col++;
    else head = (head + 1) % m;
    storePair(stp, d, g, gOld, S[slot], Y[slot]);
    rho[slot] = 1 / dr;
    theta = dot(Y[slot], Y[slot]) / dr;
  }
}

/** d = -H g by the two-loop recursion over the pairs head..head+col-1 (mod m). */
function twoLoop(
  g: Float64Array,
  d: Float64Array,
  S: readonly Float64Array[],
  Y: readonly Float64Array[],
  rho: Float64Array,
  alpha: Float64Array,
  head: number,
  col: number,
  h0: number,
): void {
  const m = S.length;
  d.set(g);
  for (let k = col - 1; k >= 0; k--) {
    const idx = (head + k) % m;
    const a = rho[idx] * dot(S[idx], d);
    alpha[idx] = a;
    axpy(-a, Y[idx], d);
  }
  scale(h0, d);
  for (let k = 0; k < col; k++) {
    const idx = (head + k) % m;
    const b = rho[idx] * dot(Y[idx], d);
    axpy(alpha[idx] - b, S[idx], d);
  }
  negate(d, d);
}

function dot(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

function axpy(a: number, x: Float64Array, y: Float64Array): void {
  for (let i = 0; i < y.length; i++) y[i] += a * x[i];
}

function scale(a: number, x: Float64Array): void {
  for (let i = 0; i < x.length; i++) x[i] *= a;
}

/** out = -x */
function negate(x: Float64Array, out: Float64Array): void {
  for (let i = 0; i < x.length; i++) out[i] = -x[i];
}

/** out = x0 + stp·d */
function stepFrom(x0: Float64Array, stp: number, d: Float64Array, out: Float64Array): void {
  for (let i = 0; i < out.length; i++) out[i] = x0[i] + stp * d[i];
}

function storePair(stp: number, d: Float64Array, g: Float64Array, gOld: Float64Array, s: Float64Array, y: Float64Array): void {
  for (let i = 0; i < s.length; i++) {
    s[i] = stp * d[i];
    y[i] = g[i] - gOld[i];
  }
}

function maxAbs(a: Float64Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    const v = Math.abs(a[i]);
    if (v > m || Number.isNaN(v)) m = v;
  }
  return m;
}
