/**
 * The More-Thuente line search (MINPACK-2 `dcsrch` / `dcstep`), the one L-BFGS-B uses,
 * so Sieve's L-BFGS takes the same steps as scipy's L-BFGS-B under scikit-learn.
 *
 * It looks for a step `stp` that satisfies the sufficient-decrease condition
 *   f(stp) <= f(0) + ftol · stp · f'(0)
 * and the curvature condition
 *   |f'(stp)| <= gtol · |f'(0)|.
 *
 * Reverse communication, like the original: `start()` takes f(0), f'(0) and a first
 * trial step; after evaluating f and f' at `stp`, call `next()` with them until it
 * answers something other than 'evaluate'.
 *
 * J. J. More and D. J. Thuente, "Line search algorithms with guaranteed sufficient
 * decrease", ACM TOMS 20 (1994) 286-307.
 */

export type LineSearchTask =
  | 'evaluate' // evaluate f and f' at `stp`, then call next()
  | 'converged' // both conditions hold at `stp`
  | 'warning-rounding' // rounding errors prevent progress; `stp` is the best step found
  | 'warning-xtol' // the bracketing interval is narrower than xtol; `stp` is the best step
  | 'warning-stpmax' // stp = stpmax and f still decreases
  | 'warning-stpmin'; // stp = stpmin and the conditions fail

export interface LineSearchOptions {
  /** sufficient-decrease tolerance (L-BFGS-B: 1e-3) */
  ftol: number;
  /** curvature tolerance (L-BFGS-B: 0.9) */
  gtol: number;
  /** relative width of an acceptable bracketing interval (L-BFGS-B: 0.1) */
  xtol: number;
  stpmin: number;
  stpmax: number;
}

export const LBFGSB_LINE_SEARCH: Readonly<Omit<LineSearchOptions, 'stpmax'>> = {
  ftol: 1e-3,
  gtol: 0.9,
  xtol: 0.1,
  stpmin: 0,
};

/** One endpoint of the search interval: step, function value, derivative. */
interface Point {
  stp: number;
  f: number;
  g: number;
}

export class MoreThuenteLineSearch {
  /** The trial step to evaluate next (or the accepted step once finished). */
  stp = 0;

  private brackt = false;
  private stage: 1 | 2 = 1;
  private finit = 0;
  private ginit = 0;
  private gtest = 0;
  private width = 0;
  private width1 = 0;
  private stmin = 0;
  private stmax = 0;
  private x: Point = { stp: 0, f: 0, g: 0 };
  private y: Point = { stp: 0, f: 0, g: 0 };

  constructor(private readonly opts: LineSearchOptions) {}

  /** f0 = f(0), g0 = f'(0) < 0, stp0 = the first trial step (stpmin <= stp0 <= stpmax). */
  start(f0: number, g0: number, stp0: number): LineSearchTask {
    const { ftol, gtol, xtol, stpmin, stpmax } = this.opts;
    if (!(stp0 >= stpmin)) throw new Error(`line search: first step ${stp0} < stpmin ${stpmin}`);
    if (!(stp0 <= stpmax)) throw new Error(`line search: first step ${stp0} > stpmax ${stpmax}`);
    if (!(g0 < 0)) throw new Error(`line search: f'(0) = ${g0} is not a descent direction`);
    if (ftol < 0 || gtol < 0 || xtol < 0 || stpmin < 0 || stpmax < stpmin) {
      throw new Error('line search: invalid tolerances');
    }
    this.brackt = false;
    this.stage = 1;
    this.finit = f0;
    this.ginit = g0;
    this.gtest = ftol * g0;
    this.width = stpmax - stpmin;
    this.width1 = this.width / 0.5;
    this.x = { stp: 0, f: f0, g: g0 };
    this.y = { stp: 0, f: f0, g: g0 };
    this.stmin = 0;
    this.stmax = stp0 + 4 * stp0;
    this.stp = stp0;
    return 'evaluate';
  }

  /** f and g: the function value and directional derivative at the current `stp`. */
  next(f: number, g: number): LineSearchTask {
    const { gtol, xtol, stpmin, stpmax } = this.opts;
    const stp = this.stp;
    const ftest = this.finit + stp * this.gtest;
    if (this.stage === 1 && f <= ftest && g >= 0) this.stage = 2;

    // Warnings, then convergence (the later test wins, as in dcsrch).
    let task: LineSearchTask = 'evaluate';
    if (this.brackt && (stp <= this.stmin || stp >= this.stmax)) task = 'warning-rounding';
    if (this.brackt && this.stmax - this.stmin <= xtol * this.stmax) task = 'warning-xtol';
    if (stp === stpmax && f <= ftest && g <= this.gtest) task = 'warning-stpmax';
    if (stp === stpmin && (f > ftest || g >= this.gtest)) task = 'warning-stpmin';
    if (f <= ftest && Math.abs(g) <= gtol * -this.ginit) task = 'converged';
    if (task !== 'evaluate') return task;

    const trial: Point = { stp, f, g };
    if (this.stage === 1 && f <= this.x.f && f > ftest) {
      // A lower value without sufficient decrease: step on the modified function
      // psi(stp) = f(stp) - f(0) - ftol·stp·f'(0).
      const gt = this.gtest;
      const xm: Point = { stp: this.x.stp, f: this.x.f - this.x.stp * gt, g: this.x.g - gt };
      const ym: Point = { stp: this.y.stp, f: this.y.f - this.y.stp * gt, g: this.y.g - gt };
      const tm: Point = { stp, f: f - stp * gt, g: g - gt };
      this.stp = this.step(xm, ym, tm);
      this.x = { stp: xm.stp, f: xm.f + xm.stp * gt, g: xm.g + gt };
      this.y = { stp: ym.stp, f: ym.f + ym.stp * gt, g: ym.g + gt };
    } else {
      this.stp = this.step(this.x, this.y, trial);
    }

    // Bisect when the interval does not shrink fast enough.
    if (this.brackt) {
      if (Math.abs(this.y.stp - this.x.stp) >= 0.66 * this.width1) {
        this.stp = this.x.stp + 0.5 * (this.y.stp - this.x.stp);
      }
      this.width1 = this.width;
      this.width = Math.abs(this.y.stp - this.x.stp);
    }
    if (this.brackt) {
      this.stmin = Math.min(this.x.stp, this.y.stp);
      this.stmax = Math.max(this.x.stp, this.y.stp);
    } else {
      this.stmin = this.stp + 1.1 * (this.stp - this.x.stp);
      this.stmax = this.stp + 4 * (this.stp - this.x.stp);
    }
    this.stp = Math.min(Math.max(this.stp, stpmin), stpmax);
    // No further progress possible: fall back to the best step so far.
    if (
      (this.brackt && (this.stp <= this.stmin || this.stp >= this.stmax)) ||
      (this.brackt && this.stmax - this.stmin <= xtol * this.stmax)
    ) {
      this.stp = this.x.stp;
    }
    return 'evaluate';
  }

  /**
   * dcstep: a safeguarded cubic/quadratic step; updates the interval endpoints
   * `sx` (best step so far) and `sy` in place and returns the next trial step. The
   * step is kept within the current bounds [stmin, stmax] (dcsrch passes those, not
   * the global stpmin/stpmax), which limits an extrapolation to 4x per call.
   */
  private step(sx: Point, sy: Point, p: Point): number {
    const stpmin = this.stmin;
    const stpmax = this.stmax;
    const sgnd = p.g * (sx.g / Math.abs(sx.g));
    let stpf: number;

    if (p.f > sx.f) {
      // Case 1: higher function value; the minimum is bracketed.
      const theta = (3 * (sx.f - p.f)) / (p.stp - sx.stp) + sx.g + p.g;
      const s = Math.max(Math.abs(theta), Math.abs(sx.g), Math.abs(p.g));
      let gamma = s * Math.sqrt((theta / s) * (theta / s) - (sx.g / s) * (p.g / s));
      if (p.stp < sx.stp) gamma = -gamma;
      const pp = gamma - sx.g + theta;
      const q = gamma - sx.g + gamma + p.g;
      const r = pp / q;
      const stpc = sx.stp + r * (p.stp - sx.stp);
      const stpq = sx.stp + (sx.g / ((sx.f - p.f) / (p.stp - sx.stp) + sx.g) / 2) * (p.stp - sx.stp);
      stpf = Math.abs(stpc - sx.stp) < Math.abs(stpq - sx.stp) ? stpc : stpc + (stpq - stpc) / 2;
      this.brackt = true;
    } else if (sgnd < 0) {
      // Case 2: lower value, derivatives of opposite sign; the minimum is bracketed.
      const theta = (3 * (sx.f - p.f)) / (p.stp - sx.stp) + sx.g + p.g;
      const s = Math.max(Math.abs(theta), Math.abs(sx.g), Math.abs(p.g));
      let gamma = s * Math.sqrt((theta / s) * (theta / s) - (sx.g / s) * (p.g / s));
      if (p.stp > sx.stp) gamma = -gamma;
      const pp = gamma - p.g + theta;
      const q = gamma - p.g + gamma + sx.g;
      const r = pp / q;
      const stpc = p.stp + r * (sx.stp - p.stp);
      const stpq = p.stp + (p.g / (p.g - sx.g)) * (sx.stp - p.stp);
      stpf = Math.abs(stpc - p.stp) > Math.abs(stpq - p.stp) ? stpc : stpq;
      this.brackt = true;
    } else if (Math.abs(p.g) < Math.abs(sx.g)) {
      // Case 3: lower value, same-sign derivatives, the derivative shrinks.
      const theta = (3 * (sx.f - p.f)) / (p.stp - sx.stp) + sx.g + p.g;
      const s = Math.max(Math.abs(theta), Math.abs(sx.g), Math.abs(p.g));
      let gamma = s * Math.sqrt(Math.max(0, (theta / s) * (theta / s) - (sx.g / s) * (p.g / s)));
      if (p.stp > sx.stp) gamma = -gamma;
      const pp = gamma - p.g + theta;
      const q = gamma + (sx.g - p.g) + gamma;
      const r = pp / q;
      let stpc: number;
      if (r < 0 && gamma !== 0) stpc = p.stp + r * (sx.stp - p.stp);
      else if (p.stp > sx.stp) stpc = stpmax;
      else stpc = stpmin;
      const stpq = p.stp + (p.g / (p.g - sx.g)) * (sx.stp - p.stp);
      if (this.brackt) {
        stpf = Math.abs(stpc - p.stp) < Math.abs(stpq - p.stp) ? stpc : stpq;
        const limit = p.stp + 0.66 * (sy.stp - p.stp);
        stpf = p.stp > sx.stp ? Math.min(limit, stpf) : Math.max(limit, stpf);
      } else {
        stpf = Math.abs(stpc - p.stp) > Math.abs(stpq - p.stp) ? stpc : stpq;
        stpf = Math.max(stpmin, Math.min(stpmax, stpf));
      }
    } else if (this.brackt) {
      // Case 4: lower value, same-sign derivatives that do not shrink; bracketed.
      const theta = (3 * (p.f - sy.f)) / (sy.stp - p.stp) + sy.g + p.g;
      const s = Math.max(Math.abs(theta), Math.abs(sy.g), Math.abs(p.g));
      let gamma = s * Math.sqrt((theta / s) * (theta / s) - (sy.g / s) * (p.g / s));
      if (p.stp > sy.stp) gamma = -gamma;
      const pp = gamma - p.g + theta;
      const q = gamma - p.g + gamma + sy.g;
      stpf = p.stp + (pp / q) * (sy.stp - p.stp);
    } else {
      stpf = p.stp > sx.stp ? stpmax : stpmin;
    }

    // Update the interval that contains a minimizer.
    if (p.f > sx.f) {
      sy.stp = p.stp;
      sy.f = p.f;
      sy.g = p.g;
    } else {
      if (sgnd < 0) {
        sy.stp = sx.stp;
        sy.f = sx.f;
        sy.g = sx.g;
      }
      sx.stp = p.stp;
      sx.f = p.f;
      sx.g = p.g;
    }
    return stpf;
  }
}
