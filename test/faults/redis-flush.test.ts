import { Redis } from 'ioredis';
import {
  type FaultStack,
  outcome,
  PARTICIPANTS,
  PER_PARTICIPANT,
  startFaultStack,
  submissionsLeft,
  submitAfterRecovery,
  submitAll,
  waitForAllFinished,
  waitForEvaluations,
  waitForNotReady,
} from '../support/faults.js';
import { type RedisTestServer, startRedisServer } from '../support/redis-server.js';
import { createTestDatabase, type TestDatabase, testQueuePrefix } from '../support/services.js';

const SUBMISSIONS = PARTICIPANTS * PER_PARTICIPANT;

/**
 * Redis loses every job while 100 submissions are in flight, twice: once it goes down and
 * comes back empty (a restart without persistence), once it is flushed while up. The API
 * and the worker are not restarted. Postgres is the truth: every submission is scored once
 * or failed as ours (`internal`), none is lost or stuck, and no participant is charged for it.
 */
describe('faults: Redis flushed and restarted under load', () => {
  let redis: RedisTestServer;
  let db: TestDatabase;
  let stack: FaultStack;

  beforeAll(async () => {
    [redis, db] = await Promise.all([startRedisServer(), createTestDatabase()]);
    stack = await startFaultStack('digits-redis-fault', { databaseUrl: db.url, redisUrl: redis.url, queuePrefix: testQueuePrefix() });
  }, 180_000);

  afterAll(async () => {
    await stack?.stop();
    await redis?.stop();
    await db?.drop();
  }, 60_000);

  it(`scores all ${SUBMISSIONS} submissions once after Redis restarts empty and after a FLUSHALL`, async () => {
    const tokens = await submitAll(stack);
    const worker = await stack.start(['dist/workers/main.js'], /serving queue/);

    // Down, and back empty, with evaluations running; the API notices.
    await waitForEvaluations(stack, 10);
    await redis.pause();
    await waitForNotReady(stack, 'queue');
    await redis.resume();

    // Flushed while up, later in the run.
    await waitForEvaluations(stack, 40);
    const admin = new Redis(redis.url);
    try {
      expect(await admin.flushall()).toBe('OK');
    } finally {
      admin.disconnect();
    }

    await waitForAllFinished(stack);
    const mine = await outcome(stack, tokens);
    const all = [...mine.values()].flat();
    expect(all).toHaveLength(SUBMISSIONS);
    // Scored exactly once, or failed as ours; nothing else.
    expect(all.filter((s) => !(s.status === 'scored' && s.scores === 1 && s.error === null) && !(s.status === 'failed' && s.error === 'internal' && s.scores === 0))).toEqual([]);
    // The jobs were lost indeed: the reconciler queued them again from PostgreSQL.
    expect(worker.output()).toMatch(/re-enqueued a submission without a live job/);

    // Neither the API nor the worker was restarted, and both work as before.
    expect((await submitAfterRecovery(stack)).status).toBe('scored');
    expect(worker.child.exitCode).toBeNull();

    // Nobody is charged for our failures: each may submit again once per failure of ours, and no more.
    for (const token of tokens) {
      const failed = mine.get(token)!.filter((s) => s.status === 'failed').length;
      const left = await submissionsLeft(stack, token);
      expect(left).toEqual({ accepted: failed, refusal: { code: 'limit_reached', message: expect.stringContaining(`You have made ${PER_PARTICIPANT} of the ${PER_PARTICIPANT} submissions`) } });
    }
  }, 480_000);
});
