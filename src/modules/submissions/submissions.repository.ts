import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager, In, IsNull } from 'typeorm';
import { expireLeases, findStale, NO_LEASE, renewLeases, takeLease, updateIfStale } from '../../core/database/leases.js';

import type { LimitUsage } from '../challenges/phases.js';
import { DAY_MS } from '../challenges/phases.js';
import type { ErrorDetail } from '../../core/errors/app-error.js';
import { encodePredictions, encodeResampled, type ResampledScores, ScorePredictions } from './score-predictions.entity.js';
import { Score, type ScoreDetails } from './score.entity.js';
import { COUNTED_FAILURES, type FailureCode, NON_TERMINAL_STATUSES, sourcesOf } from './submission-status.js';
import { Submission } from './submission.entity.js';
import { SUBMISSION_EVENTS_CHANNEL, SubmissionEvent } from './submission-events.js';

/** Who competes: a team, or a participant alone. Limits and boards count per competitor. */
export type Competitor = { kind: 'team'; id: string } | { kind: 'participant'; id: string };

/** The SQL condition selecting a competitor's submissions, with its parameter at `$n`. */
export function competitorCondition(competitor: Competitor, n: number): string {
  return competitor.kind === 'team' ? `team_id = $${n}` : `account_id = $${n} AND team_id IS NULL`;
}

export interface SubmissionExportRow {
  id: string;
  participant: string;
  team: string | null;
  status: string;
  phase: string;
  version: number;
  metric: string | null;
  score: number | null;
  items: number;
  fileSha256: string;
  errorCode: string | null;
  dryRun: boolean;
  disqualifiedReason: string | null;
  final: boolean;
  createdAt: Date;
  finishedAt: Date | null;
}

export const SUBMISSION_EXPORT_COLUMNS = [
  'id', 'participant', 'team', 'status', 'phase', 'version', 'metric', 'score', 'items', 'fileSha256', 'errorCode', 'dryRun', 'disqualifiedReason', 'final', 'createdAt', 'finishedAt',
] as const satisfies (keyof SubmissionExportRow)[];

export interface NewScore {
  /** The predictions on the hidden test set, one array per seed (classification scores). */
  predictions?: Int32Array[];
  /** The score on each bootstrap resample of the test set (and its parts). */
  resampled?: ResampledScores;
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

  async insert(
    values: Omit<Submission, 'createdAt' | 'updatedAt' | 'startedAt' | 'finishedAt' | 'errorCode' | 'errorMessage' | 'errorDetails' | 'attempts' | 'final' | 'disqualifiedAt' | 'disqualifiedReason' | 'idempotencyKey' | 'leaseOwner' | 'leaseExpiresAt'> & {
      idempotencyKey?: string | null;
    },
    em: EntityManager = this.dataSource.manager,
  ): Promise<void> {
    await em.getRepository(Submission).insert(values);
  }

  /**
   * Runs `work` in a transaction holding a lock on competitors' submissions to one
   * challenge, so that two uploads at once cannot both take the last slot of a limit
   * (and a team cannot form while one of its members is submitting). Locks are taken
   * in id order, so two transactions never wait on each other.
   */
  async withSubmitLock<T>(challengeId: string, competitorIds: string[], work: (em: EntityManager) => Promise<T>): Promise<T> {
    return this.dataSource.transaction(async (em) => {
      for (const id of [...new Set(competitorIds)].sort()) {
        await em.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [`submit:${challengeId}:${id}`]);
      }
      return work(em);
    });
  }

  /**
   * What counts against a competitor's limits in one phase: submissions queued, running
   * or scored, and failures that were the participant's (invalid_submission). Our failures
   * (timeout, internal), cancelled ones and organizers' dry runs never count.
   */
  async limitUsage(challengeId: string, competitor: Competitor, phase: string, now: Date, em: EntityManager = this.dataSource.manager): Promise<LimitUsage> {
    const rows: { total: string; running: string; last_day: Date[] | null }[] = await em.query(
      `SELECT count(*) AS total,
              count(*) FILTER (WHERE status IN ('queued', 'running')) AS running,
              array_agg(created_at ORDER BY created_at) FILTER (WHERE created_at > $4) AS last_day
         FROM submissions
        WHERE challenge_id = $1 AND ${competitorCondition(competitor, 2)} AND phase = $3 AND NOT dry_run
          AND (status <> 'failed' OR error_code = ANY($5))`,
      [challengeId, competitor.id, phase, new Date(now.getTime() - DAY_MS), COUNTED_FAILURES],
    );
    const r = rows[0];
    return { total: Number(r.total), running: Number(r.running), lastDay: (r.last_day ?? []).map((d) => new Date(d)) };
  }

  /** The submission an account's upload with this Idempotency-Key created, if any. */
  async findByIdempotencyKey(accountId: string, key: string, em: EntityManager = this.dataSource.manager): Promise<Submission | null> {
    return em.getRepository(Submission).findOneBy({ accountId, idempotencyKey: key });
  }

  async findById(id: string): Promise<Submission | null> {
    return this.repo.findOneBy({ id });
  }

  async findScore(submissionId: string, challengeVersion: number): Promise<Score | null> {
    return this.dataSource.getRepository(Score).findOneBy({ submissionId, challengeVersion });
  }

  /** A competitor's submissions to a challenge, newest first (a team's: every member's). */
  async listForCompetitor(challengeId: string, competitor: Competitor, limit: number): Promise<Submission[]> {
    const where = competitor.kind === 'team' ? { challengeId, teamId: competitor.id } : { challengeId, accountId: competitor.id, teamId: IsNull() };
    return this.repo.find({ where, order: { createdAt: 'DESC' }, take: limit });
  }

  /** Every submission to a challenge, oldest first, with its score under its version: the organizers' export. */
  async exportRows(challengeId: string): Promise<SubmissionExportRow[]> {
    const rows: Record<string, unknown>[] = await this.dataSource.query(
      `SELECT s.id, a.name AS participant, t.name AS team, s.status, s.phase, s.challenge_version AS version, sc.metric, sc.value AS score,
              s.item_count AS items, s.file_sha256 AS "fileSha256", s.error_code AS "errorCode", s.dry_run AS "dryRun",
              s.disqualified_reason AS "disqualifiedReason", s.final, s.created_at AS "createdAt", s.finished_at AS "finishedAt"
         FROM submissions s
         JOIN accounts a ON a.id = s.account_id
         LEFT JOIN teams t ON t.id = s.team_id
         LEFT JOIN scores sc ON sc.submission_id = s.id AND sc.challenge_version = s.challenge_version
        WHERE s.challenge_id = $1
        ORDER BY s.created_at, s.id`,
      [challengeId],
    );
    return rows as unknown as SubmissionExportRow[];
  }

  /** Makes exactly `ids` the competitor's final picks in one phase (the others of that phase are unpicked). */
  async setFinal(challengeId: string, competitor: Competitor, phase: string, ids: string[]): Promise<void> {
    await this.dataSource.transaction(async (em) => {
      await em.query(`UPDATE submissions SET final = false WHERE challenge_id = $1 AND ${competitorCondition(competitor, 2)} AND phase = $3`, [challengeId, competitor.id, phase]);
      if (ids.length > 0) await em.update(Submission, { id: In(ids), challengeId, phase }, { final: true });
    });
  }

  /**
   * Tells whoever listens (the API's live status streams, on any machine) about a
   * submission. Best effort: an event lost is only a progress bar that jumps.
   */
  async announce(event: SubmissionEvent): Promise<void> {
    await this.dataSource.query('SELECT pg_notify($1, $2)', [SUBMISSION_EVENTS_CHANNEL, JSON.stringify(SubmissionEvent.parse(event))]).catch(() => undefined);
  }

  /** The newest dry run of a challenge version, if any. */
  async latestDryRun(challengeId: string, challengeVersion: number): Promise<Submission | null> {
    return this.repo.findOne({ where: { challengeId, challengeVersion, dryRun: true }, order: { createdAt: 'DESC' } });
  }

  /** Marks a submission disqualified with the reason; false when it already was. */
  async disqualify(id: string, reason: string, em: EntityManager = this.dataSource.manager): Promise<boolean> {
    const result = await em.update(Submission, { id, disqualifiedAt: IsNull() }, { disqualifiedAt: () => 'now()', disqualifiedReason: reason });
    return (result.affected ?? 0) > 0;
  }

  /**
   * → running (from the transition table), counting the attempt and taking its lease for
   * `leaseMs` on behalf of `owner`. Null when it is finished, gone, running under another
   * worker's lease that has not lapsed, or has had `maxAttempts` already (the reconciler
   * fails it as `internal`).
   */
  async markRunning(id: string, owner: string, leaseMs: number, maxAttempts: number): Promise<Submission | null> {
    const taken = await takeLease(this.repo, id, sourcesOf('running'), { owner, leaseMs, maxAttempts }, { startedAt: () => 'COALESCE(started_at, now())' });
    return taken ? this.findById(id) : null;
  }

  /** Extends `owner`'s leases on these running submissions; returns the ids it still holds. */
  renewLeases(ids: string[], owner: string, leaseMs: number): Promise<Set<string>> {
    return renewLeases(this.repo, ids, owner, leaseMs);
  }

  /** Lets `owner`'s leases on these submissions lapse now, for another worker to take them at once. */
  expireLeases(ids: string[], owner: string): Promise<void> {
    return expireLeases(this.repo, ids, owner);
  }

  /** running → queued: waiting for another attempt, its lease given up. */
  async markRequeued(id: string): Promise<void> {
    await this.repo.update({ id, status: In(sourcesOf('queued')) }, { status: 'queued', ...NO_LEASE });
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
  async recordScore(submission: Submission, { predictions, resampled, ...score }: NewScore): Promise<boolean> {
    return this.dataSource.transaction(async (em) => {
      // Only a running submission is scored (not one cancelled or failed meanwhile).
      const updated = await em.update(
        Submission,
        { id: submission.id, status: In(sourcesOf('scored')) },
        { status: 'scored', finishedAt: new Date(), errorCode: null, errorMessage: null, errorDetails: null },
      );
      if ((updated.affected ?? 0) === 0) return false;
      await insertScore(em, submission, submission.challengeVersion, score, predictions, resampled);
      return true;
    });
  }

  /**
   * Candidates for the reconciler: unfinished submissions untouched for `graceMs`, but
   * not a running one whose lease is live (its worker is on it, whatever the queue says).
   */
  findStale(graceMs: number, limit: number): Promise<Submission[]> {
    return findStale(this.repo, NON_TERMINAL_STATUSES, graceMs, limit);
  }

  /**
   * The reconciler's moves, each only while the submission is as it was found stale (see
   * updateIfStale): → failed (`internal`); a running one → queued; a queued one touched
   * (before its job is added again).
   */
  failStale(stale: Submission, message: string): Promise<boolean> {
    return updateIfStale(this.repo, stale, { status: 'failed', errorCode: 'internal', errorMessage: message, errorDetails: [], finishedAt: new Date(), ...NO_LEASE });
  }

  requeueStale(stale: Submission): Promise<boolean> {
    return updateIfStale(this.repo, stale, { status: 'queued', ...NO_LEASE });
  }

  touchStale(stale: Submission): Promise<boolean> {
    return updateIfStale(this.repo, stale, { updatedAt: () => 'now()' });
  }
}

/**
 * The score of `submission` under `version` (once: a second insert is ignored) and its
 * test predictions, inside the caller's transaction.
 */
export async function insertScore(
  em: EntityManager,
  submission: Submission,
  version: number,
  score: Omit<NewScore, 'predictions' | 'resampled'>,
  predictions?: Int32Array[],
  resampled?: ResampledScores,
): Promise<void> {
  const inserted = await em
    .createQueryBuilder()
    .insert()
    .into(Score)
    .values({
      submissionId: submission.id,
      challengeId: submission.challengeId,
      challengeVersion: version,
      accountId: submission.accountId,
      submittedAt: submission.createdAt,
      ...score,
    })
    .orIgnore()
    .returning(['id'])
    .execute();
  const scoreId = (inserted.raw as { id: string }[])[0]?.id;
  if (scoreId && predictions?.length) {
    await em.getRepository(ScorePredictions).insert({ scoreId, ...encodePredictions(predictions), ...encodeResampled(resampled) });
  }
}
