import { Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn, type Relation } from 'typeorm';
import { Challenge } from '../challenges/challenge.entity.js';

/** Participants who compete together in one challenge: one board entry, shared limits. */
@Entity({ name: 'teams' })
@Index('teams_challenge_name_key', ['challengeId', 'nameKey'], { unique: true })
export class Team {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ name: 'challenge_id', type: 'uuid' })
  challengeId!: string;

  @ManyToOne(() => Challenge, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'challenge_id' })
  challenge?: Relation<Challenge>;

  @Column({ type: 'varchar', length: 64 })
  name!: string;

  @Column({ name: 'name_key', type: 'varchar', length: 64 })
  nameKey!: string;

  /** The member who created it: may merge the team into another. */
  @Column({ name: 'created_by', type: 'uuid' })
  createdBy!: string;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}

/** A one-use invitation into a team; only the SHA-256 of its 256-bit token is stored. */
@Entity({ name: 'team_invites' })
export class TeamInvite {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Index('team_invites_team_idx')
  @Column({ name: 'team_id', type: 'uuid' })
  teamId!: string;

  @ManyToOne(() => Team, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'team_id' })
  team?: Relation<Team>;

  @Index('team_invites_hash_key', { unique: true })
  @Column({ name: 'token_hash', type: 'char', length: 64 })
  tokenHash!: string;

  @Column({ name: 'created_by', type: 'uuid' })
  createdBy!: string;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @Column({ name: 'expires_at', type: 'timestamptz' })
  expiresAt!: Date;

  @Column({ name: 'used_at', type: 'timestamptz', nullable: true })
  usedAt!: Date | null;

  @Column({ name: 'used_by', type: 'uuid', nullable: true })
  usedBy!: string | null;
}
