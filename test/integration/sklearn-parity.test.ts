/**
 * Parity of Sieve's fixed model with scikit-learn 1.2's LogisticRegression on the
 * bundled challenges: same seeded selections, both trained with the challenge's
 * settings, then compared on the hidden test set (macro-F1 and accuracy within 0.005),
 * on the objective they reach and on the coefficients.
 *
 * Needs `npm run build` (the WebAssembly kernels) and a Python with scikit-learn:
 * /usr/bin/python3 with python3-sklearn (CI installs it), or SIEVE_SKLEARN_PYTHON.
 * Without scikit-learn the comparisons are skipped with a warning.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { parse } from 'yaml';
import { z } from 'zod';

import { fitLogReg, predictLogReg, type LogRegModel } from '../../workers/trainers/logreg/logreg.js';
import { accuracy, macroF1 } from '../../src/core/metrics/classification.js';
import { readChallengeCsv, seededSelection, takeRows, type LabeledRows } from '../../workers/trainers/testing/datasets.js';
import { runSklearnLogReg, SKLEARN_PYTHON, sklearnAvailable, type SklearnResult } from '../../workers/trainers/testing/sklearn-reference.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const haveSklearn = await sklearnAvailable();
if (!haveSklearn) {
  console.warn(
    `\n*** sklearn-parity: ${SKLEARN_PYTHON} cannot import scikit-learn — the parity checks are SKIPPED.\n` +
      '*** Install python3-sklearn (apt) or point SIEVE_SKLEARN_PYTHON at a Python that has it.\n',
  );
}
const itWithSklearn = haveSklearn ? it : it.skip;

const challengeSchema = z.object({
  data: z.object({ pool: z.string(), test: z.string(), labels: z.array(z.string()) }),
  model: z.object({ kind: z.literal('logreg'), params: z.object({ C: z.number(), maxIter: z.number().int(), tol: z.number() }) }),
  budget: z.object({ maxItems: z.number().int() }),
});

interface Challenge {
  pool: LabeledRows;
  test: LabeledRows;
  classes: number;
  size: number;
  params: { C: number; maxIter: number; tol: number };
}

const cache = new Map<string, Challenge>();
function challenge(slug: string): Challenge {
  let c = cache.get(slug);
  if (!c) {
    const dir = join(ROOT, 'challenges', slug);
    const spec = challengeSchema.parse(parse(readFileSync(join(dir, 'challenge.yaml'), 'utf8')));
    c = {
      pool: readChallengeCsv(join(dir, spec.data.pool)),
      test: readChallengeCsv(join(dir, spec.data.test)),
      classes: spec.data.labels.length,
      size: spec.budget.maxItems,
      params: spec.model.params,
    };
    cache.set(slug, c);
  }
  return c;
}

function maxCoefDifference(model: LogRegModel, sk: SklearnResult): { diff: number; scale: number } {
  let diff = 0;
  let scale = 0;
  sk.coef.forEach((row, c) =>
    row.forEach((v, j) => {
      diff = Math.max(diff, Math.abs(v - model.coef[c * model.d + j]));
      scale = Math.max(scale, Math.abs(v));
    }),
  );
  sk.intercept.forEach((v, c) => (diff = Math.max(diff, Math.abs(v - model.intercept[c]))));
  return { diff, scale };
}

async function compare(c: Challenge, rowsIdx: Int32Array) {
  const rows = takeRows(c.pool, rowsIdx);
  const model = fitLogReg({ ...rows, classes: c.classes }, c.params);
  const ours = predictLogReg(model, c.test.x, c.test.n);
  const sk = await runSklearnLogReg({ train: rows, test: { x: c.test.x, n: c.test.n }, params: c.params });
  const coef = maxCoefDifference(model, sk);
  return {
    model,
    sk,
    f1: { sieve: macroF1(c.test.y, ours), sklearn: macroF1(c.test.y, sk.predictions) },
    acc: { sieve: accuracy(c.test.y, ours), sklearn: accuracy(c.test.y, sk.predictions) },
    coef,
  };
}

function expectParity(r: Awaited<ReturnType<typeof compare>>): void {
  expect(r.sk.sklearnVersion).toMatch(/^1\.2\./);
  expect(Array.from(r.model.classes)).toEqual(r.sk.classes);
  expect(Math.abs(r.f1.sieve - r.f1.sklearn)).toBeLessThanOrEqual(0.005);
  expect(Math.abs(r.acc.sieve - r.acc.sklearn)).toBeLessThanOrEqual(0.005);
  // Same optimizer path: in practice equal iterations, objectives within 1e-14 and
  // coefficients within 1e-9; the bounds leave room for another BLAS under numpy.
  expect(Math.abs(r.model.objective - r.sk.objective)).toBeLessThanOrEqual(1e-7 * Math.abs(r.sk.objective));
  expect(r.coef.diff).toBeLessThanOrEqual(1e-4 * Math.max(1, r.coef.scale));
  expect(Math.abs(r.model.iterations - r.sk.iterations)).toBeLessThanOrEqual(2);
  expect(r.model.converged).toBe(r.sk.converged);
}

describe('Sieve logreg vs scikit-learn LogisticRegression', () => {
  describe.each(['digits-selection', 'fashion-selection'])('%s', (slug) => {
    itWithSklearn.each([0, 1, 2])(
      'a random selection of the challenge budget (seed %i)',
      async (seed) => {
        const c = challenge(slug);
        const r = await compare(c, seededSelection(c.pool.n, c.size, seed));
        expectParity(r);
      },
      60_000,
    );
  });

  itWithSklearn(
    'binary: a selection with two classes only (digits 3 and 8)',
    async () => {
      const c = challenge('digits-selection');
      const idx = Int32Array.from(Array.from(c.pool.y.keys()).filter((i) => c.pool.y[i] === 3 || c.pool.y[i] === 8).slice(0, 80));
      const r = await compare(c, idx);
      expect(Array.from(r.model.classes)).toEqual([3, 8]);
      expect(r.model.intercept).toHaveLength(1);
      expectParity(r);
    },
    60_000,
  );

  itWithSklearn(
    'a subset of the classes: 7 of the 10 fashion classes',
    async () => {
      const c = challenge('fashion-selection');
      const idx = Int32Array.from(Array.from(seededSelection(c.pool.n, 2000, 7)).filter((i) => ![1, 4, 9].includes(c.pool.y[i])).slice(0, 600));
      const r = await compare(c, idx);
      expect(Array.from(r.model.classes)).toEqual([0, 2, 3, 5, 6, 7, 8]);
      expectParity(r);
    },
    60_000,
  );
});
