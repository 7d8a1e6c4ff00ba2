/**
 * Benchmark of the fixed reference model against scikit-learn on the bundled
 * challenges:
 *
 *   npm run build && node dist/bench/training-main.js [--repeats 15] [--seeds 3]
 *
 * For each challenge folder present under challenges/ (digits-selection,
 * fashion-selection), it draws seeded selections of the challenge's budget size and
 * prints the median training times, their ratio and the test macro-F1 of both.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

import { parse } from 'yaml';
import { z } from 'zod';

import { readChallengeCsv } from '../workers/trainers/testing/datasets.js';
import { SKLEARN_PYTHON } from '../workers/trainers/testing/sklearn-reference.js';
import { benchTraining } from './training.js';

const CHALLENGES = ['digits-selection', 'fashion-selection'];

const challengeSchema = z.object({
  data: z.object({ pool: z.string(), test: z.string(), labels: z.array(z.string()) }),
  model: z.object({ kind: z.literal('logreg'), params: z.object({ C: z.number(), maxIter: z.number().int(), tol: z.number() }) }),
  budget: z.object({ maxItems: z.number().int() }),
});

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { repeats: { type: 'string', default: '15' }, seeds: { type: 'string', default: '3' } } });
  const repeats = Number(values.repeats);
  const seeds = Number(values.seeds);
  const root = process.cwd();
  const rows: string[][] = [['challenge', 'seed', 'n', 'sieve ms', 'sklearn ms', 'ratio', 'iters (sieve/sk)', 'macro-F1 sieve', 'macro-F1 sklearn']];
  for (const slug of CHALLENGES) {
    const dir = join(root, 'challenges', slug);
    if (!existsSync(join(dir, 'challenge.yaml'))) {
      console.warn(`${slug}: not found under ${join(root, 'challenges')}, skipped`);
      continue;
    }
    const spec = challengeSchema.parse(parse(readFileSync(join(dir, 'challenge.yaml'), 'utf8')));
    const pool = readChallengeCsv(join(dir, spec.data.pool));
    const test = readChallengeCsv(join(dir, spec.data.test));
    for (let seed = 0; seed < seeds; seed++) {
      const r = await benchTraining({
        name: slug,
        poolX: pool.x,
        poolY: pool.y,
        n: pool.n,
        d: pool.d,
        classes: spec.data.labels.length,
        testX: test.x,
        testY: test.y,
        testN: test.n,
        selectionSize: spec.budget.maxItems,
        params: spec.model.params,
        repeats,
        seed,
      });
      rows.push([
        slug,
        String(seed),
        String(spec.budget.maxItems),
        r.sieveMs.toFixed(2),
        r.sklearnMs === null ? 'n/a' : r.sklearnMs.toFixed(2),
        r.ratio === null ? 'n/a' : r.ratio.toFixed(3),
        `${r.sieveIterations}/${r.sklearnIterations ?? 'n/a'}`,
        r.sieveMacroF1.toFixed(4),
        r.sklearnMacroF1 === null ? 'n/a' : r.sklearnMacroF1.toFixed(4),
      ]);
    }
  }
  const widths = rows[0].map((_, c) => Math.max(...rows.map((row) => row[c].length)));
  for (const row of rows) console.log(row.map((cell, c) => cell.padStart(widths[c])).join('  '));
  console.log(`(median of ${repeats} fits each; scikit-learn from ${SKLEARN_PYTHON}; node ${process.version})`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
