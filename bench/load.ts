import { randomBytes } from 'node:crypto';
import { cp, mkdtemp, readFile, rm } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import pg from 'pg';
import { loadConfig } from '../src/core/config/config.js';
import { QUEUES } from '../src/core/queue/jobs.js';
import { createQueueBackend } from '../src/core/queue/queue-backend.js';
import { Xoshiro128 } from '../src/core/random/random.js';
import { seedBoards } from './load-seed.js';
import { type Child, freePort, runNode, startChild } from './processes.js';
import { deleteRedisKeys } from './services.js';

/** What the bench keeps of a child's output (the last 64 kB, for errors), echoed with SIEVE_BENCH_ECHO set. */
const CHILD_OUTPUT = { keep: 65_536, echo: Boolean(process.env.SIEVE_BENCH_ECHO) };

/** The small bundled challenge the uploads and evaluations go to, and the template of the seeded boards. */
const CHALLENGE = 'digits-selection';
const UPLOAD_FILE = `challenges/${CHALLENGE}/baselines/random.csv`;

export interface LoadOptions {
  /** Seeded boards: copies of CHALLENGE with scored submissions. */
  challenges: number;
  submissions: number;
  participants: number;
  /** Participants per seeded challenge (each makes submissions / challenges / perChallenge). */
  perChallenge: number;
  readSeconds: number;
  readConnections: number;
  /** Also measure reads with the board cache off (LEADERBOARD_CACHE_ENTRIES=0). */
  uncached: boolean;
  uploads: number;
  uploaders: number;
  uploadConnections: number;
  /** Submissions queued for each evaluation run. */
  evaluations: number;
  /** Worker processes of each evaluation run. */
  workerCounts: number[];
  /** Progress lines (stderr by default). */
  log: (line: string) => void;
}

export interface ReadResult {
  cache: 'on' | 'off';
  connections: number;
  requests: number;
  seconds: number;
  perSecond: number;
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  maxMs: number;
  /** Answers other than 200, and connection errors. */
  failed: number;
  /** Load average (1 min) when the run started: other work on the machine. */
  loadBefore: number;
}

export interface UploadResult {
  sent: number;
  uploaders: number;
  connections: number;
  seconds: number;
  accepted: number;
  acceptedPerSecond: number;
  /** 429: over a limit. */
  refused: number;
  /** Any other answer, a connection error or a timeout: should be 0. */
  other: number;
  /** Uploads sent that got neither an answer nor an error: should be 0. */
  unanswered: number;
  p50Ms: number;
  p99Ms: number;
  /** Submissions in the database from the burst. */
  inDatabase: number;
  /** 202s whose submission is not in the database: should be 0. */
  lost: number;
  /** Submissions in the database that no 202 named: should be 0. */
  unannounced: number;
}

export interface EvaluationResult {
  workers: number;
  concurrency: number;
  submissions: number;
  scored: number;
  failed: number;
  seconds: number;
  perMinute: number;
}

export interface LoadResults {
  machine: { cpus: number; node: string };
  seed: { challenges: number; submissions: number; participants: number; predictions: number; seconds: number };
  coldBoardMs: { median: number; max: number; medianBytes: number } | null;
  reads: ReadResult[];
  evaluations: EvaluationResult[];
  uploads: UploadResult | null;
}

const PG_URL = process.env.BENCH_DATABASE_URL ?? process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const REDIS_URL = process.env.BENCH_REDIS_URL ?? process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

/**
 * The load bench: a fresh database (`sieve_bench_<random>`, dropped at the end) with
 * `challenges` boards of scored submissions seeded in SQL, the built API and workers as
 * child processes (dist/), and autocannon for the HTTP load:
 *
 * 1. board reads: random boards of the seeded ones for `readSeconds` over
 *    `readConnections` connections (with the cache off first, when asked, then on);
 * 2. evaluations: for each worker count, `evaluations` submissions to CHALLENGE queued
 *    while the queue is paused, then that many worker processes started, the queue
 *    resumed, and the clock stopped when every one is scored;
 * 3. an upload burst: `uploads` uploads to CHALLENGE from `uploaders` participants over
 *    `uploadConnections` connections; every answer must be 202 or 429, and the 202s must
 *    be exactly the submissions in the database.
 */
export async function runLoadBench(opts: LoadOptions): Promise<LoadResults> {
  const { log } = opts;
  const tag = randomBytes(4).toString('hex');
  const dbName = `sieve_bench_${tag}`;
  const prefix = `sieve-bench-${tag}`;
  const dbUrl = Object.assign(new URL(PG_URL), { pathname: `/${dbName}` }).toString();
  const home = await mkdtemp(join(tmpdir(), 'sieve-bench-'));
  const children: Child[] = [];
  const admin = new pg.Client({ connectionString: PG_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${dbName}`);
  const db = new pg.Pool({ connectionString: dbUrl, max: 2 });
  // pool.end() resolves before its sockets close; DROP DATABASE … WITH (FORCE) then ends them, which is no error of ours.
  db.on('error', () => undefined);
  const env = benchEnv({
    DATABASE_URL: dbUrl,
    REDIS_URL,
    QUEUE_PREFIX: prefix,
    SIEVE_HOME: home,
    STORAGE_DIR: join(home, 'storage'),
    CHALLENGES_DIR: join(home, 'challenges'),
    UPLOAD_TMP_DIR: join(home, 'upload-tmp'),
  });
  const startApi = async (extra: Record<string, string> = {}) => {
    const port = await freePort();
    const api = startChild(['dist/src/main.js'], { ...env, ...extra, PORT: String(port) }, CHILD_OUTPUT);
    children.push(api);
    await api.waitFor(/API listening/, 60_000);
    return { api, url: `http://127.0.0.1:${port}` };
  };
  const stopChild = async (c: Child) => {
    await c.stop();
    children.splice(children.indexOf(c), 1);
  };
  const cleanup = async () => {
    await Promise.all(children.map((c) => c.stop('SIGTERM', 5_000)));
    await db.end().catch(() => undefined);
    await admin.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`).catch((e: unknown) => log(`could not drop ${dbName}: ${String(e)}`));
    await admin.end().catch(() => undefined);
    await deleteRedisKeys(REDIS_URL, prefix).catch((e: unknown) => log(`could not delete Redis keys ${prefix}:*: ${String(e)}`));
    await rm(home, { recursive: true, force: true });
  };
  // Ctrl-C: the children, the database and the Redis keys go too.
  const interrupted = () => void cleanup().finally(() => process.exit(130));
  process.once('SIGINT', interrupted);
  try {
    log(`database ${dbName}, Redis prefix ${prefix}`);
    await cp(join('challenges', CHALLENGE), join(home, 'challenges', CHALLENGE), { recursive: true });
    await runNode(['bin/sieve.js', 'migrate'], env);
    await runNode(['bin/sieve.js', 'challenges', 'publish'], env);
    log(`seeding ${opts.challenges} boards with ${opts.submissions} scored submissions of ${opts.participants} participants…`);
    const seeded = await seedBoards(dbUrl, CHALLENGE, `challenges/${CHALLENGE}/test.csv.gz`, opts);
    const results: LoadResults = {
      machine: { cpus: cpus().length, node: process.version },
      seed: { challenges: opts.challenges, submissions: opts.challenges * Math.floor(opts.submissions / opts.challenges), participants: opts.participants, predictions: seeded.predictions, seconds: seeded.seconds },
      coldBoardMs: null,
      reads: [],
      evaluations: [],
      uploads: null,
    };
    log(`seeded in ${seeded.seconds.toFixed(1)} s`);

    // 1. Board reads.
    if (opts.readSeconds > 0) {
      if (opts.uncached) {
        const { api, url } = await startApi({ LEADERBOARD_CACHE_ENTRIES: '0' });
        await readBoard(url, seeded.slugs[0]);
        log(`reads, cache off: ${opts.readSeconds} s over ${opts.readConnections} connections…`);
        results.reads.push({ cache: 'off', ...(await measureReads(url, seeded.slugs, opts.readSeconds, opts.readConnections)) });
        await stopChild(api);
      }
    }
    const { url } = await startApi();
    if (opts.readSeconds > 0) {
      // Each board computed once (cold: the rows, the ranking, the tie groups from stored resampled values), then kept.
      const cold: number[] = [];
      const sizes: number[] = [];
      for (const slug of seeded.slugs) {
        const started = performance.now();
        sizes.push(await readBoard(url, slug));
        cold.push(performance.now() - started);
      }
      const median = (xs: number[]) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)];
      results.coldBoardMs = { median: median(cold), max: Math.max(...cold), medianBytes: median(sizes) };
      log(`reads, cache on: ${opts.readSeconds} s over ${opts.readConnections} connections…`);
      results.reads.push({ cache: 'on', ...(await measureReads(url, seeded.slugs, opts.readSeconds, opts.readConnections)) });
    }

    const needed = opts.uploads > 0 || opts.evaluations > 0 ? opts.uploaders : 0;
    log(`registering ${needed} uploaders…`);
    const tokens = await inParallel(needed, 8, async (i) => {
      const token = await register(url, `uploader-${String(i).padStart(5, '0')}`);
      await post(url, `/challenges/${CHALLENGE}/join`, token, { acceptRules: true }, [200, 201]);
      return token;
    });
    const file = await readFile(UPLOAD_FILE);

    // 2. Evaluations with 1, 2… worker processes.
    if (opts.evaluations > 0) {
      const backend = createQueueBackend(loadConfig(env), dbUrl);
      const queue = backend.queue(QUEUES.evaluateCpu);
      const concurrency = loadConfig(env).worker.concurrency;
      try {
        for (const [run, workers] of opts.workerCounts.entries()) {
          await queue.pause();
          // Round robin over the uploaders, run after run: each stays far under its per-minute upload limit.
          const ids = await inParallel(opts.evaluations, 8, (i) => upload(url, tokens[(run * opts.evaluations + i) % tokens.length], file));
          const procs = Array.from({ length: workers }, () => startChild(['dist/workers/main.js'], env, CHILD_OUTPUT));
          children.push(...procs);
          await Promise.all(procs.map((p) => p.waitFor(/serving queue/, 60_000)));
          log(`evaluations: ${ids.length} queued, ${workers} worker process${workers === 1 ? '' : 'es'} ready…`);
          const started = performance.now();
          await queue.resume();
          const done = await until(async () => {
            const { rows } = await db.query<{ scored: number; failed: number }>(
              `SELECT count(*) FILTER (WHERE status = 'scored')::int AS scored, count(*) FILTER (WHERE status = 'failed')::int AS failed FROM submissions WHERE id = ANY($1)`,
              [ids],
            );
            return rows[0].scored + rows[0].failed === ids.length ? rows[0] : null;
          }, 30 * 60_000);
          const seconds = (performance.now() - started) / 1000;
          for (const p of procs) await stopChild(p);
          results.evaluations.push({ workers, concurrency, submissions: ids.length, ...done, seconds, perMinute: (done.scored / seconds) * 60 });
        }
      } finally {
        await backend.close();
      }
    }

    // 3. The upload burst (no worker runs: the submissions stay queued).
    if (opts.uploads > 0) {
      log(`upload burst: ${opts.uploads} uploads from ${tokens.length} participants over ${opts.uploadConnections} connections…`);
      results.uploads = await uploadBurst(url, db, tokens, file, opts);
    }
    return results;
  } finally {
    process.removeListener('SIGINT', interrupted);
    await cleanup();
  }
}

/** The children's environment: this bench's services only, info logs, and no per-address limits (every request comes from 127.0.0.1). */
function benchEnv(own: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const key of Object.keys(env)) {
    if (/^(DATABASE_URL|REDIS_URL|S3_|STORAGE_DIR|SIEVE_|QUEUE_PREFIX|PORT|HOST|CHALLENGES_DIR|EMBEDDED_PG_PORT|NODE_OPTIONS|LEADERBOARD_|RATE_LIMIT_|WORKER_|LOG_)/.test(key)) delete env[key];
  }
  // The per-token upload limit (RATE_LIMIT_UPLOADS_PER_MINUTE, 10) stays as deployed: the burst's answers may include its 429s.
  return { ...env, NODE_ENV: 'production', LOG_LEVEL: 'info', LOG_FORMAT: 'json', RATE_LIMIT_PER_MINUTE: '0', RATE_LIMIT_IP_PER_MINUTE: '0', RATE_LIMIT_AUTH_PER_MINUTE: '0', ...own };
}

async function measureReads(url: string, slugs: string[], seconds: number, connections: number): Promise<Omit<ReadResult, 'cache'>> {
  const random = new Xoshiro128(1);
  const loadBefore = loadavg()[0];
  const r = await autocannon({
    url,
    connections,
    duration: seconds,
    requests: [
      {
        method: 'GET',
        setupRequest: (req) => ({ ...req, path: `/api/v1/challenges/${slugs[random.nextBelow(slugs.length)]}/leaderboard` }),
      },
    ],
  });
  const requests = r.requests.total;
  return {
    connections,
    requests,
    seconds: r.duration,
    perSecond: requests / r.duration,
    p50Ms: r.latency.p50,
    p90Ms: r.latency.p90,
    p99Ms: r.latency.p99,
    maxMs: r.latency.max,
    failed: r.non2xx + r.errors,
    loadBefore,
  };
}

async function uploadBurst(url: string, db: pg.Pool, tokens: string[], file: Buffer, opts: LoadOptions): Promise<UploadResult> {
  const boundary = `sieve-bench-${randomBytes(8).toString('hex')}`;
  const body = Buffer.concat([
    Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="selection.csv"\r\nContent-Type: text/csv\r\n\r\n`),
    file,
    Buffer.from(`\r\n--${boundary}--\r\n`),
  ]);
  const [{ since }] = (await db.query<{ since: Date }>('SELECT now() AS since')).rows;
  const statuses = new Map<number, number>();
  const accepted: string[] = [];
  let next = 0;
  const r = await autocannon({
    url,
    amount: opts.uploads,
    connections: opts.uploadConnections,
    timeout: 60,
    requests: [
      {
        method: 'POST',
        path: `/api/v1/challenges/${CHALLENGE}/submissions`,
        body,
        headers: { 'content-type': `multipart/form-data; boundary=${boundary}` },
        setupRequest: (req) => ({ ...req, headers: { ...req.headers, authorization: `Bearer ${tokens[next++ % tokens.length]}` } }),
        onResponse: (status, text) => {
          statuses.set(status, (statuses.get(status) ?? 0) + 1);
          if (status === 202) accepted.push((JSON.parse(text) as { id: string }).id);
        },
      },
    ],
  });
  const { rows } = await db.query<{ id: string }>(
    `SELECT s.id FROM submissions s JOIN challenges c ON c.id = s.challenge_id WHERE c.slug = $1 AND s.created_at >= $2 AND NOT s.dry_run`,
    [CHALLENGE, since],
  );
  const stored = new Set(rows.map((row) => row.id));
  const announced = new Set(accepted);
  const refused = statuses.get(429) ?? 0;
  const answered = [...statuses.values()].reduce((a, b) => a + b, 0);
  return {
    sent: opts.uploads,
    uploaders: tokens.length,
    connections: opts.uploadConnections,
    seconds: r.duration,
    accepted: accepted.length,
    acceptedPerSecond: accepted.length / r.duration,
    refused,
    other: answered - accepted.length - refused + r.errors,
    unanswered: Math.max(0, opts.uploads - answered - r.errors),
    p50Ms: r.latency.p50,
    p99Ms: r.latency.p99,
    inDatabase: stored.size,
    lost: accepted.filter((id) => !stored.has(id)).length,
    unannounced: [...stored].filter((id) => !announced.has(id)).length,
  };
}

/** Reads a board; returns its size in bytes. */
async function readBoard(url: string, slug: string): Promise<number> {
  const res = await fetch(`${url}/api/v1/challenges/${slug}/leaderboard`);
  if (res.status !== 200) throw new Error(`board of ${slug}: ${res.status} ${await res.text()}`);
  return (await res.arrayBuffer()).byteLength;
}

async function register(url: string, name: string): Promise<string> {
  return ((await post(url, '/accounts', null, { name }, [201])) as { token: string }).token;
}

async function upload(url: string, token: string, file: Buffer): Promise<string> {
  const form = new FormData();
  form.set('file', new Blob([new Uint8Array(file)]), 'selection.csv');
  const res = await fetch(`${url}/api/v1/challenges/${CHALLENGE}/submissions`, { method: 'POST', headers: { authorization: `Bearer ${token}` }, body: form });
  if (res.status !== 202) throw new Error(`upload refused: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { id: string }).id;
}

async function post(url: string, path: string, token: string | null, body: unknown, expect: number[]): Promise<unknown> {
  const res = await fetch(`${url}/api/v1${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(body),
  });
  if (!expect.includes(res.status)) throw new Error(`POST ${path}: ${res.status} ${await res.text()}`);
  return res.json();
}

/** `work(0…n-1)`, at most `limit` at once, results in order. */
async function inParallel<T>(n: number, limit: number, work: (i: number) => Promise<T>): Promise<T[]> {
  const out = new Array<T>(n);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, n) }, async () => {
      while (next < n) {
        const i = next++;
        out[i] = await work(i);
      }
    }),
  );
  return out;
}

async function until<T>(probe: () => Promise<T | null>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
