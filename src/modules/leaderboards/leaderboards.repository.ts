import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';

/** A scored submission as the boards read it. */
export interface ScoredRow {
  participant: string;
  participantId: string;
  /** The whole-test ranking metric. */
  value: number;
  metrics: Record<string, number>;
  submissionId: string;
  submittedAt: Date;
  /** Picked by its owner for the private ranking. */
  final: boolean;
}

@Injectable()
export class LeaderboardsRepository {
  constructor(private readonly dataSource: DataSource) {}

  /** Every scored submission of one phase under one challenge version. */
  async scoredInPhase(challengeId: string, version: number, phase: string): Promise<ScoredRow[]> {
    const rows: { account_id: string; name: string; value: number; metrics: Record<string, number>; submission_id: string; submitted_at: Date; final: boolean }[] =
      await this.dataSource.query(
        `SELECT s.account_id, a.name, s.value, s.metrics, s.submission_id, s.submitted_at, sub.final
           FROM scores s
           JOIN submissions sub ON sub.id = s.submission_id AND sub.status = 'scored'
           JOIN accounts a ON a.id = s.account_id
          WHERE s.challenge_id = $1 AND s.challenge_version = $2 AND sub.phase = $3`,
        [challengeId, version, phase],
      );
    return rows.map((r) => ({
      participant: r.name,
      participantId: r.account_id,
      value: r.value,
      metrics: r.metrics,
      submissionId: r.submission_id,
      submittedAt: r.submitted_at,
      final: r.final,
    }));
  }
}
