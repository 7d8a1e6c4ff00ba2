import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'pino';
import { CONFIG, type Config } from '../../src/core/config/config.js';
import { LOGGER } from '../../src/core/logger/logger.js';
import type { Rescore } from '../../src/modules/rescoring/rescore.entity.js';
import { RescoresRepository } from '../../src/modules/rescoring/rescores.repository.js';
import type { Submission } from '../../src/modules/submissions/submission.entity.js';
import { SubmissionsRepository } from '../../src/modules/submissions/submissions.repository.js';
import { Heartbeat } from './heartbeat.js';
import { Periodic } from './periodic.js';

/** Why an evaluation was abandoned: its lease lapsed and the work may be another worker's now. */
export class LeaseLost extends Error {
  constructor(readonly key: string) {
    super(`the lease on ${key} lapsed; another worker may have taken it`);
    this.name = 'LeaseLost';
  }
}

export interface Lease<T> {
  row: T;
  /** Aborted when the lease is lost: stop working on it, its result is not ours to write. */
  signal: AbortSignal;
}

/** What runs under leases: a submission's evaluation, or a rescore. */
type Kind = 'submission' | 'rescore';

interface LeaseTable<T> {
  markRunning(id: string, owner: string, leaseMs: number, maxAttempts: number): Promise<T | null>;
  renewLeases(ids: string[], owner: string, leaseMs: number): Promise<Set<string>>;
  expireLeases(ids: string[], owner: string): Promise<void>;
}

/**
 * The leases this worker holds on running submissions and rescores. Taking one marks the
 * row running for EVALUATION_LEASE_MS on this worker's behalf; the lease is renewed with
 * every heartbeat (WORKER_HEARTBEAT_MS) while the work runs. A worker that dies stops
 * renewing: once its leases lapse, the reconciler puts that work back in the queue (or
 * fails it as `internal` when its attempts are used up). A renewal that finds a lease gone
 * aborts that work, so two workers never go on with one submission long.
 */
@Injectable()
export class Leases {
  private readonly held = new Map<string, { kind: Kind; id: string; controller: AbortController }>();
  private readonly tables: Record<Kind, LeaseTable<unknown>>;
  private readonly periodic: Periodic;

  constructor(
    submissions: SubmissionsRepository,
    rescores: RescoresRepository,
    private readonly heartbeat: Heartbeat,
    @Inject(CONFIG) private readonly config: Config,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {
    this.tables = { submission: submissions, rescore: rescores };
    this.periodic = new Periodic(() => this.renew(), config.worker.heartbeatMs, (err) => this.logger.warn({ err }, 'could not renew the leases; will retry'));
  }

  get owner(): string {
    return this.heartbeat.id;
  }

  start(): void {
    this.periodic.start();
  }

  stop(): Promise<void> {
    return this.periodic.stop();
  }

  /**
   * Runs `work` on the submission under a fresh lease, released when it ends. 'skipped'
   * when there is nothing to do (the submission is finished, gone, another worker's, or out
   * of attempts: JOB_ATTEMPTS, after which the reconciler fails it as `internal`), or when
   * the lease was lost mid-way (the work is abandoned; its result is not ours to write).
   */
  withSubmission<R>(id: string, log: Logger, work: (lease: Lease<Submission>) => Promise<R>): Promise<R | 'skipped'> {
    return this.runUnder<Submission, R>('submission', id, log, work);
  }

  /** The same for a rescore. */
  withRescore<R>(id: string, log: Logger, work: (lease: Lease<Rescore>) => Promise<R>): Promise<R | 'skipped'> {
    return this.runUnder<Rescore, R>('rescore', id, log, work);
  }

  /** Lets every lease still held lapse now, so that another worker takes that work at once (a shutdown past its deadline). */
  async expireAll(): Promise<void> {
    const all = [...this.held.values()];
    this.held.clear();
    for (const kind of ['submission', 'rescore'] as const) {
      const ids = all.filter((h) => h.kind === kind).map((h) => h.id);
      await this.tables[kind].expireLeases(ids, this.owner);
      if (ids.length) this.logger.warn({ kind, ids }, 'gave up the leases of unfinished work');
    }
  }

  /** One renewal: extends every lease held, and abandons the work whose lease is gone. */
  async renew(): Promise<void> {
    for (const kind of ['submission', 'rescore'] as const) {
      const mine = [...this.held.entries()].filter(([, h]) => h.kind === kind);
      if (mine.length === 0) continue;
      const kept = await this.tables[kind].renewLeases(
        mine.map(([, h]) => h.id),
        this.owner,
        this.config.worker.leaseMs,
      );
      for (const [key, h] of mine) {
        if (kept.has(h.id) || this.held.get(key) !== h) continue;
        h.controller.abort(new LeaseLost(key));
        this.held.delete(key);
        this.logger.warn({ [kind === 'submission' ? 'submissionId' : 'rescoreId']: h.id }, 'lease lost (it lapsed, or the work finished or was cancelled meanwhile); abandoning it');
      }
    }
  }

  /** Takes the lease (marking the row running), runs `work`, and lets go of the lease when it ends. */
  private async runUnder<T, R>(kind: Kind, id: string, log: Logger, work: (lease: Lease<T>) => Promise<R>): Promise<R | 'skipped'> {
    const row = (await this.tables[kind].markRunning(id, this.owner, this.config.worker.leaseMs, this.config.worker.attempts)) as T | null;
    if (!row) {
      log.info(`${kind} finished, gone, or under another worker's live lease; nothing to do`);
      return 'skipped';
    }
    const key = `${kind} ${id}`;
    this.held.get(key)?.controller.abort(new LeaseLost(key));
    const entry = { kind, id, controller: new AbortController() };
    this.held.set(key, entry);
    try {
      return await work({ row, signal: entry.controller.signal });
    } catch (err) {
      if (!entry.controller.signal.aborted) throw err;
      log.warn({ reason: String(entry.controller.signal.reason) }, `${kind === 'submission' ? 'evaluation' : 'rescore'} abandoned: its lease was lost`);
      return 'skipped';
    } finally {
      if (this.held.get(key) === entry) this.held.delete(key);
    }
  }
}
