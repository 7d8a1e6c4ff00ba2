/**
 * What a trustworthy board costs, on the fashion-selection test set (2,000 examples):
 *
 *   npm run build && node dist/bench/board-main.js [--entries 50] [--resamples 1000]
 *
 * For `entries` synthetic prediction vectors (the truth with a growing share of labels
 * changed, seeded), it times what the worker adds to each score (its resampled values,
 * stored with it, and its interval from them), what the API does per board read (the
 * tie groups of the board from the stored values), and the public/private split.
 */
import { parseArgs } from 'node:util';
import { macroF1 } from '../src/core/metrics/classification.js';
import { Xoshiro128 } from '../src/core/random/random.js';
import { compareResampled, intervalOf, resampled, stratifiedSplit, tieGroups } from '../src/modules/leaderboards/statistics.js';
import { readChallengeCsv } from '../workers/trainers/testing/datasets.js';

function main(): void {
  const { values } = parseArgs({ options: { entries: { type: 'string', default: '50' }, resamples: { type: 'string', default: '1000' } } });
  const entries = Number(values.entries);
  const settings = { resamples: Number(values.resamples), seed: 0 };
  const truth = readChallengeCsv('challenges/fashion-selection/test.csv.gz').y;
  const n = truth.length;
  const random = new Xoshiro128(1);
  const predictions = Array.from({ length: entries }, (_, e) => Int32Array.from(truth, (y) => (random.nextDouble() < 0.15 + e * 0.002 ? random.nextBelow(10) : y)));
  const yTrue = new Int32Array(n);
  const yPred = new Int32Array(n);
  const statistic = (p: Int32Array) => (indices: Int32Array) => {
    for (let i = 0; i < n; i++) {
      yTrue[i] = truth[indices[i]];
      yPred[i] = p[indices[i]];
    }
    return macroF1(yTrue, yPred);
  };
  const time = <T>(work: () => T): [T, number] => {
    const started = performance.now();
    const result = work();
    return [result, performance.now() - started];
  };

  const [, scoreMs] = time(() => intervalOf(resampled(n, settings, statistic(predictions[0]))));
  const vectors = predictions.map((p) => resampled(n, settings, statistic(p)));
  const ids = predictions.map((_, i) => i);
  const [groups, groupsMs] = time(() => tieGroups(ids, (a, b) => compareResampled(vectors[a], vectors[b]).significant));
  const [, splitMs] = time(() => stratifiedSplit(truth, 0.5, 0));
  const rows = [
    ['step', 'ms'],
    [`worker, per score: ${settings.resamples} resampled values (macro-F1, ${n} examples) and the interval`, scoreMs.toFixed(1)],
    [`API, once per board state: tie groups of ${entries} entries from stored values (${groups.at(-1)!.group + 1} groups)`, groupsMs.toFixed(2)],
    [`stratified public/private split of ${n} examples`, splitMs.toFixed(2)],
  ];
  const width = Math.max(...rows.map((r) => r[0].length));
  for (const [what, ms] of rows) console.log(`${what.padEnd(width)}  ${ms.padStart(8)}`);
}

main();
