import type { Job } from 'bullmq';
import { loadConfig } from '../../src/core/config/config.js';
import { QUEUES } from '../../src/core/queue/jobs.js';
import { createQueueBackend, type QueueBackend } from '../../src/core/queue/queue-backend.js';
import { deleteRedisPrefix, TEST_REDIS_URL, testQueuePrefix } from '../support/services.js';

/** pg's error when nothing listens on the database's port (a restart in progress). */
const refused = () => Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });

/**
 * The Redis queue backend's workers, against a real Redis: a job that fails because the
 * database did not answer goes back to its queue without using an attempt; any other
 * failure uses one, as before.
 */
describe('queue backend: jobs that meet a database outage', () => {
  const prefix = testQueuePrefix();
  let backend: QueueBackend;

  beforeEach(() => {
    backend = createQueueBackend(loadConfig({ REDIS_URL: TEST_REDIS_URL, QUEUE_PREFIX: prefix, JOB_BACKOFF_MS: '50', LOG_LEVEL: 'silent' }), 'postgres://unused');
  });
  afterEach(async () => {
    await backend.close();
    await deleteRedisPrefix(prefix);
  });

  /** Runs a worker until `job` completes or fails for good; returns which, and the worker's failed events. */
  const runUntilSettled = async (jobId: string, attempts: number, processor: (job: Job) => Promise<unknown>) => {
    const failures: string[] = [];
    const worker = backend.worker(QUEUES.evaluateCpu, processor, { concurrency: 1, lockDuration: 30_000, stalledInterval: 15_000, maxStalledCount: 2 });
    worker.on('error', () => undefined);
    const settled = new Promise<'completed' | 'failed'>((resolve) => {
      worker.on('completed', (job) => job.id === jobId && resolve('completed'));
      worker.on('failed', (job, err) => {
        failures.push(err.message);
        if (job?.id === jobId && job.attemptsMade >= attempts) resolve('failed');
      });
    });
    await backend.queue(QUEUES.evaluateCpu).add('evaluate-submission', { n: 1 }, { jobId, attempts });
    void worker.run();
    return { outcome: await settled, failures };
  };

  it('puts the job back without using an attempt while the database is down, then runs it', async () => {
    let calls = 0;
    const result = await runUntilSettled('db-down', 1, async () => {
      calls++;
      if (calls <= 3) throw refused();
      return 'done';
    });
    // One attempt allowed: without the hold, the first refusal would have failed it for good.
    expect(result).toEqual({ outcome: 'completed', failures: [] });
    expect(calls).toBe(4);
  }, 30_000);

  it('still counts an attempt for any other failure', async () => {
    const result = await runUntilSettled('bug', 2, () => Promise.reject(new Error('a bug in the handler')));
    expect(result).toEqual({ outcome: 'failed', failures: ['a bug in the handler', 'a bug in the handler'] });
  }, 30_000);
});
