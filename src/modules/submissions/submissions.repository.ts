import { Injectable } from '@nestjs/common';
import { DataSource, In, LessThan } from 'typeorm';
import type { ErrorDetail } from '../../core/errors/app-error.js';
import { Score, type ScoreDetails } from './score.entity.js';
import { type FailureCode, NON_TERMINAL_STATUSES, sourcesOf } from './submission-status.js';
import { Submission } from './submission.entity.js';

export interface NewScore {
  metric: string;
  value: number;
  metrics: Record<string, number>;
  details: ScoreDetails | null;
  trainerName: string;
  trainerVersion: string;
}

@Injectable()
export class SubmissionsRepository {
  constructor(private readonly dataSource: DataSource) {}

  private get repo() {
    return this.dataSource.getRepository(Submission);
  }

  async insert(values: Omit<Submission, 'createdAt' | 'updatedAt' | 'startedAt' | 'finishedAt' | 'errorCode' | 'errorMessage' | 'errorDetails' | 'attempts'>): Promise<void> {
    await this.repo.insert(values);
  }

  async findById(id: string): Promise<Submission | null> {
    return this.repo.findOneBy({ id });
  }

  async findScore(submissionId: string, challengeVersion: number): Promise<Score | null> {
    return this.dataSource.getRepository(Score).findOneBy({ submissionId, challengeVersion });
  }

  async listForAccount(challengeId: string, accountId: string, limit: number): Promise<Submission[]> {
    return this.repo.find({ where: { challengeId, accountId }, order: { createdAt: 'DESC' }, take: limit });
  }

  /** → running (from the transition table), counting the attempt. Null when it is already finished or gone. */
  async markRunning(id: string): Promise<Submission | null> {
    const result = await this.repo
      .createQueryBuilder()
      .update(Submission)
      .set({ status: 'running', attempts: () => 'attempts + 1', startedAt: () => 'COALESCE(started_at, now())' })
      .where({ id, status: In(sourcesOf('running')) })
      .execute();
    return (result.affected ?? 0) > 0 ? this.findById(id) : null;
  }

  /** running → queued: waiting for another attempt. */
  async markRequeued(id: string): Promise<void> {
    await this.repo.update({ id, status: In(sourcesOf('queued')) }, { status: 'queued' });
  }

  /** → failed. Returns false if it had already finished. */
  async markFailed(id: string, code: FailureCode, message: string, details: ErrorDetail[] = []): Promise<boolean> {
    const result = await this.repo.update(
      { id, status: In(sourcesOf('failed')) },
      { status: 'failed', errorCode: code, errorMessage: message, errorDetails: details, finishedAt: new Date() },
    );
    return (result.affected ?? 0) > 0;
  }

  /**
   * One transaction: the score row (once per submission and version) and the move to scored.
   * Running it twice is harmless.
   */
  async recordScore(submission: Submission, score: NewScore): Promise<boolean> {
    return this.dataSource.transaction(async (em) => {
      await em
        .createQueryBuilder()
        .insert()
        .into(Score)
        .values({
          submissionId: submission.id,
          challengeId: submission.challengeId,
          challengeVersion: submission.challengeVersion,
          accountId: submission.accountId,
          submittedAt: submission.createdAt,
          ...score,
        })
        .orIgnore()
        .execute();
      const updated = await em.update(
        Submission,
        { id: submission.id, status: In(sourcesOf('scored')) },
        { status: 'scored', finishedAt: new Date(), errorCode: null, errorMessage: null, errorDetails: null },
      );
      return (updated.affected ?? 0) > 0;
    });
  }

  /** Unfinished submissions untouched for `graceMs`: candidates for the reconciler. */
  async findStale(graceMs: number, limit: number): Promise<Submission[]> {
    return this.repo.find({
      where: { status: In([...NON_TERMINAL_STATUSES]), updatedAt: LessThan(new Date(Date.now() - graceMs)) },
      order: { updatedAt: 'ASC' },
      take: limit,
    });
  }

  async touch(id: string): Promise<void> {
    await this.repo.update({ id, status: In([...NON_TERMINAL_STATUSES]) }, { updatedAt: new Date() });
  }
}
