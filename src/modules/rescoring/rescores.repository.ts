import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { DataSource, In } from 'typeorm';
import { expireLeases, findStale, NO_LEASE, renewLeases, takeLease, updateIfStale } from '../../core/database/leases.js';
import type { QueueName } from '../../core/queue/jobs.js';
import type { Submission } from '../submissions/submission.entity.js';
import { insertScore, type NewScore } from '../submissions/submissions.repository.js';
import { Rescore, RescoreRun, type RescoreStatus } from './rescore.entity.js';

export interface RescoreProgress {
  id: string;
  version: number;
  reason: 'requested' | 'round';
  total: number;
  queued: number;
  running: number;
  scored: number;
  failed: number;
  done: boolean;
  createdAt: Date;
}

@Injectable()
export class RescoresRepository {
  constructor(private readonly dataSource: DataSource) {}

  /**
   * A run over the challenge's scored submissions (`submissionIds`, or all of them) that
   * have no score under `version` yet and are not being rescored for it. Returns the run
   * and its rescores.
   */
  async createRun(
    challengeId: string,
    version: number,
    queue: QueueName,
    requestedBy: string | null,
    submissionIds?: string[],
  ): Promise<{ run: RescoreRun; rescores: Rescore[] }> {
    return this.dataSource.transaction(async (em) => {
      const candidates: { id: string }[] = await em.query(
        `SELECT sub.id FROM submissions sub
          WHERE sub.challenge_id = $1 AND sub.status = 'scored'
            AND ($3::uuid[] IS NULL OR sub.id = ANY($3))
            AND NOT EXISTS (SELECT 1 FROM scores s WHERE s.submission_id = sub.id AND s.challenge_version = $2)
            AND NOT EXISTS (SELECT 1 FROM rescores r WHERE r.submission_id = sub.id AND r.version = $2)
          ORDER BY sub.created_at`,
        [challengeId, version, submissionIds ?? null],
      );
      const run = em.create(RescoreRun, { id: randomUUID(), challengeId, version, requestedBy, reason: requestedBy ? 'requested' : 'round', total: candidates.length });
      await em.insert(RescoreRun, run);
      const rescores = candidates.map((c) => em.create(Rescore, { id: randomUUID(), runId: run.id, submissionId: c.id, challengeId, version, queue, status: 'queued' }));
      if (rescores.length > 0) await em.insert(Rescore, rescores);
      return { run, rescores };
    });
  }

  async findRun(id: string): Promise<RescoreRun | null> {
    return this.dataSource.getRepository(RescoreRun).findOneBy({ id });
  }

  /** A challenge's runs, newest first. */
  async listRuns(challengeId: string): Promise<RescoreRun[]> {
    return this.dataSource.getRepository(RescoreRun).find({ where: { challengeId }, order: { createdAt: 'DESC' }, take: 100 });
  }

  async progress(run: RescoreRun): Promise<RescoreProgress> {
    const rows: { status: RescoreStatus; n: string }[] = await this.dataSource.query('SELECT status, count(*) AS n FROM rescores WHERE run_id = $1 GROUP BY status', [run.id]);
    const count = (s: RescoreStatus) => Number(rows.find((r) => r.status === s)?.n ?? 0);
    const [queued, running, scored, failed] = [count('queued'), count('running'), count('scored'), count('failed')];
    return { id: run.id, version: run.version, reason: run.reason, total: run.total, queued, running, scored, failed, done: queued + running === 0, createdAt: run.createdAt };
  }

  async findById(id: string): Promise<Rescore | null> {
    return this.dataSource.getRepository(Rescore).findOneBy({ id });
  }

  /**
   * queued|running → running, counting the attempt, under a lease for `owner` (as
   * SubmissionsRepository.markRunning). Null when it has finished, is gone, is another
   * worker's, or has had `maxAttempts`.
   */
  async markRunning(id: string, owner: string, leaseMs: number, maxAttempts: number): Promise<Rescore | null> {
    return (await takeLease(this.rows, id, ['queued', 'running'], { owner, leaseMs, maxAttempts })) ? this.findById(id) : null;
  }

  renewLeases(ids: string[], owner: string, leaseMs: number): Promise<Set<string>> {
    return renewLeases(this.rows, ids, owner, leaseMs);
  }

  expireLeases(ids: string[], owner: string): Promise<void> {
    return expireLeases(this.rows, ids, owner);
  }

  async markRequeued(id: string): Promise<void> {
    await this.rows.update({ id, status: 'running' }, { status: 'queued', ...NO_LEASE });
  }

  async markFailed(id: string, code: string, message: string): Promise<void> {
    await this.dataSource.getRepository(Rescore).update({ id, status: In(['queued', 'running']) }, { status: 'failed', errorCode: code, errorMessage: message });
  }

  /** One transaction: the score under the rescore's version (once), its predictions, and the rescore done. */
  async recordScore(rescore: Rescore, submission: Submission, { predictions, resampled, ...score }: NewScore): Promise<boolean> {
    return this.dataSource.transaction(async (em) => {
      const updated = await em.update(Rescore, { id: rescore.id, status: 'running' }, { status: 'scored', errorCode: null, errorMessage: null });
      if ((updated.affected ?? 0) === 0) return false;
      await insertScore(em, submission, rescore.version, score, predictions, resampled);
      return true;
    });
  }

  /** Unfinished rescores untouched for `graceMs`, not under a live lease: candidates for the reconciler. */
  findStale(graceMs: number, limit: number): Promise<Rescore[]> {
    return findStale(this.rows, ['queued', 'running'], graceMs, limit);
  }

  /** The reconciler's moves, each only while the rescore is as it was found stale (see updateIfStale). */
  failStale(stale: Rescore, message: string): Promise<boolean> {
    return updateIfStale(this.rows, stale, { status: 'failed', errorCode: 'internal', errorMessage: message, ...NO_LEASE });
  }

  requeueStale(stale: Rescore): Promise<boolean> {
    return updateIfStale(this.rows, stale, { status: 'queued', ...NO_LEASE });
  }

  touchStale(stale: Rescore): Promise<boolean> {
    return updateIfStale(this.rows, stale, { updatedAt: () => 'now()' });
  }

  private get rows() {
    return this.dataSource.getRepository(Rescore);
  }
}
