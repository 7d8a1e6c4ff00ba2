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
  const results = await benchPipeline(['digits-selection', 'fashion-selection'], count);
  console.log(`\nupload to leaderboard, ${count} submissions each (one worker, Redis queue, local files)`);
  console.log('| challenge | median ms | p90 ms | min ms | max ms |');
  console.log('|---|---:|---:|---:|---:|');
  for (const r of results) {
    console.log(`| ${r.challenge} | ${r.medianMs.toFixed(0)} | ${r.p90Ms.toFixed(0)} | ${Math.min(...r.samplesMs).toFixed(0)} | ${Math.max(...r.samplesMs).toFixed(0)} |`);
  }
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    console.error(e);
    process.exit(1);
  },
);
