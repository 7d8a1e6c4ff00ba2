import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';
import type { Logger } from 'pino';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { withDeadline } from '../../core/async/deadline.js';
import { LOGGER } from '../../core/logger/logger.js';
import { QUEUES, type QueueName } from '../../core/queue/jobs.js';
import { QUEUE_BACKEND, type QueueBackend } from '../../core/queue/queue-backend.js';
import { FAILURE_CODES, isTerminal, SUBMISSION_STATUSES, type SubmissionStatus } from '../submissions/submission-status.js';
import { buildHistograms } from './histogram-series.js';
import { type SubmissionCount, MetricsRepository } from './metrics.repository.js';
import { PrecomputedHistogram } from './precomputed-histogram.js';

/** Evaluations take seconds (a logistic regression) to the 10-minute timeout (EVALUATION_TIMEOUT_MS). */
export const EVALUATION_BUCKETS = [0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800];
const HTTP_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
/** The job states a queue's depth is reported in. */
export const QUEUE_STATES = ['waiting', 'active', 'delayed', 'prioritized', 'failed'] as const;
/** A scrape answers within a few seconds even when the database or the queue backend hangs (Prometheus waits 10 s by default). */
const SOURCE_DEADLINE_MS = 2000;

/**
 * The series /metrics exposes, in a registry of this application's own (not prom-client's
 * global one, so that several apps in one process, as in the tests, keep theirs apart).
 * HTTP latency is observed in this process; everything about submissions and evaluations
 * is read from PostgreSQL at each scrape, because workers are other processes, possibly
 * on other machines, and the database has every evaluation. Rows are only ever added, so
 * all-time counts are valid Prometheus counters.
 */
@Injectable()
export class MetricsService implements OnModuleDestroy {
  private readonly registry = new Registry();
  private readonly http: Histogram<'method' | 'route' | 'status'>;
  private readonly finished: Counter<'challenge' | 'status'>;
  private readonly unfinished: Gauge<'challenge' | 'status'>;
  private readonly failures: Counter<'challenge' | 'code'>;
  private readonly evaluations: PrecomputedHistogram<'challenge' | 'trainer'>;
  private readonly queueJobs: Gauge<'queue' | 'state'>;
  private readonly queueUp: Gauge<'queue'>;
  private readonly databaseUp: Gauge;

  constructor(
    private readonly repository: MetricsRepository,
    @Inject(QUEUE_BACKEND) private readonly queues: QueueBackend,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry, prefix: 'sieve_' });
    this.http = new Histogram({
      name: 'sieve_http_request_duration_seconds',
      help: 'HTTP requests served by the API, by method, route pattern and status',
      labelNames: ['method', 'route', 'status'],
      buckets: HTTP_BUCKETS,
      registers,
    });
    this.finished = new Counter({ name: 'sieve_submissions_total', help: 'Finished submissions (dry runs included) by challenge and final status (scored, failed)', labelNames: ['challenge', 'status'], registers });
    this.unfinished = new Gauge({ name: 'sieve_submissions_unfinished', help: 'Submissions waiting for or in evaluation, by challenge and status (queued, running)', labelNames: ['challenge', 'status'], registers });
    this.failures = new Counter({ name: 'sieve_submission_failures_total', help: 'Failed submissions by challenge and error code', labelNames: ['challenge', 'code'], registers });
    this.evaluations = new PrecomputedHistogram({
      name: 'sieve_evaluation_duration_seconds',
      help: 'Time from a worker first starting a submission to its score, by challenge and trainer (scored submissions)',
      labelNames: ['challenge', 'trainer'],
      buckets: EVALUATION_BUCKETS,
      registers,
    });
    this.queueJobs = new Gauge({ name: 'sieve_queue_jobs', help: 'Jobs in each evaluation queue, by state', labelNames: ['queue', 'state'], registers });
    this.queueUp = new Gauge({ name: 'sieve_queue_up', help: '1 when the queue backend answered for this queue during the scrape, else 0', labelNames: ['queue'], registers });
    this.databaseUp = new Gauge({ name: 'sieve_database_up', help: '1 when the database answered the submission and evaluation queries during the scrape, else 0', registers });
  }

  observeHttp(labels: { method: string; route: string; status: string }, seconds: number): void {
    this.http.observe(labels, seconds);
  }

  /** Reads the database and the queue backend (each under a deadline), then renders every series. */
  async scrape(): Promise<string> {
    await Promise.all([this.readDatabase(), ...Object.values(QUEUES).map((q) => this.readQueue(q))]);
    return this.registry.metrics();
  }

  onModuleDestroy(): void {
    this.registry.clear();
  }

  private async readDatabase(): Promise<void> {
    try {
      const [counts, buckets] = await withDeadline(
        Promise.all([this.repository.submissionCounts(), this.repository.evaluationBuckets(EVALUATION_BUCKETS)]),
        SOURCE_DEADLINE_MS,
        'the database did not answer',
      );
      this.setSubmissionCounts(counts);
      this.evaluations.setSeries(buildHistograms(EVALUATION_BUCKETS, buckets));
      this.databaseUp.set(1);
    } catch (err) {
      // Stale numbers would look current: the series go, the gauge says why.
      this.logger.warn({ err }, 'metrics: could not read submission counts from the database');
      this.finished.reset();
      this.unfinished.reset();
      this.failures.reset();
      this.evaluations.setSeries([]);
      this.databaseUp.set(0);
    }
  }

  private setSubmissionCounts(rows: SubmissionCount[]): void {
    this.finished.reset();
    this.unfinished.reset();
    this.failures.reset();
    for (const row of rows) {
      const status = submissionStatusLabel(row.status);
      if (status === 'other') continue;
      if (isTerminal(status)) this.finished.inc({ challenge: row.challenge, status }, row.count);
      else this.unfinished.inc({ challenge: row.challenge, status }, row.count);
      if (status === 'failed') this.failures.inc({ challenge: row.challenge, code: failureCodeLabel(row.code) }, row.count);
    }
  }

  private async readQueue(queue: QueueName): Promise<void> {
    try {
      const counts = await withDeadline(this.queues.queue(queue).getJobCounts(...QUEUE_STATES), SOURCE_DEADLINE_MS, 'the queue backend did not answer');
      for (const state of QUEUE_STATES) this.queueJobs.set({ queue, state }, counts[state] ?? 0);
      this.queueUp.set({ queue }, 1);
    } catch (err) {
      this.logger.warn({ err, queue }, 'metrics: could not read the queue depth');
      for (const state of QUEUE_STATES) this.queueJobs.remove({ queue, state });
      this.queueUp.set({ queue }, 0);
    }
  }
}

/** A status from the database as a label: one of the known statuses (a label never takes a value from outside a fixed set). */
export function submissionStatusLabel(status: string): SubmissionStatus | 'other' {
  return (SUBMISSION_STATUSES as readonly string[]).includes(status) ? (status as SubmissionStatus) : 'other';
}

export function failureCodeLabel(code: string | null): string {
  return code !== null && (FAILURE_CODES as readonly string[]).includes(code) ? code : 'other';
}
