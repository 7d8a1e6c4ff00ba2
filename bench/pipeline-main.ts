/**
 * Upload-to-leaderboard latency on the bundled challenges:
 *
 *   npm run build && node dist/bench/pipeline-main.js [--count 20]
 *
 * Needs PostgreSQL and Redis (BENCH_DATABASE_URL / BENCH_REDIS_URL, defaulting to the
 * test services on 127.0.0.1); it creates and drops a database of its own.
 */
import { parseArgs } from 'node:util';
import { benchPipeline } from './pipeline.js';

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { count: { type: 'string', default: '20' } } });
  const count = Number(values.count);
  const cleaningCount = Math.max(1, Math.ceil(count / 5));
  const results = await benchPipeline([
    { slug: 'digits-selection', count },
    { slug: 'fashion-selection', count },
    // one cleaning submission retrains the model 101 times
    { slug: 'fashion-cleaning', count: cleaningCount },
  ]);
  console.log(`\nupload to leaderboard (one worker, Redis queue, local files)`);
  console.log('| challenge | submissions | median ms | p90 ms | min ms | max ms |');
  console.log('|---|---:|---:|---:|---:|---:|');
  for (const r of results) {
    console.log(`| ${r.challenge} | ${r.samplesMs.length} | ${r.medianMs.toFixed(0)} | ${r.p90Ms.toFixed(0)} | ${Math.min(...r.samplesMs).toFixed(0)} | ${Math.max(...r.samplesMs).toFixed(0)} |`);
  }
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    console.error(e);
    process.exit(1);
  },
);
