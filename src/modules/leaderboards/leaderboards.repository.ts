import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { Direction, ScoredEntry } from './ranking.js';

@Injectable()
export class LeaderboardsRepository {
  constructor(private readonly dataSource: DataSource) {}

  /** Each participant's best scored submission under one challenge version. */
  async bestPerParticipant(challengeId: string, version: number, direction: Direction): Promise<ScoredEntry[]> {
    const order = direction === 'maximize' ? 'DESC' : 'ASC';
    const rows: { account_id: string; name: string; value: number; metrics: Record<string, number>; submission_id: string; submitted_at: Date }[] = await this.dataSource.query(
      `SELECT DISTINCT ON (s.account_id) s.account_id, a.name, s.value, s.metrics, s.submission_id, s.submitted_at
         FROM scores s
         JOIN submissions sub ON sub.id = s.submission_id AND sub.status = 'scored'
         JOIN accounts a ON a.id = s.account_id
        WHERE s.challenge_id = $1 AND s.challenge_version = $2
        ORDER BY s.account_id, s.value ${order}, s.submitted_at ASC, s.submission_id ASC`,
      [challengeId, version],
    );
    return rows.map((r) => ({
      participant: r.name,
      participantId: r.account_id,
      score: r.value,
      metrics: r.metrics,
      submissionId: r.submission_id,
      submittedAt: r.submitted_at,
    }));
  }
}
