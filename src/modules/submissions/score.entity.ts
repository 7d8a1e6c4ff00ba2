import { Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn , type Relation } from 'typeorm';
import { Submission } from './submission.entity.js';

/** Protocol-specific results kept with a score. */
export interface ScoreDetails {
  /** cleaning: test accuracy after each checkpoint's number of fixes. */
  curve?: { fixes: number; fraction: number; accuracy: number }[];
  /** A model trained with several seeds: each seed's metrics (the score is their mean). */
  seeds?: { seed: number; metrics: Record<string, number>; details?: ScoreDetails }[];
  /** A multi-task challenge: each task's metrics and details, in the challenge's task order. */
  tasks?: { name: string; metrics: Record<string, number>; details?: ScoreDetails }[];
  /** acquisition: what the plan bought, per seller. */
  purchase?: { seller: string; rows: number; cost: number }[];
}

/** A submission's score under one challenge version. Written once per (submission, version). */
@Entity({ name: 'scores' })
@Index('scores_submission_version_key', ['submissionId', 'challengeVersion'], { unique: true })
@Index('scores_leaderboard_idx', ['challengeId', 'challengeVersion', 'accountId'])
export class Score {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ name: 'submission_id', type: 'uuid' })
  submissionId!: string;

  @ManyToOne(() => Submission, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'submission_id' })
  submission?: Relation<Submission>;

  @Column({ name: 'challenge_id', type: 'uuid' })
  challengeId!: string;

  @Column({ name: 'challenge_version', type: 'integer' })
  challengeVersion!: number;

  @Column({ name: 'account_id', type: 'uuid' })
  accountId!: string;

  /** The ranking metric's name and value. */
  @Column({ type: 'varchar', length: 32 })
  metric!: string;

  @Column({ type: 'double precision' })
  value!: number;

  /** Every metric computed, by name. */
  @Column({ type: 'jsonb' })
  metrics!: Record<string, number>;

  /** Protocol-specific results beyond numbers (the cleaning curve). */
  @Column({ type: 'jsonb', nullable: true })
  details!: ScoreDetails | null;

  @Column({ name: 'trainer_name', type: 'varchar', length: 64 })
  trainerName!: string;

  @Column({ name: 'trainer_version', type: 'varchar', length: 32 })
  trainerVersion!: string;

  /** When the submission was made (copied for ranking ties: earlier wins). */
  @Column({ name: 'submitted_at', type: 'timestamptz' })
  submittedAt!: Date;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}
