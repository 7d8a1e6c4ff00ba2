import { Column, Entity, PrimaryColumn } from 'typeorm';

/**
 * A challenge's board generation: a counter that goes up, in the same transaction, with
 * every change a board of the challenge is computed from (scores and their predictions,
 * submissions that are or were scored, disqualifications, teams, participants' names, the
 * challenge and its versions' specs). Triggers in PostgreSQL keep it (migration
 * LeaderboardIndexesAndGenerations), so no write path can forget it. The API's board cache
 * keys on it: a board cached under one generation is never served under another, in
 * any process. A challenge without a row is at generation 0.
 *
 * No foreign key: a challenge deleted with its scores bumps its own row on the way out.
 */
@Entity({ name: 'leaderboard_generations' })
export class LeaderboardGeneration {
  @PrimaryColumn({ name: 'challenge_id', type: 'uuid' })
  challengeId!: string;

  /** bigint: comes back from pg as a string. */
  @Column({ type: 'bigint', default: 0 })
  generation!: string;

  @Column({ name: 'changed_at', type: 'timestamptz', default: () => 'now()' })
  changedAt!: Date;
}
