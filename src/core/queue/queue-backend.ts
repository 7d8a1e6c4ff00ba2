import { Queue, Worker, withBackend, createPostgresBackend, type Job, type JobsOptions, type WorkerOptions } from 'bullmq';
import { Redis } from 'ioredis';
import type { Config } from '../config/config.js';
import { unavailableOf } from '../errors/unavailable.js';
import type { QueueName } from './jobs.js';

export const QUEUE_BACKEND = Symbol('QUEUE_BACKEND');

export type Processor = (job: Job) => Promise<unknown>;
type WorkerSettings = Pick<WorkerOptions, 'concurrency' | 'lockDuration' | 'stalledInterval' | 'maxStalledCount'>;

/**
 * Where BullMQ keeps its jobs: Redis when REDIS_URL is set, otherwise BullMQ's
 * PostgreSQL backend on the application's own database.
 */
export interface QueueBackend {
  readonly kind: 'redis' | 'postgres';
  queue(name: QueueName): Queue;
  worker(name: QueueName, processor: Processor, settings: WorkerSettings): Worker;
  close(): Promise<void>;
}

/** Told of a queue's connection errors, at most once every ERROR_REPORT_MS while they last (an outage repeats them many times a second). */
export type QueueErrorReport = (err: Error) => void;
const ERROR_REPORT_MS = 10_000;

export function createQueueBackend(config: Config, databaseUrl: string, onError: QueueErrorReport = () => undefined): QueueBackend {
  let last = 0;
  const report = (err: Error) => {
    if (Date.now() - last < ERROR_REPORT_MS) return;
    last = Date.now();
    onError(err);
  };
  const holdMs = config.worker.backoffMs;
  return config.redisUrl ? new RedisQueueBackend(config.redisUrl, config.queuePrefix, report, holdMs) : new PostgresQueueBackend(databaseUrl, config.queuePrefix, holdMs);
}

/**
 * A job that fails because the database did not answer (a restart, a failover) was not
 * really tried: it goes back to the front of its queue without using an attempt, and the
 * queue hands out no job for `holdMs` (BullMQ's manual rate limit). Without this, a
 * database outage of a few seconds makes every waiting job fail at its first query, again
 * and again, until its attempts are used up: the queue empties into `failed` and the
 * submissions wait for the reconciler. When the hold cannot be set (the queue's own
 * backend is down too), the job fails as any other.
 */
function holdWhileDatabaseDown(processor: Processor, queue: () => Queue, holdMs: number): Processor {
  return async (job) => {
    try {
      return await processor(job);
    } catch (err) {
      if (unavailableOf(err)?.code !== 'database_unavailable') throw err;
      await queue()
        .rateLimit(holdMs)
        .catch(() => {
          throw err;
        });
      throw Worker.RateLimitError();
    }
  };
}

abstract class BaseBackend {
  protected readonly queues = new Map<QueueName, Queue>();
  protected readonly workers: Worker[] = [];

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.close()));
    await Promise.all([...this.queues.values()].map((q) => q.close()));
    this.workers.length = 0;
    this.queues.clear();
    await this.closeConnections();
  }

  protected abstract closeConnections(): Promise<void>;
}

class RedisQueueBackend extends BaseBackend implements QueueBackend {
  readonly kind = 'redis' as const;
  private readonly connection: Redis;

  constructor(
    private readonly url: string,
    private readonly prefix: string,
    private readonly report: QueueErrorReport,
    private readonly holdMs: number,
  ) {
    super();
    this.connection = new Redis(url, { maxRetriesPerRequest: null, enableReadyCheck: true, lazyConnect: false });
    this.connection.on('error', () => undefined); // surfaced through the queue's own error events
  }

  queue(name: QueueName): Queue {
    let q = this.queues.get(name);
    if (!q) {
      q = new Queue(name, { connection: this.connection, prefix: this.prefix });
      // Calls on the queue fail or time out on their own (intake's deadline, readiness); this only reports the outage.
      q.on('error', this.report);
      this.queues.set(name, q);
    }
    return q;
  }

  worker(name: QueueName, processor: Processor, settings: WorkerSettings): Worker {
    const connection = new Redis(this.url, { maxRetriesPerRequest: null });
    connection.on('error', () => undefined);
    const w = new Worker(name, holdWhileDatabaseDown(processor, () => this.queue(name), this.holdMs), { connection, prefix: this.prefix, autorun: false, ...settings });
    w.on('closed', () => connection.disconnect());
    this.workers.push(w);
    return w;
  }

  protected async closeConnections(): Promise<void> {
    await this.connection.quit().catch(() => this.connection.disconnect());
  }
}

class PostgresQueueBackend extends BaseBackend implements QueueBackend {
  readonly kind = 'postgres' as const;
  private readonly classes = withBackend(createPostgresBackend);

  constructor(
    private readonly databaseUrl: string,
    private readonly schema: string,
    private readonly holdMs: number,
  ) {
    super();
  }

  private connection() {
    return { connectionString: this.databaseUrl, schema: `${this.schema.replace(/-/g, '_')}_queue`, migrate: true, max: 5 };
  }

  queue(name: QueueName): Queue {
    let q = this.queues.get(name);
    if (!q) {
      q = new this.classes.Queue(name, { connection: this.connection() }) as unknown as Queue;
      this.queues.set(name, q);
    }
    return q;
  }

  worker(name: QueueName, processor: Processor, settings: WorkerSettings): Worker {
    const w = new this.classes.Worker(name, holdWhileDatabaseDown(processor, () => this.queue(name), this.holdMs), { connection: this.connection(), autorun: false, ...settings }) as unknown as Worker;
    this.workers.push(w);
    return w;
  }

  protected async closeConnections(): Promise<void> {}
}

export function defaultJobOptions(config: Config): JobsOptions {
  return {
    attempts: config.worker.attempts,
    backoff: { type: 'exponential', delay: config.worker.backoffMs },
    removeOnComplete: { age: 24 * 3600, count: 10_000 },
    removeOnFail: { age: 7 * 24 * 3600 },
  };
}
