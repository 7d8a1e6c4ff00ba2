import { cleaningCheckpoints, cleaningScore, type CurvePoint, labelsAfterFixes } from './cleaning-score.js';

const curve = (n: number, points: [number, number][]): CurvePoint[] => points.map(([fixes, accuracy]) => ({ fixes, fraction: fixes / n, accuracy }));

describe('cleaningCheckpoints', () => {
  it.each<[number, number, number[]]>([
    [10, 5, [0, 2, 4, 6, 8, 10]],
    [7, 2, [0, 3, 7]],
    [3, 10, [0, 1, 2, 3]], // floor(j·3/10) repeats: duplicates removed
    [1000, 100, Array.from({ length: 101 }, (_, j) => j * 10)],
  ])('N=%i in %i steps', (n, steps, expected) => {
    expect(cleaningCheckpoints(n, steps)).toEqual(expected);
  });
});

describe('labelsAfterFixes', () => {
  it('fixes exactly the first k ids of the order', () => {
    const noisy = Int32Array.from([1, 1, 0, 0]);
    const clean = Int32Array.from([0, 1, 1, 0]);
    const order = Int32Array.from([2, 0, 3, 1]);
    expect(Array.from(labelsAfterFixes(noisy, clean, order, 0))).toEqual([1, 1, 0, 0]);
    expect(Array.from(labelsAfterFixes(noisy, clean, order, 1))).toEqual([1, 1, 1, 0]);
    expect(Array.from(labelsAfterFixes(noisy, clean, order, 2))).toEqual([0, 1, 1, 0]);
    expect(Array.from(labelsAfterFixes(noisy, clean, order, 4))).toEqual(Array.from(clean));
  });
});

describe('cleaningScore', () => {
  // Worked by hand. N = 10, checkpoints every 2 fixes, fully cleaned accuracy A = 0.80,
  // so target = 0.95 · 0.80 = 0.76.
  it.each<[string, [number, number][], number]>([
    ['first checkpoint at or above 0.76 is 6 fixes → 0.6', [[0, 0.5], [2, 0.6], [4, 0.75], [6, 0.77], [8, 0.79], [10, 0.8]], 0.6],
    ['exactly the target counts (>=, no rounding) → 0.4', [[0, 0.5], [2, 0.6], [4, 0.76], [6, 0.77], [8, 0.79], [10, 0.8]], 0.4],
    ['0.7599 is below 0.76 even though it rounds to 0.76 → 0.6', [[0, 0.5], [2, 0.6], [4, 0.7599], [6, 0.77], [8, 0.79], [10, 0.8]], 0.6],
    ['already at target with no fixes → 0', [[0, 0.78], [2, 0.6], [10, 0.8]], 0],
    ['a curve that dips after reaching the target keeps the first crossing → 0.2', [[0, 0.5], [2, 0.77], [4, 0.7], [10, 0.8]], 0.2],
    ['only the full cleaning reaches it → 1', [[0, 0.1], [5, 0.5], [10, 0.8]], 1],
  ])('%s', (_name, points, expected) => {
    expect(cleaningScore(curve(10, points)).score).toBe(expected);
  });

  it('reports the target it compared against', () => {
    expect(cleaningScore(curve(10, [[0, 0.5], [10, 0.8]])).target).toBe(0.95 * 0.8);
  });

  it('refuses an empty or non-increasing curve', () => {
    expect(() => cleaningScore([])).toThrow('empty');
    expect(() => cleaningScore(curve(10, [[0, 0.5], [0, 0.6]]))).toThrow('increase');
  });
});
