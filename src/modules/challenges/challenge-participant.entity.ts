import { Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn, type Relation } from 'typeorm';
import { Account } from '../accounts/account.entity.js';
import { Team } from '../teams/team.entity.js';
import { Challenge } from './challenge.entity.js';

/** A participant who joined a challenge, accepting its rules and licence (recorded with the time and version). */
@Entity({ name: 'challenge_participants' })
@Index('challenge_participants_team_idx', ['teamId'])
export class ChallengeParticipant {
  @PrimaryColumn({ name: 'challenge_id', type: 'uuid' })
  challengeId!: string;

  @ManyToOne(() => Challenge, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'challenge_id' })
  challenge?: Relation<Challenge>;

  @PrimaryColumn({ name: 'account_id', type: 'uuid' })
  accountId!: string;

  @ManyToOne(() => Account, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'account_id' })
  account?: Relation<Account>;

  @CreateDateColumn({ name: 'joined_at', type: 'timestamptz' })
  joinedAt!: Date;

  /** The challenge version whose rules and licence were accepted. */
  @Column({ name: 'rules_version', type: 'integer' })
  rulesVersion!: number;

  /** Null: competes alone. */
  @Column({ name: 'team_id', type: 'uuid', nullable: true })
  teamId!: string | null;

  @ManyToOne(() => Team, { onDelete: 'SET NULL' })
  @JoinColumn({ name: 'team_id' })
  team?: Relation<Team>;
}

/**
 * A participant or a team an organizer disqualified from a challenge, with the reason:
 * off every board of the challenge, and refused new submissions.
 */
@Entity({ name: 'disqualifications' })
export class Disqualification {
  @PrimaryColumn({ name: 'challenge_id', type: 'uuid' })
  challengeId!: string;

  @ManyToOne(() => Challenge, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'challenge_id' })
  challenge?: Relation<Challenge>;

  /** An account id (competing alone) or a team id. */
  @PrimaryColumn({ name: 'competitor_id', type: 'uuid' })
  competitorId!: string;

  @Column({ name: 'competitor_kind', type: 'varchar', length: 16 })
  competitorKind!: 'participant' | 'team';

  @Column({ type: 'text' })
  reason!: string;

  @Column({ name: 'disqualified_by', type: 'uuid', nullable: true })
  disqualifiedBy!: string | null;

  @CreateDateColumn({ name: 'disqualified_at', type: 'timestamptz' })
  disqualifiedAt!: Date;
}
