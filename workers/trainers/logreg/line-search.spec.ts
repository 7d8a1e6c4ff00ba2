import { MoreThuenteLineSearch, type LineSearchTask } from './line-search.js';

type Phi = (a: number) => [value: number, slope: number];

function search(phi: Phi, stp0: number, ftol: number, gtol: number) {
  const ls = new MoreThuenteLineSearch({ ftol, gtol, xtol: 1e-10, stpmin: 0, stpmax: 1e10 });
  const [f0, g0] = phi(0);
  let task: LineSearchTask = ls.start(f0, g0, stp0);
  let evaluations = 0;
  let slope = g0;
  while (task === 'evaluate') {
    const [f, g] = phi(ls.stp);
    evaluations++;
    slope = g;
    task = ls.next(f, g);
  }
  return { task, stp: ls.stp, evaluations, slope };
}

// Test functions and results of More & Thuente (1994), Tables 1 and 2.
const phi1 = (beta: number): Phi => (a) => [-a / (a * a + beta), (a * a - beta) / (a * a + beta) ** 2];
const phi2 = (beta: number): Phi => (a) => [(a + beta) ** 5 - 2 * (a + beta) ** 4, 5 * (a + beta) ** 4 - 8 * (a + beta) ** 3];

describe('MoreThuenteLineSearch', () => {
  it.each([
    { stp0: 1e-3, evaluations: 6, stp: 1.4, slope: -9.2e-3 },
    { stp0: 1e-1, evaluations: 3, stp: 1.4, slope: 4.7e-3 },
    { stp0: 1e1, evaluations: 1, stp: 10, slope: 9.4e-3 },
    { stp0: 1e3, evaluations: 4, stp: 37, slope: 7.3e-4 },
  ])('reproduces Table 1 (phi = -a/(a²+2), ftol 1e-3, gtol 0.1) from a0 = $stp0', ({ stp0, evaluations, stp, slope }) => {
    const r = search(phi1(2), stp0, 1e-3, 0.1);
    expect(r.task).toBe('converged');
    expect(r.evaluations).toBe(evaluations);
    // the paper prints two significant digits
    expect(Math.abs(r.stp - stp)).toBeLessThanOrEqual(0.05 * stp);
    expect(Math.abs(r.slope - slope)).toBeLessThanOrEqual(0.05 * Math.abs(slope));
  });

  it.each([
    { stp0: 1e-1, evaluations: 8 },
    { stp0: 1e1, evaluations: 8 },
    { stp0: 1e3, evaluations: 11 },
  ])('reproduces Table 2 (phi = (a+b)^5 - 2(a+b)^4, b = 0.004, ftol = gtol = 0.1) from a0 = $stp0', ({ stp0, evaluations }) => {
    const r = search(phi2(0.004), stp0, 0.1, 0.1);
    expect(r.task).toBe('converged');
    expect(r.evaluations).toBe(evaluations);
    expect(r.stp).toBeCloseTo(1.6, 2);
  });

  it('accepts a step that meets the strong Wolfe conditions', () => {
    const phi: Phi = (a) => [(a - 3) ** 2, 2 * (a - 3)];
    const r = search(phi, 1, 1e-3, 0.9);
    const [f, g] = phi(r.stp);
    expect(r.task).toBe('converged');
    expect(f).toBeLessThanOrEqual(9 + 1e-3 * r.stp * -6);
    expect(Math.abs(g)).toBeLessThanOrEqual(0.9 * 6);
  });

  it('refuses an ascent direction', () => {
    const ls = new MoreThuenteLineSearch({ ftol: 1e-3, gtol: 0.9, xtol: 0.1, stpmin: 0, stpmax: 10 });
    expect(() => ls.start(0, 1, 1)).toThrow(/descent/);
  });
});
