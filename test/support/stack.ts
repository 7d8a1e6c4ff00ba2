import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { INestApplication } from '@nestjs/common';
import pg from 'pg';
import type { DestinationStream } from 'pino';
import { createApi } from '../../src/api.js';
import { type Config, loadConfig } from '../../src/core/config/config.js';
import { migrate, openDataSource } from '../../src/core/database/data-source.js';
import { createLogger } from '../../src/core/logger/logger.js';
import { publishAll } from '../../src/cli/publish.js';
import { type RunningWorker, startWorker } from '../../workers/worker.js';
import { copyChallenge } from './bundles.js';
import { type S3TestServer, startS3Server } from './s3-server.js';
import { createTestDatabase, deleteRedisPrefix, TEST_REDIS_URL, type TestDatabase, testQueuePrefix } from './services.js';

export interface StackOptions {
  storage?: 's3' | 'filesystem';
  queue?: 'redis' | 'postgres';
  worker?: boolean;
  env?: Record<string, string>;
  /** Publish only these copies of bundled challenges (in a temp CHALLENGES_DIR of the stack's own). */
  challenges?: { from: string; slug: string; edit?: (yaml: string) => string }[];
  /** Where the API and the worker log, as JSON lines (at LOG_LEVEL, silent unless `env` or TEST_LOG_LEVEL says otherwise); default: stdout. */
  log?: DestinationStream;
}

export interface Stack {
  url: string;
  config: Config;
  db: TestDatabase;
  api: INestApplication;
  worker: RunningWorker | null;
  s3: S3TestServer | null;
  storageDir: string;
  env: Record<string, string>;
  /** The folder the stack published its challenges from (with `challenges`: its own temp folder, for more copies). */
  challengesDir: string;
  /** Runs SQL on the stack's database (to look behind the API, or to set up what the API cannot). */
  sql<T = Record<string, unknown>>(text: string, params?: unknown[]): Promise<T[]>;
  stop(): Promise<void>;
}

/** The environment that points Sieve at a test S3 server. */
export function s3Env(s3: S3TestServer): Record<string, string> {
  return {
    S3_BUCKET: s3.bucket,
    S3_ENDPOINT: s3.endpoint,
    S3_REGION: s3.region,
    S3_ACCESS_KEY_ID: s3.accessKeyId,
    S3_SECRET_ACCESS_KEY: s3.secretAccessKey,
    S3_FORCE_PATH_STYLE: 'true',
  };
}

/**
 * The API (and optionally a worker) in this process, on a database, queue prefix and
 * storage of its own, against the real PostgreSQL, Redis and an S3-compatible server.
 */
export async function startStack(opts: StackOptions = {}): Promise<Stack> {
  // What is set up so far, undone (newest first) when a later step fails: nothing is left behind.
  const undo: (() => Promise<unknown>)[] = [];
  try {
    return await setUp(opts, undo);
  } catch (err) {
    for (const step of undo.reverse()) await step().catch(() => undefined);
    throw err;
  }
}

async function setUp(opts: StackOptions, undo: (() => Promise<unknown>)[]): Promise<Stack> {
  const db = await createTestDatabase();
  undo.push(() => db.drop());
  const prefix = testQueuePrefix();
  if (opts.queue !== 'postgres') undo.push(() => deleteRedisPrefix(prefix));
  const s3 = opts.storage === 'filesystem' ? null : await startS3Server();
  if (s3) undo.push(() => s3.stop());
  const storageDir = await mkdtemp(join(tmpdir(), 'sieve-test-'));
  undo.push(() => rm(storageDir, { recursive: true, force: true }));
  const challengesDir = opts.challenges ? join(storageDir, 'challenges') : undefined;
  for (const c of opts.challenges ?? []) await copyChallenge(challengesDir!, c.from, c.slug, c.edit);
  const env: Record<string, string> = {
    NODE_ENV: 'test',
    DATABASE_URL: db.url,
    QUEUE_PREFIX: prefix,
    SIEVE_HOME: storageDir,
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    RECONCILE_INTERVAL_MS: '500',
    RECONCILE_GRACE_MS: '1000',
    JOB_BACKOFF_MS: '200',
    // Tests poll far faster than any client should; a test of the limits sets its own.
    RATE_LIMIT_PER_MINUTE: '1000000',
    RATE_LIMIT_IP_PER_MINUTE: '1000000',
    RATE_LIMIT_UPLOADS_PER_MINUTE: '1000000',
    RATE_LIMIT_AUTH_PER_MINUTE: '1000000',
    UPLOAD_TMP_DIR: join(storageDir, 'upload-tmp'),
    ...(opts.queue === 'postgres' ? {} : { REDIS_URL: TEST_REDIS_URL }),
    ...(s3 ? s3Env(s3) : { STORAGE_DIR: join(storageDir, 'storage') }),
    ...(challengesDir ? { CHALLENGES_DIR: challengesDir } : {}),
    ...opts.env,
  };
  const config = loadConfig(env);
  const logger = createLogger(config.logLevel, 'sieve-test', opts.log ?? 1);
  const ds = await openDataSource(db.url);
  await migrate(ds).finally(() => ds.destroy());
  const api = await createApi(config, db.url, logger);
  undo.push(() => api.close());
  await api.init();
  const report = await publishAll(config, api, logger);
  if (report.errors.length) throw new Error(report.errors.join('\n'));
  await api.listen(0, '127.0.0.1');
  const url = (await api.getUrl()).replace('[::1]', '127.0.0.1');
  const worker = opts.worker ? await startWorker(config, db.url, logger) : null;
  let pool: pg.Pool | null = null;
  return {
    url,
    config,
    db,
    api,
    worker,
    s3,
    storageDir,
    env,
    challengesDir: config.challengesDir,
    async sql<T>(text: string, params: unknown[] = []) {
      pool ??= new pg.Pool({ connectionString: db.url, max: 2 });
      return (await pool.query(text, params)).rows as T[];
    },
    async stop() {
      await pool?.end();
      await worker?.stop();
      await api.close();
      await db.drop();
      if (opts.queue !== 'postgres') await deleteRedisPrefix(prefix);
      await s3?.stop();
      await rm(storageDir, { recursive: true, force: true });
    },
  };
}
