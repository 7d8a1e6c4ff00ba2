import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { copyChallenge } from '../support/bundles.js';
import * as client from '../support/client.js';
import { cleanEnv, freePort, type Proc, run, startProcess } from '../support/processes.js';
import { createTestDatabase, deleteRedisPrefix, queryOnce, TEST_REDIS_URL, type TestDatabase, testQueuePrefix, waitUntil } from '../support/services.js';

const SLUG = 'digits-faults';
const SUBMISSIONS = 100;

/**
 * A worker is killed with SIGKILL in the middle of its work, with 100 submissions in
 * flight, and another worker is started: every submission is scored, once, none is lost
 * or stuck, and none is failed (so nobody is charged for the crash).
 */
describe('faults: a worker killed mid-evaluation', () => {
  let db: TestDatabase;
  let home: string;
  let env: NodeJS.ProcessEnv;
  let url: string;
  const procs: Proc[] = [];
  const prefix = testQueuePrefix();
  const sql = <T>(text: string) => queryOnce<T>(db.url, text);
  const start = async (args: string[], ready: RegExp) => {
    const p = startProcess(args, env);
    procs.push(p);
    await p.waitFor(ready, 30_000);
    return p;
  };

  beforeAll(async () => {
    [db, home] = await Promise.all([createTestDatabase(), mkdtemp(join(tmpdir(), 'sieve-faults-'))]);
    // A model that trains for about a second per submission, so the kill lands in the middle of one.
    await copyChallenge(join(home, 'challenges'), 'digits-selection', SLUG, (y) =>
      y.replace(/^model:\n( {2}.*\n)+/m, 'model:\n  kind: mlp\n  params: { hidden: 64, epochs: 300, batchSize: 8 }\n  seeds: [0, 1, 2]\n'),
    );
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    env = cleanEnv({
      DATABASE_URL: db.url,
      REDIS_URL: TEST_REDIS_URL,
      QUEUE_PREFIX: prefix,
      SIEVE_HOME: home,
      CHALLENGES_DIR: join(home, 'challenges'),
      PORT: String(port),
      RECONCILE_INTERVAL_MS: '500',
      RECONCILE_GRACE_MS: '1000',
      // A killed worker's leases lapse after 3 s here (30 s by default).
      WORKER_HEARTBEAT_MS: '500',
      EVALUATION_LEASE_MS: '3000',
      JOB_BACKOFF_MS: '200',
      RATE_LIMIT_PER_MINUTE: '1000000',
      RATE_LIMIT_IP_PER_MINUTE: '1000000',
      RATE_LIMIT_UPLOADS_PER_MINUTE: '1000000',
    });
    expect((await run(['bin/sieve.js', 'migrate'], env)).code).toBe(0);
    expect((await run(['bin/sieve.js', 'challenges', 'publish'], env)).code).toBe(0);
    await start(['dist/src/main.js'], /API listening/);
  }, 180_000);

  afterAll(async () => {
    for (const p of procs) await p.stop('SIGKILL');
    await db?.drop();
    await deleteRedisPrefix(prefix);
    if (home) await rm(home, { recursive: true, force: true });
  }, 60_000);

  it(`scores all ${SUBMISSIONS} submissions exactly once after a SIGKILL`, async () => {
    const file = await readFile('challenges/digits-selection/baselines/random.csv');
    const tokens = await Promise.all(Array.from({ length: 10 }, (_, i) => client.register(url, `p${i}`)));
    for (const t of tokens) await client.join(url, t, SLUG);
    for (let i = 0; i < SUBMISSIONS; i++) await client.submit(url, tokens[i % tokens.length], SLUG, file);

    const first = await start(['dist/workers/main.js'], /serving queue/);
    await waitUntil(async () => (await sql<{ n: number }>("SELECT count(*)::int AS n FROM submissions WHERE status = 'scored'"))[0].n >= 10, 120_000, 'ten scores');
    await waitUntil(async () => (await sql<{ n: number }>("SELECT count(*)::int AS n FROM submissions WHERE status = 'running'"))[0].n > 0, 30_000, 'an evaluation running');
    const running = (await sql<{ id: string }>("SELECT id FROM submissions WHERE status = 'running'")).map((r) => r.id);
    first.child.kill('SIGKILL');

    await start(['dist/workers/main.js'], /serving queue/);
    await waitUntil(async () => (await sql<{ n: number }>("SELECT count(*)::int AS n FROM submissions WHERE status <> 'scored'"))[0].n === 0, 240_000, 'every submission scored');

    const rows = await sql<{ id: string; status: string; attempts: number; scores: number; error: string | null }>(
      'SELECT s.id, s.status, s.attempts, s.error_code AS error, (SELECT count(*)::int FROM scores sc WHERE sc.submission_id = s.id) AS scores FROM submissions s',
    );
    expect(rows).toHaveLength(SUBMISSIONS);
    expect(rows.filter((r) => r.status !== 'scored' || r.scores !== 1 || r.error !== null)).toEqual([]);
    // The ones the killed worker was running were started again: a second attempt, not a second score.
    for (const id of running) expect(rows.find((r) => r.id === id)!.attempts).toBeGreaterThanOrEqual(2);
  }, 480_000);
});
