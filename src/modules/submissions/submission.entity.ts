import type { QueueName } from '../../core/queue/jobs.js';
import { Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn, UpdateDateColumn , type Relation } from 'typeorm';
import { Account } from '../accounts/account.entity.js';
import { Team } from '../teams/team.entity.js';
import { Challenge } from '../challenges/challenge.entity.js';
import type { ErrorDetail } from '../../core/errors/app-error.js';
import type { SubmissionStatus, FailureCode } from './submission-status.js';

@Entity({ name: 'submissions' })
@Index('submissions_status_updated_idx', ['status', 'updatedAt'])
@Index('submissions_challenge_account_idx', ['challengeId', 'accountId', 'createdAt'])
// A board's rows: the scored submissions of one phase that compete (LeaderboardsRepository.scoredInPhase).
@Index('submissions_board_idx', ['challengeId', 'phase'], { where: `"status" = 'scored' AND NOT "dry_run" AND "disqualified_at" IS NULL` })
@Index('submissions_idempotency_key_idx', ['accountId', 'idempotencyKey'], { unique: true, where: '"idempotency_key" IS NOT NULL' })
export class Submission {
  @PrimaryColumn('uuid')
  id!: string;

  @Column({ name: 'challenge_id', type: 'uuid' })
  challengeId!: string;

  @ManyToOne(() => Challenge, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'challenge_id' })
  challenge?: Relation<Challenge>;

  /** The challenge version the file was validated against and is scored under. */
  @Column({ name: 'challenge_version', type: 'integer' })
  challengeVersion!: number;

  @Column({ name: 'account_id', type: 'uuid' })
  accountId!: string;

  @ManyToOne(() => Account, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'account_id' })
  account?: Relation<Account>;

  /**
   * The team it competes for (null: its author competes alone). A member's earlier
   * submissions move with them into a team, so the team's limits count them.
   */
  @Index('submissions_team_idx')
  @Column({ name: 'team_id', type: 'uuid', nullable: true })
  teamId!: string | null;

  @ManyToOne(() => Team, { onDelete: 'SET NULL' })
  @JoinColumn({ name: 'team_id' })
  team?: Relation<Team>;

  @Column({ type: 'varchar', length: 16 })
  status!: SubmissionStatus;

  /** An organizer's dry run of a challenge's baseline: never on a board, never counted. */
  @Column({ name: 'dry_run', type: 'boolean', default: false })
  dryRun!: boolean;

  /** Set when an organizer disqualified it: off every board, with the reason. */
  @Column({ name: 'disqualified_at', type: 'timestamptz', nullable: true })
  disqualifiedAt!: Date | null;

  @Column({ name: 'disqualified_reason', type: 'text', nullable: true })
  disqualifiedReason!: string | null;

  /** The queue it is evaluated on (the challenge's resource class when submitted). */
  @Column({ type: 'varchar', length: 32, default: 'evaluate-cpu' })
  queue!: QueueName;

  /** The challenge phase open when it was made: its limits are the ones it counts against. */
  @Column({ type: 'varchar', length: 32, default: 'open' })
  phase!: string;

  /** Picked by its owner for the private ranking of its phase. */
  @Column({ type: 'boolean', default: false })
  final!: boolean;

  @Column({ name: 'file_key', type: 'varchar', length: 512 })
  fileKey!: string;

  @Column({ name: 'file_bytes', type: 'integer' })
  fileBytes!: number;

  @Column({ name: 'file_sha256', type: 'char', length: 64 })
  fileSha256!: string;

  @Column({ name: 'item_count', type: 'integer' })
  itemCount!: number;

  /** The client's Idempotency-Key for the upload that created it: a retry with the same key gets this submission again. */
  @Column({ name: 'idempotency_key', type: 'varchar', length: 255, nullable: true })
  idempotencyKey!: string | null;

  /** How many times a worker started on it. */
  @Column({ type: 'integer', default: 0 })
  attempts!: number;

  /**
   * The lease of a running evaluation: the worker holding it, until when. The worker
   * renews it with its heartbeat; once it lapses (the worker died or lost the database),
   * the reconciler puts the submission back in the queue and another worker may take it.
   */
  @Column({ name: 'lease_owner', type: 'varchar', length: 64, nullable: true })
  leaseOwner!: string | null;

  @Column({ name: 'lease_expires_at', type: 'timestamptz', nullable: true })
  leaseExpiresAt!: Date | null;

  @Column({ name: 'error_code', type: 'varchar', length: 32, nullable: true })
  errorCode!: FailureCode | null;

  @Column({ name: 'error_message', type: 'text', nullable: true })
  errorMessage!: string | null;

  @Column({ name: 'error_details', type: 'jsonb', nullable: true })
  errorDetails!: ErrorDetail[] | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @Column({ name: 'started_at', type: 'timestamptz', nullable: true })
  startedAt!: Date | null;

  @Column({ name: 'finished_at', type: 'timestamptz', nullable: true })
  finishedAt!: Date | null;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;
}
