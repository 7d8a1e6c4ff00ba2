import { setTimeout as sleep } from 'node:timers/promises';
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
import { type PostgresTestServer, startPostgresServer } from '../support/postgres-server.js';
import { deleteRedisPrefix, TEST_REDIS_URL, testQueuePrefix } from '../support/services.js';

const SUBMISSIONS = PARTICIPANTS * PER_PARTICIPANT;
/** How long PostgreSQL stays down each time: running evaluations finish and new ones start meanwhile. */
const OUTAGE_MS = 5_000;

/**
 * PostgreSQL restarts while 100 submissions are in flight, twice: a fast shutdown (clients
 * are told, a checkpoint is written), then an immediate one (as after a crash: recovery
 * from the WAL). The API and the worker are not restarted. Every submission is scored
 * once or failed as ours (`internal`), none is lost or stuck, and no participant is
 * charged for it.
 */
describe('faults: PostgreSQL restarted under load', () => {
  let pg: PostgresTestServer;
  let stack: FaultStack;
  const prefix = testQueuePrefix();

  beforeAll(async () => {
    pg = await startPostgresServer();
    // No job is lost from the queue here, so the reconciler (the safety net for lost jobs)
    // is kept out of it: the jobs the outage interrupted must be retried as they are.
    stack = await startFaultStack('digits-pg-fault', { databaseUrl: pg.url, redisUrl: TEST_REDIS_URL, queuePrefix: prefix }, { RECONCILE_GRACE_MS: String(60 * 60_000) });
  }, 180_000);

  afterAll(async () => {
    await stack?.stop();
    await pg?.stop();
    await deleteRedisPrefix(prefix);
  }, 60_000);

  it(`scores all ${SUBMISSIONS} submissions once after a fast and an immediate restart`, async () => {
    const tokens = await submitAll(stack);
    const worker = await stack.start(['dist/workers/main.js'], /serving queue/);

    for (const [mode, scored] of [['fast', 10], ['immediate', 40]] as const) {
      await waitForEvaluations(stack, scored);
      await pg.pause(mode);
      await waitForNotReady(stack, 'database');
      await sleep(OUTAGE_MS);
      await pg.resume();
    }

    await waitForAllFinished(stack);
    const mine = await outcome(stack, tokens);
    const all = [...mine.values()].flat();
    expect(all).toHaveLength(SUBMISSIONS);
    // Scored exactly once, or failed as ours; nothing else.
    expect(all.filter((s) => !(s.status === 'scored' && s.scores === 1 && s.error === null) && !(s.status === 'failed' && s.error === 'internal' && s.scores === 0))).toEqual([]);

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
