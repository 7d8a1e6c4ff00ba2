import { minimizeLbfgs, type Objective } from './lbfgs.js';

// Needs dist/workers/trainers/logreg/kernels.wasm: `npm run build` (npm test runs it).

/** The extended Rosenbrock function. */
const rosenbrock: Objective = {
  evaluate(x, g) {
    let f = 0;
    g.fill(0);
    for (let i = 0; i + 1 < x.length; i++) {
      const a = x[i + 1] - x[i] * x[i];
      const b = 1 - x[i];
      f += 100 * a * a + b * b;
      g[i] += -400 * x[i] * a - 2 * b;
      g[i + 1] += 200 * a;
    }
    return f;
  },
};

describe('minimizeLbfgs', () => {
  // nit and nfev of scipy 1.10 minimize(rosen, x0, jac=True, method='L-BFGS-B',
  // options={'gtol': gtol, 'maxiter': maxIter}): Sieve takes the same path.
  it.each([
    { x0: [-1.2, 1], gtol: 1e-8, maxIter: 1000, iterations: 36, evaluations: 44, status: 'converged-function', f: 2.8076498762688724e-12 },
    { x0: [-1.2, 1, -1.2, 1, -1.2, 1], gtol: 1e-6, maxIter: 1000, iterations: 52, evaluations: 63, status: 'converged-function', f: 3.911797611508529e-11 },
    { x0: [-1.2, 1], gtol: 1e-8, maxIter: 10, iterations: 10, evaluations: 12, status: 'max-iterations', f: 2.9280303063903053 },
  ])('follows scipy L-BFGS-B on Rosenbrock from $x0 (gtol $gtol, maxIter $maxIter)', ({ x0, gtol, maxIter, iterations, evaluations, status, f }) => {
    const r = minimizeLbfgs(rosenbrock, Float64Array.from(x0), { maxIter, gtol });
    expect(r.iterations).toBe(iterations);
    expect(r.evaluations).toBe(evaluations);
    expect(r.status).toBe(status);
    expect(r.converged).toBe(status.startsWith('converged'));
    expect(r.f).toBeCloseTo(f, 9);
  });

  it('finds the minimum of a convex quadratic', () => {
    const center = Float64Array.from({ length: 50 }, (_, i) => (i % 7) - 3);
    const quadratic: Objective = {
      evaluate(x, g) {
        let f = 0;
        for (let i = 0; i < x.length; i++) {
          const w = 1 + (i % 5);
          const r = x[i] - center[i];
          f += 0.5 * w * r * r;
          g[i] = w * r;
        }
        return f;
      },
    };
    const r = minimizeLbfgs(quadratic, new Float64Array(50), { maxIter: 200, gtol: 1e-10, ftol: 0 });
    expect(r.status).toBe('converged-gradient');
    for (let i = 0; i < 50; i++) expect(r.x[i]).toBeCloseTo(center[i], 9);
  });

  it('stops at once when the start is stationary', () => {
    const r = minimizeLbfgs(rosenbrock, Float64Array.from([1, 1]), { maxIter: 10, gtol: 1e-5 });
    expect(r).toMatchObject({ iterations: 0, evaluations: 1, status: 'converged-gradient' });
  });

  it('gives up when even steepest descent finds no decrease (a wrong gradient)', () => {
    const wrong: Objective = {
      evaluate(x, g) {
        g[0] = -2 * x[0] - 1; // the gradient of x² is 2x: this one points uphill
        return x[0] * x[0];
      },
    };
    const r = minimizeLbfgs(wrong, Float64Array.from([3]), { maxIter: 100, gtol: 1e-8 });
    expect(r.status).toBe('line-search-failed');
    expect(r.converged).toBe(false);
    expect(r.x[0]).toBe(3);
  });
});
