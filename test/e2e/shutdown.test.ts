import { request } from 'node:http';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { copyChallenge } from '../support/bundles.js';
import * as client from '../support/client.js';
import { cleanEnv, freePort, type Proc, run, startProcess } from '../support/processes.js';
import { createTestDatabase, deleteRedisPrefix, queryOnce, TEST_REDIS_URL, type TestDatabase, testQueuePrefix, waitUntil } from '../support/services.js';

const SLUG = 'slow-digits';

/** Sends a submission as multipart, the file in `chunks` pieces `gapMs` apart; resolves with the status. */
function slowUpload(url: string, token: string, file: Buffer, chunks: number, gapMs: number): Promise<number> {
  const boundary = 'sieve-slow-upload';
  const body = Buffer.concat([
    Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="selection.csv"\r\nContent-Type: text/csv\r\n\r\n`),
    file,
    Buffer.from(`\r\n--${boundary}--\r\n`),
  ]);
  return new Promise((resolve, reject) => {
    const req = request(`${url}/api/v1/challenges/${SLUG}/submissions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': `multipart/form-data; boundary=${boundary}`, 'content-length': body.length },
    });
    req.on('response', (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    void (async () => {
      const size = Math.ceil(body.length / chunks);
      for (let i = 0; i < body.length; i += size) {
        req.write(body.subarray(i, i + size));
        await sleep(gapMs);
      }
      req.end();
    })();
  });
}

/** The exit code, once the process exits on its own (a second SIGTERM would mean "now"). */
function exitOf(p: Proc): Promise<number | null> {
  return p.child.exitCode !== null ? Promise.resolve(p.child.exitCode) : new Promise((resolve) => p.child.once('exit', (code) => resolve(code)));
}

/**
 * SIGTERM stops the real API and worker processes gracefully: the API finishes the
 * request in flight and ends its live streams, the worker finishes the evaluation it is
 * running; both exit 0, within SHUTDOWN_TIMEOUT_MS.
 */
describe('graceful shutdown', () => {
  let db: TestDatabase;
  let home: string;
  let env: NodeJS.ProcessEnv;
  let url: string;
  let token: string;
  let file: Buffer;
  const procs: Proc[] = [];
  const prefix = testQueuePrefix();
  const sql = <T>(text: string) => queryOnce<T>(db.url, text);
  const api = async () => {
    const p = startProcess(['dist/src/main.js'], env);
    procs.push(p);
    await p.waitFor(/API listening/, 30_000);
    return p;
  };

  beforeAll(async () => {
    [db, home] = await Promise.all([createTestDatabase(), mkdtemp(join(tmpdir(), 'sieve-shutdown-'))]);
    // A model trained once per seed for a few seconds: long enough to stop the worker in the middle.
    await copyChallenge(join(home, 'challenges'), 'digits-selection', SLUG, (y) =>
      y.replace(/^model:\n( {2}.*\n)+/m, 'model:\n  kind: mlp\n  params: { hidden: 64, epochs: 1000, batchSize: 8 }\n  seeds: [0, 1, 2]\n'),
    );
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    env = cleanEnv({ DATABASE_URL: db.url, REDIS_URL: TEST_REDIS_URL, QUEUE_PREFIX: prefix, SIEVE_HOME: home, CHALLENGES_DIR: join(home, 'challenges'), PORT: String(port), SHUTDOWN_TIMEOUT_MS: '20000' });
    expect((await run(['bin/sieve.js', 'migrate'], env)).code).toBe(0);
    expect((await run(['bin/sieve.js', 'challenges', 'publish'], env)).stdout).toContain(`${SLUG}: version 1 created`);
    file = await readFile('challenges/digits-selection/baselines/random.csv');
  }, 120_000);

  afterAll(async () => {
    for (const p of procs) await p.stop('SIGKILL');
    await db?.drop();
    await deleteRedisPrefix(prefix);
    if (home) await rm(home, { recursive: true, force: true });
  }, 60_000);

  it('the API finishes the upload in flight, ends the live streams, and exits 0', async () => {
    const p = await api();
    token = await client.register(url, 'ada');
    await client.join(url, token, SLUG);
    // A queued submission (no worker runs) and its live stream, open.
    const queued = await client.submit(url, token, SLUG, file);
    const events = await fetch(`${url}/api/v1/submissions/${queued}/events`, { headers: { authorization: `Bearer ${token}` } });
    expect(events.status).toBe(200);
    const streamEnded = (async () => {
      const reader = events.body!.getReader();
      while (!(await reader.read()).done);
      return true;
    })();
    // An upload that takes about 2 s to send; SIGTERM arrives in the middle of it.
    const uploading = slowUpload(url, token, file, 10, 200);
    await sleep(600);
    const stopped = Date.now();
    p.child.kill('SIGTERM');
    expect(await uploading).toBe(202);
    expect(await streamEnded).toBe(true);
    expect(await exitOf(p)).toBe(0);
    expect(Date.now() - stopped).toBeLessThan(20_000);
    expect(p.output()).toContain('"msg":"stopped"');
    expect(await sql<{ status: string }>('SELECT status FROM submissions')).toEqual([{ status: 'queued' }, { status: 'queued' }]);
  }, 60_000);

  it('a worker finishes the evaluation it is running, then exits 0', async () => {
    await api();
    const worker = startProcess(['dist/workers/main.js'], { ...env, WORKER_CONCURRENCY: '1' });
    procs.push(worker);
    await worker.waitFor(/serving queue/, 30_000);
    await waitUntil(async () => (await sql<{ n: number }>("SELECT count(*)::int AS n FROM submissions WHERE status = 'running'"))[0].n > 0, 60_000, 'an evaluation to start');
    worker.child.kill('SIGTERM');
    expect(await exitOf(worker)).toBe(0);
    const rows = await sql<{ status: string; scores: number }>('SELECT s.status, (SELECT count(*)::int FROM scores sc WHERE sc.submission_id = s.id) AS scores FROM submissions s ORDER BY s.created_at');
    // The one it was running is scored (once); the other one waits for the next worker.
    expect(rows.filter((r) => r.status === 'scored')).toEqual([{ status: 'scored', scores: 1 }]);
    expect(rows.filter((r) => r.status === 'queued')).toHaveLength(1);
    expect(worker.output()).not.toContain('shutdown deadline');
  }, 120_000);

  it('past the deadline a worker leaves its evaluation to another worker, which scores it once', async () => {
    const hasty = startProcess(['dist/workers/main.js'], { ...env, WORKER_CONCURRENCY: '1', SHUTDOWN_TIMEOUT_MS: '300' });
    procs.push(hasty);
    await hasty.waitFor(/serving queue/, 30_000);
    await waitUntil(async () => (await sql<{ n: number }>("SELECT count(*)::int AS n FROM submissions WHERE status = 'running'"))[0].n > 0, 60_000, 'an evaluation to start');
    const stopped = Date.now();
    hasty.child.kill('SIGTERM');
    expect(await exitOf(hasty)).toBe(0);
    expect(Date.now() - stopped).toBeLessThan(10_000);
    expect(hasty.output()).toContain('evaluations still running at the shutdown deadline');
    // Its job goes back to the queue (its processor stops with the process, or its lock lapses) and the next worker takes it.
    const next = startProcess(['dist/workers/main.js'], env);
    procs.push(next);
    await waitUntil(async () => (await sql<{ n: number }>("SELECT count(*)::int AS n FROM submissions WHERE status <> 'scored'"))[0].n === 0, 120_000, 'every submission to be scored');
    const scores = await sql<{ n: number }>('SELECT count(*)::int AS n FROM scores GROUP BY submission_id');
    expect(scores).toEqual([{ n: 1 }, { n: 1 }]);
  }, 180_000);
});
