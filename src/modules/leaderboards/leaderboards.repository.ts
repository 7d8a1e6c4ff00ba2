import { Injectable } from '@nestjs/common';
import type { Pool } from 'pg';
import { DataSource } from 'typeorm';
import type { PostgresDriver } from 'typeorm/driver/postgres/PostgresDriver.js';
import { SLUG_PATTERN } from '../challenges/spec-parts.js';
import type { BoardStamp } from './board-cache.js';

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
   * What a challenge's boards are computed from, in one indexed query (the slug's unique
   * index, the generation's primary key): the board cache's key, read on every board read.
   * A prepared statement on the data source's own pg pool, since TypeORM's query() cannot
   * name one: PostgreSQL then skips parsing and planning it (measured: ~70 µs a query
   * instead of ~220 µs, and half the client CPU). Null: no such challenge.
   */
  async boardState(slug: string): Promise<BoardStamp | null> {
    // Not a slug's shape: no such challenge, and no query.
    if (!SLUG_PATTERN.test(slug)) return null;
    const pool = (this.dataSource.driver as PostgresDriver).master as Pool;
    const { rows } = await pool.query<{ id: string; status: string; current_version: number; generation: string }>({
      name: 'leaderboards.board-state',
      text: `SELECT c.id, c.status, c.current_version, COALESCE(g.generation, 0)::text AS generation
               FROM challenges c LEFT JOIN leaderboard_generations g ON g.challenge_id = c.id
              WHERE c.slug = $1`,
      values: [slug],
    });
    const r = rows[0];
    return r ? { challengeId: r.id, status: r.status, currentVersion: r.current_version, generation: r.generation } : null;
  }

  /**
   * Every scored submission of one phase under one challenge version that competes: not
   * an organizer's dry run, not disqualified, from a competitor who is not disqualified.
   * (`sub.challenge_id = s.challenge_id` always holds; said here, it lets the planner read the
   * phase's submissions through submissions_board_idx instead of scanning them all.)
   */
  async scoredInPhase(challengeId: string, version: number, phase: string): Promise<ScoredRow[]> {
    const rows: { competitor_id: string; name: string; team: boolean; value: number; metrics: Record<string, number>; submission_id: string; submitted_at: Date; final: boolean }[] =
      await this.dataSource.query(
        `SELECT COALESCE(sub.team_id, s.account_id) AS competitor_id, COALESCE(t.name, a.name) AS name, sub.team_id IS NOT NULL AS team,
                s.value, s.metrics, s.submission_id, s.submitted_at, sub.final
           FROM scores s
           JOIN submissions sub ON sub.id = s.submission_id AND sub.challenge_id = s.challenge_id AND sub.status = 'scored' AND NOT sub.dry_run AND sub.disqualified_at IS NULL
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
