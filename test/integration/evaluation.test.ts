import { readFile } from 'node:fs/promises';
import { createStorage } from '../../src/core/storage/create-storage.js';
import { type RunningWorker, startWorker } from '../../workers/worker.js';
import { createLogger } from '../../src/core/logger/logger.js';
import { countRows, deleteRedisPrefix, waitUntil } from '../support/services.js';
import { EvaluationQueue } from '../../src/modules/submissions/evaluation-queue.js';
import * as client from '../support/client.js';
import { type Stack, startStack } from '../support/stack.js';

const register = (stack: Stack, name: string) => client.register(stack.url, name);
const submit = (stack: Stack, token: string, slug: string, body: Buffer | string) => client.submit(stack.url, token, slug, body);
const settled = (stack: Stack, token: string, id: string) => client.settled(stack.url, token, id);
const board = (stack: Stack, slug: string) => client.leaderboard(stack.url, slug);

describe('evaluation on Redis and S3', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ storage: 's3', queue: 'redis', worker: true });
  }, 60_000);
  afterAll(() => stack?.stop(), 30_000);

  it('scores a selection, records trainer and version, and ranks it', async () => {
    const token = await register(stack, 'grace');
    const id = await submit(stack, token, 'digits-selection', await readFile('challenges/digits-selection/baselines/balanced.csv'));
    const s = await settled(stack, token, id);
    expect(s.status).toBe('scored');
    expect(s.metric).toBe('macro_f1');
    expect(s.score).toBeGreaterThan(0.8);
    expect(s.score).toBeLessThanOrEqual(1);
    expect(s.metrics).toEqual({ accuracy: expect.any(Number), macro_f1: s.score, macro_f1_ci_low: expect.any(Number), macro_f1_ci_high: expect.any(Number) });
    // The 95% bootstrap interval over the 500 test images holds the score and is a few points wide.
    const { macro_f1_ci_low: low, macro_f1_ci_high: high } = s.metrics!;
    expect(low).toBeLessThan(s.score!);
    expect(high).toBeGreaterThan(s.score!);
    expect(high - low).toBeGreaterThan(0.02);
    expect(high - low).toBeLessThan(0.12);
    expect(s.trainer?.name).toBeTruthy();
    const b = await board(stack, 'digits-selection');
    expect(b).toMatchObject({ metric: 'macro_f1', direction: 'maximize' });
    expect(b.entries).toEqual([expect.objectContaining({ rank: 1, participant: 'grace', score: s.score, spread: null, ci: { low, high }, submissionId: id })]);
  }, 90_000);

  it('gives the same file the same score, bit for bit', async () => {
    const token = await register(stack, 'twice');
    const file = await readFile('challenges/fashion-selection/baselines/random.csv');
    const a = await settled(stack, token, await submit(stack, token, 'fashion-selection', file));
    const b = await settled(stack, token, await submit(stack, token, 'fashion-selection', file));
    expect(a.status).toBe('scored');
    expect(Object.is(a.score, b.score)).toBe(true);
    expect(b.metrics).toStrictEqual(a.metrics);
  }, 90_000);

  it('ranks each participant by their best submission', async () => {
    const [p, q] = [await register(stack, 'pat'), await register(stack, 'quinn')];
    const pool = (await (await client.download(stack.url, p, 'digits-selection', 'pool')).text()).trim().split('\n').slice(1).map((l) => l.split(','));
    // A weak selection: two classes only.
    const weak = `id\n${pool.filter((r) => r[1] === '0').slice(0, 10).map((r) => r[0]).join('\n')}\n${pool.filter((r) => r[1] === '1').slice(0, 10).map((r) => r[0]).join('\n')}\n`;
    const weakScore = await settled(stack, p, await submit(stack, p, 'digits-selection', weak));
    const strong = await settled(stack, q, await submit(stack, q, 'digits-selection', await readFile('challenges/digits-selection/baselines/balanced.csv')));
    expect(weakScore.score!).toBeLessThan(strong.score!);

    const b = await board(stack, 'digits-selection');
    const names = b.entries.map((e) => e.participant);
    expect(names.indexOf('quinn')).toBeLessThan(names.indexOf('pat'));
    expect(b.entries.filter((e) => e.participant === 'pat')).toHaveLength(1);
  }, 120_000);
});

describe('failures that are ours', () => {
  let stack: Stack;
  let worker: RunningWorker | undefined;
  beforeAll(async () => {
    stack = await startStack({ storage: 'filesystem', queue: 'redis', worker: false, env: { JOB_ATTEMPTS: '2', JOB_BACKOFF_MS: '100' } });
  }, 60_000);
  afterAll(async () => {
    await worker?.stop();
    await stack?.stop();
  }, 30_000);

  it('are retried, then fail as internal (not the participant’s fault) instead of staying unfinished', async () => {
    const token = await register(stack, 'unlucky');
    const storage = createStorage(stack.config.storage);
    const file = await readFile('challenges/digits-selection/baselines/random.csv');
    // Lose the stored file before any worker runs, then let one try.
    const id = await submit(stack, token, 'digits-selection', file);
    const key = (await storage.list('submissions/')).find((k) => k.includes(id));
    await storage.delete(key!);
    worker = await startWorker(stack.config, stack.db.url, createLogger('silent', 'test'));
    const s = await settled(stack, token, id);
    expect(s.status).toBe('failed');
    expect(s.error?.code).toBe('internal');
    expect(s.error?.message).toContain('not counted against you');
    expect(s.attempts).toBe(2);
  }, 60_000);

  it('running a finished submission’s job again changes nothing', async () => {
    const token = await register(stack, 'again');
    const id = await submit(stack, token, 'digits-selection', await readFile('challenges/digits-selection/baselines/balanced.csv'));
    const first = await settled(stack, token, id);
    expect(first.status).toBe('scored');
    const scoresBefore = await countRows(stack.db.url, 'scores');
    await stack.api.get(EvaluationQueue).requeue(id);
    await waitUntil(async () => (await stack.api.get(EvaluationQueue).jobState(id)) === 'completed', 30_000, 'the second run');
    const second = await settled(stack, token, id);
    expect(second).toStrictEqual(first);
    expect(await countRows(stack.db.url, 'scores')).toBe(scoresBefore);
  }, 60_000);
});

describe('an evaluation over its time limit', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ storage: 'filesystem', queue: 'redis', worker: true, env: { EVALUATION_TIMEOUT_MS: '1' } });
  }, 60_000);
  afterAll(() => stack?.stop(), 30_000);

  it('is stopped and fails with timeout, without retries', async () => {
    const token = await register(stack, 'slow');
    const id = await submit(stack, token, 'fashion-selection', await readFile('challenges/fashion-selection/baselines/random.csv'));
    const s = await settled(stack, token, id);
    expect(s.status).toBe('failed');
    expect(s.error?.code).toBe('timeout');
    expect(s.error?.message).toBe('Training did not finish within 1 ms');
    expect(s.attempts).toBe(1);
    expect((await board(stack, 'fashion-selection')).entries).toEqual([]);
  }, 60_000);
});

describe('the reconciler', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ storage: 'filesystem', queue: 'redis', worker: false });
  }, 60_000);
  afterAll(() => stack?.stop(), 30_000);

  it('re-enqueues submissions whose jobs were lost in a Redis flush; a damaged file fails as invalid and is never ranked', async () => {
    const token = await register(stack, 'lost');
    const file = await readFile('challenges/digits-selection/baselines/random.csv');
    const ids = [await submit(stack, token, 'digits-selection', file), await submit(stack, token, 'digits-selection', file)];
    const damaged = await submit(stack, token, 'digits-selection', file);
    const storage = createStorage(stack.config.storage);
    const key = (await storage.list('submissions/')).find((k) => k.includes(damaged));
    await storage.put(key!, Buffer.from('id\nnot-in-pool\n'));
    await deleteRedisPrefix(stack.config.queuePrefix); // every job is gone; the rows stay queued
    await new Promise((r) => setTimeout(r, stack.config.worker.reconcileGraceMs + 100));
    const worker = await startWorker(stack.config, stack.db.url, createLogger('silent', 'test'));
    try {
      for (const id of ids) expect((await settled(stack, token, id)).status).toBe('scored');
      const failed = await settled(stack, token, damaged);
      expect(failed.status).toBe('failed');
      expect(failed.error?.code).toBe('invalid_submission');
      expect(failed.error?.message).toContain('not-in-pool');
      expect((await board(stack, 'digits-selection')).entries.map((e) => e.submissionId)).not.toContain(damaged);
    } finally {
      await worker.stop();
    }
  }, 90_000);
});

describe('evaluation on the PostgreSQL queue backend and local files', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ storage: 'filesystem', queue: 'postgres', worker: true });
  }, 60_000);
  afterAll(() => stack?.stop(), 30_000);

  it('scores a submission with no Redis at all', async () => {
    expect(stack.config.redisUrl).toBeUndefined();
    const token = await register(stack, 'nored');
    const id = await submit(stack, token, 'digits-selection', await readFile('challenges/digits-selection/baselines/balanced.csv'));
    const s = await settled(stack, token, id);
    expect(s.status).toBe('scored');
    expect((await board(stack, 'digits-selection')).entries[0].submissionId).toBe(id);
  }, 90_000);
});
