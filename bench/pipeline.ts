import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import pg from 'pg';
import { createApi } from '../src/api.js';
import { publishAll } from '../src/cli/publish.js';
import { loadConfig } from '../src/core/config/config.js';
import { migrate, openDataSource } from '../src/core/database/data-source.js';
import { createLogger } from '../src/core/logger/logger.js';
import { startWorker } from '../workers/worker.js';

export interface PipelineRun {
  slug: string;
  count: number;
  /** What is uploaded (default: the challenge's baselines/random.csv) and how the table names it. */
  upload?: { name: string; file: () => Promise<Buffer> };
}

export interface PipelineResult {
  challenge: string;
  upload: string;
  samplesMs: number[];
  medianMs: number;
  p90Ms: number;
}

const PG_URL = process.env.BENCH_DATABASE_URL ?? process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const REDIS_URL = process.env.BENCH_REDIS_URL ?? process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

/**
 * Upload-to-leaderboard latency: the API and one worker (Redis queue, local files) in this
 * process on a fresh database; `count` participants each upload the run's file (by default
 * the challenge's baselines/random.csv) in turn, and the clock stops when the leaderboard
 * first shows the submission.
 */
export async function benchPipeline(runs: PipelineRun[]): Promise<PipelineResult[]> {
  const dbName = `sieve_bench_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: PG_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${dbName}`);
  const dbUrl = Object.assign(new URL(PG_URL), { pathname: `/${dbName}` }).toString();
  const home = await mkdtemp(join(tmpdir(), 'sieve-bench-'));
  const prefix = `sieve-bench-${randomBytes(4).toString('hex')}`;
  const config = loadConfig({ DATABASE_URL: dbUrl, REDIS_URL, QUEUE_PREFIX: prefix, SIEVE_HOME: home, LOG_LEVEL: 'silent', WORKER_CONCURRENCY: '1' });
  const logger = createLogger('silent', 'bench');
  const ds = await openDataSource(dbUrl);
  await migrate(ds).finally(() => ds.destroy());
  const api = await createApi(config, dbUrl, logger);
  await api.init();
  await publishAll(config, api, logger);
  await api.listen(0, '127.0.0.1');
  const url = (await api.getUrl()).replace('[::1]', '127.0.0.1');
  const worker = await startWorker(config, dbUrl, logger);
  const results: PipelineResult[] = [];
  try {
    for (const [run, { slug, count, upload }] of runs.entries()) {
      const file = upload ? await upload.file() : await readFile(`challenges/${slug}/baselines/random.csv`);
      // Warm-up: the first submission loads the challenge data into the worker's cache.
      await timeOne(url, slug, file, `warmup-${run}-${slug}`);
      const samples: number[] = [];
      for (let i = 0; i < count; i++) samples.push(await timeOne(url, slug, file, `bench-${run}-${slug}-${i}`));
      const sorted = [...samples].sort((a, b) => a - b);
      results.push({ challenge: slug, upload: upload?.name ?? 'baselines/random.csv', samplesMs: samples, medianMs: quantile(sorted, 0.5), p90Ms: quantile(sorted, 0.9) });
    }
  } finally {
    await worker.stop();
    await api.close();
    await admin.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
    await admin.end();
    const redis = new Redis(REDIS_URL);
    const keys = await redis.keys(`${prefix}:*`);
    if (keys.length) await redis.del(...keys);
    redis.disconnect();
    await rm(home, { recursive: true, force: true });
  }
  return results;
}

async function timeOne(url: string, slug: string, file: Buffer, name: string): Promise<number> {
  const account = (await (await fetch(`${url}/api/v1/accounts`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name }) })).json()) as { token: string };
  const form = new FormData();
  form.set('file', new Blob([file]), 'selection.csv');
  const started = performance.now();
  const res = await fetch(`${url}/api/v1/challenges/${slug}/submissions`, { method: 'POST', headers: { authorization: `Bearer ${account.token}` }, body: form });
  if (res.status !== 202) throw new Error(`upload refused: ${res.status} ${await res.text()}`);
  const { id } = (await res.json()) as { id: string };
  for (;;) {
    const board = (await (await fetch(`${url}/api/v1/challenges/${slug}/leaderboard`)).json()) as { entries: { submissionId: string }[] };
    if (board.entries.some((e) => e.submissionId === id)) return performance.now() - started;
    if (performance.now() - started > 300_000) throw new Error(`submission ${id} not on the leaderboard after 300 s`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

function quantile(sorted: number[], q: number): number {
  const i = (sorted.length - 1) * q;
  const lo = Math.floor(i);
  return sorted[lo] + (sorted[Math.ceil(i)] - sorted[lo]) * (i - lo);
}
