import { Column, CreateDateColumn, Entity, Index, PrimaryColumn, UpdateDateColumn } from 'typeorm';
import type { QueueName } from '../../core/queue/jobs.js';

export const RESCORE_STATUSES = ['queued', 'running', 'scored', 'failed'] as const;
export type RescoreStatus = (typeof RESCORE_STATUSES)[number];

/** An organizer's request to score submissions again under one challenge version. */
@Entity({ name: 'rescore_runs' })
export class RescoreRun {
  @PrimaryColumn('uuid')
  id!: string;

  @Column({ name: 'challenge_id', type: 'uuid' })
  challengeId!: string;

  @Column({ type: 'integer' })
  version!: number;

  /** The admin who started it; null when Sieve started it (a new round). */
  @Column({ name: 'requested_by', type: 'uuid', nullable: true })
  requestedBy!: string | null;

  /** Why: "requested", or "round" when a new version added rounds. */
  @Column({ type: 'varchar', length: 16, default: 'requested' })
  reason!: 'requested' | 'round';

  @Column({ type: 'integer' })
  total!: number;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}

/**
 * One submission to score under one version: the submission keeps its status and its
 * original score; a new score row is written for the version. Postgres is the truth;
 * it runs under a lease like an evaluation, and the reconciler re-enqueues a rescore whose
 * job is gone or whose lease lapsed.
 */
@Entity({ name: 'rescores' })
@Index('rescores_submission_version_key', ['submissionId', 'version'], { unique: true })
@Index('rescores_run_status_idx', ['runId', 'status'])
@Index('rescores_status_updated_idx', ['status', 'updatedAt'])
export class Rescore {
  @PrimaryColumn('uuid')
  id!: string;

  @Column({ name: 'run_id', type: 'uuid' })
  runId!: string;

  @Column({ name: 'submission_id', type: 'uuid' })
  submissionId!: string;

  @Column({ name: 'challenge_id', type: 'uuid' })
  challengeId!: string;

  @Column({ type: 'integer' })
  version!: number;

  @Column({ type: 'varchar', length: 32 })
  queue!: QueueName;

  @Column({ type: 'varchar', length: 16, default: 'queued' })
  status!: RescoreStatus;

  @Column({ type: 'integer', default: 0 })
  attempts!: number;

  /** The lease of a running rescore, as a submission's (see Submission.leaseOwner). */
  @Column({ name: 'lease_owner', type: 'varchar', length: 64, nullable: true })
  leaseOwner!: string | null;

  @Column({ name: 'lease_expires_at', type: 'timestamptz', nullable: true })
  leaseExpiresAt!: Date | null;

  @Column({ name: 'error_code', type: 'varchar', length: 32, nullable: true })
  errorCode!: string | null;

  @Column({ name: 'error_message', type: 'text', nullable: true })
  errorMessage!: string | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;
}
