import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { PassThrough } from 'node:stream';
import { createLogger } from '../../src/core/logger/logger.js';
import { SubmissionsRepository } from '../../src/modules/submissions/submissions.repository.js';
import { type RunningWorker, startWorker } from '../../workers/worker.js';
import * as client from '../support/client.js';
import { deleteRedisPrefix, waitUntil } from '../support/services.js';
import { type Stack, startStack } from '../support/stack.js';

const SLOW = 'digits-slow';
const LEASE_MS = 2000;

interface Row {
  status: string;
  attempts: number;
  lease_owner: string | null;
  error_code: string | null;
  scores: number;
}

/**
 * A running evaluation holds a lease renewed by its worker's heartbeat. A lapsed lease
 * (the worker died) puts the submission back in the queue with its attempts counted; a
 * live one is left alone even when its job is gone; a lost one stops the evaluation.
 */
describe('evaluation leases', () => {
  let stack: Stack;
  let worker: RunningWorker | null = null;
  const logs: string[] = [];
  let token: string;
  let file: Buffer;

  const row = async (id: string): Promise<Row> =>
    (
      await stack.sql<Row>(
        `SELECT status, attempts, lease_owner, error_code, (SELECT count(*)::int FROM scores WHERE submission_id = s.id) AS scores FROM submissions s WHERE id = $1`,
        [id],
      )
    )[0];
  /** What a worker that died mid-evaluation leaves behind: running, under a lease of its own, its job gone with Redis. */
  const leftRunning = async (id: string, leaseSql: string, attempts = 1) => {
    await stack.sql(`UPDATE submissions SET status = 'running', attempts = $2, lease_owner = 'gone-worker', lease_expires_at = ${leaseSql}, updated_at = now() - interval '1 hour' WHERE id = $1`, [id, attempts]);
  };
  /** Sets a scene with no worker running, then starts one. */
  const whileNoWorker = async <T>(scene: () => Promise<T>): Promise<T> => {
    await worker?.stop();
    worker = null;
    const result = await scene();
    await startOurWorker();
    return result;
  };
  const startOurWorker = async () => {
    const stream = new PassThrough();
    stream.on('data', (line: Buffer) => logs.push(line.toString()));
    worker = await startWorker(stack.config, stack.db.url, createLogger('info', 'lease-test', stream));
  };

  beforeAll(async () => {
    stack = await startStack({
      storage: 'filesystem',
      queue: 'redis',
      worker: false,
      env: { WORKER_HEARTBEAT_MS: '200', EVALUATION_LEASE_MS: String(LEASE_MS) },
      challenges: [
        { from: 'digits-selection', slug: 'digits-selection' },
        // Trains for several seconds, so that a lease can be taken from it mid-way.
        { from: 'digits-selection', slug: SLOW, edit: (y) => y.replace(/^model:\n( {2}.*\n)+/m, 'model:\n  kind: mlp\n  params: { hidden: 128, epochs: 1000, batchSize: 4 }\n  seeds: [0, 1, 2]\n') },
      ],
    });
    token = await client.register(stack.url, 'leaseholder');
    file = await readFile('challenges/digits-selection/baselines/balanced.csv');
    await client.join(stack.url, token, 'digits-selection');
    await client.join(stack.url, token, SLOW);
  }, 60_000);
  afterAll(async () => {
    await worker?.stop();
    await stack?.stop();
  }, 30_000);

  it('lets one worker at a time hold a submission: another may take it only once the lease lapses', async () => {
    const repo = stack.api.get(SubmissionsRepository);
    const id = await client.submit(stack.url, token, 'digits-selection', file);
    expect(await repo.markRunning(id, 'worker-a', 60_000, 5)).toMatchObject({ id, status: 'running', attempts: 1, leaseOwner: 'worker-a' });
    expect(await repo.markRunning(id, 'worker-b', 60_000, 5)).toBeNull();
    expect([...(await repo.renewLeases([id], 'worker-b', 60_000))]).toEqual([]);
    expect([...(await repo.renewLeases([id], 'worker-a', 60_000))]).toEqual([id]);
    await repo.expireLeases([id], 'worker-a');
    expect(await repo.markRunning(id, 'worker-b', 60_000, 5)).toMatchObject({ status: 'running', attempts: 2, leaseOwner: 'worker-b' });
    expect([...(await repo.renewLeases([id], 'worker-a', 60_000))]).toEqual([]);
    await repo.expireLeases([id], 'worker-b');
    expect(await repo.markRunning(id, 'worker-a', 60_000, 2)).toBeNull(); // its 2 attempts are used up
    expect(await repo.markFailed(id, 'cancelled', 'test over')).toBe(true);
    expect([...(await repo.renewLeases([id], 'worker-b', 60_000))]).toEqual([]); // finished: nothing to hold
  });

  it('puts a submission whose worker died back in the queue when its lease lapses; another worker scores it once, on a second attempt', async () => {
    const id = await client.submit(stack.url, token, 'digits-selection', file);
    await leftRunning(id, `now() - interval '1 second'`);
    await deleteRedisPrefix(stack.config.queuePrefix);
    await startOurWorker();
    expect((await client.settled(stack.url, token, id)).status).toBe('scored');
    expect(await row(id)).toMatchObject({ status: 'scored', attempts: 2, scores: 1 });
  }, 60_000);

  it('leaves a running submission under a live lease alone, even with its job gone, and takes it back once the lease lapses', async () => {
    const id = await whileNoWorker(async () => {
      const submitted = await client.submit(stack.url, token, 'digits-selection', file);
      // Another worker, still alive, is on it; Redis lost its job.
      await leftRunning(submitted, `now() + interval '1 hour'`);
      await deleteRedisPrefix(stack.config.queuePrefix);
      return submitted;
    });
    // Several reconciler passes (every 500 ms, after 1 s of grace) go by without touching it.
    await new Promise((r) => setTimeout(r, 4 * stack.config.worker.reconcileIntervalMs + stack.config.worker.reconcileGraceMs));
    expect(await row(id)).toMatchObject({ status: 'running', attempts: 1, lease_owner: 'gone-worker', scores: 0 });
    // That worker stops renewing.
    await stack.sql(`UPDATE submissions SET lease_expires_at = now() - interval '1 second' WHERE id = $1`, [id]);
    await waitUntil(async () => (await row(id)).status === 'scored', 30_000, 'the submission to be scored');
    expect(await row(id)).toMatchObject({ attempts: 2, scores: 1 });
  }, 60_000);

  it('fails a submission whose lease lapsed after its last attempt as internal, not counted against its author', async () => {
    const id = await whileNoWorker(async () => {
      const submitted = await client.submit(stack.url, token, 'digits-selection', file);
      await leftRunning(submitted, `now() - interval '1 second'`, stack.config.worker.attempts);
      return submitted;
    });
    const seen = await client.settled(stack.url, token, id);
    expect(seen.status).toBe('failed');
    expect(seen.error?.code).toBe('internal');
    expect(seen.error?.message).toMatch(/not counted against you/);
    expect(await row(id)).toMatchObject({ attempts: stack.config.worker.attempts, scores: 0 });
  }, 60_000);

  it('stops an evaluation whose lease was taken from it, and the submission is still scored once', async () => {
    const id = await client.submit(stack.url, token, SLOW, file);
    await waitUntil(async () => (await row(id)).status === 'running', 30_000, 'the evaluation to start');
    // The lease goes to another worker (as the reconciler hands on a lapsed one); this worker's next renewal finds it gone.
    await stack.sql(`UPDATE submissions SET lease_owner = 'thief', lease_expires_at = now() + interval '1 hour' WHERE id = $1`, [id]);
    await waitUntil(async () => logs.some((l) => l.includes(id) && l.includes('evaluation abandoned: its lease was lost')), 30_000, 'the worker to abandon the evaluation');
    expect(await row(id)).toMatchObject({ status: 'running', lease_owner: 'thief', scores: 0 });
    // The thief dies in turn: the submission comes back and is scored, once.
    await stack.sql(`UPDATE submissions SET lease_expires_at = now() - interval '1 second', updated_at = now() - interval '1 hour' WHERE id = $1`, [id]);
    await waitUntil(async () => (await row(id)).status === 'scored', 60_000, 'the submission to be scored');
    expect(await row(id)).toMatchObject({ attempts: 2, scores: 1 });
  }, 120_000);

  it('leaves a rescore under a live lease alone; takes back one whose worker died once its lease lapses, and finishes it once', async () => {
    const id = await client.submit(stack.url, token, 'digits-selection', file);
    await waitUntil(async () => (await row(id)).status === 'scored', 30_000, 'the submission to be scored');
    const [run, rescore, other] = [randomUUID(), randomUUID(), randomUUID()];
    await stack.sql(
      `INSERT INTO rescore_runs (id, challenge_id, version, reason, total) SELECT $1, challenge_id, challenge_version, 'requested', 1 FROM submissions WHERE id = $2`,
      [run, id],
    );
    // Left running by a worker that died, its job gone.
    await stack.sql(
      `INSERT INTO rescores (id, run_id, submission_id, challenge_id, version, queue, status, attempts, lease_owner, lease_expires_at, updated_at)
       SELECT $1, $2, id, challenge_id, challenge_version, queue, 'running', 1, 'gone-worker', now() - interval '1 second', now() - interval '1 hour' FROM submissions WHERE id = $3`,
      [rescore, run, id],
    );
    // Another, under a live lease of a worker still at it (its job gone with Redis), for a version of its own.
    await stack.sql(
      `INSERT INTO rescores (id, run_id, submission_id, challenge_id, version, queue, status, attempts, lease_owner, lease_expires_at, updated_at)
       SELECT $1, $2, id, challenge_id, challenge_version + 1, queue, 'running', 1, 'busy-worker', now() + interval '1 hour', now() - interval '1 hour' FROM submissions WHERE id = $3`,
      [other, run, id],
    );
    const rescored = async (rid: string) => (await stack.sql<{ status: string; attempts: number; lease_owner: string | null }>(`SELECT status, attempts, lease_owner FROM rescores WHERE id = $1`, [rid]))[0];
    await waitUntil(async () => (await rescored(rescore)).status === 'scored', 30_000, 'the rescore to finish');
    expect(await rescored(rescore)).toMatchObject({ status: 'scored', attempts: 2 });
    expect((await rescored(rescore)).lease_owner).not.toBe('gone-worker');
    await new Promise((r) => setTimeout(r, 4 * stack.config.worker.reconcileIntervalMs));
    expect(await rescored(other)).toEqual({ status: 'running', attempts: 1, lease_owner: 'busy-worker' });
    expect(await row(id)).toMatchObject({ status: 'scored', scores: 1 }); // the same version: its score stays the one
  }, 60_000);
});
