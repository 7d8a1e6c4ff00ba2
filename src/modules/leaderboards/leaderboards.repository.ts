import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';

/** A scored submission as the boards read it. */
export interface ScoredRow {
  /** The competitor's name: the team's, or the participant's when competing alone. */
  participant: string;
  /** The competitor: a team id, or the participant's account id. */
  participantId: string;
  team: boolean;
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

  /**
   * Every scored submission of one phase under one challenge version that competes: not
   * an organizer's dry run, not disqualified, from a competitor who is not disqualified.
   */
  async scoredInPhase(challengeId: string, version: number, phase: string): Promise<ScoredRow[]> {
    const rows: { competitor_id: string; name: string; team: boolean; value: number; metrics: Record<string, number>; submission_id: string; submitted_at: Date; final: boolean }[] =
      await this.dataSource.query(
        `SELECT COALESCE(sub.team_id, s.account_id) AS competitor_id, COALESCE(t.name, a.name) AS name, sub.team_id IS NOT NULL AS team,
                s.value, s.metrics, s.submission_id, s.submitted_at, sub.final
           FROM scores s
           JOIN submissions sub ON sub.id = s.submission_id AND sub.status = 'scored' AND NOT sub.dry_run AND sub.disqualified_at IS NULL
           JOIN accounts a ON a.id = s.account_id
           LEFT JOIN teams t ON t.id = sub.team_id
          WHERE s.challenge_id = $1 AND s.challenge_version = $2 AND sub.phase = $3
            AND NOT EXISTS (SELECT 1 FROM disqualifications d WHERE d.challenge_id = s.challenge_id AND d.competitor_id = COALESCE(sub.team_id, s.account_id))`,
        [challengeId, version, phase],
      );
    return rows.map((r) => ({
      participant: r.name,
      participantId: r.competitor_id,
      team: r.team,
      value: r.value,
      metrics: r.metrics,
      submissionId: r.submission_id,
      submittedAt: r.submitted_at,
      final: r.final,
    }));
  }
}
