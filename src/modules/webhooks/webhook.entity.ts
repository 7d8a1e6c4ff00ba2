import { Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn, PrimaryGeneratedColumn, type Relation } from 'typeorm';
import { Account } from '../accounts/account.entity.js';
import { Challenge } from '../challenges/challenge.entity.js';

export const WEBHOOK_EVENTS = ['submission.scored', 'submission.failed', 'phase.closed'] as const;
export type WebhookEvent = (typeof WEBHOOK_EVENTS)[number];

/**
 * A URL an account wants told about one challenge: its own (or its team's) submissions
 * when it competes, every submission when it organizes the challenge, and phases closing.
 */
@Entity({ name: 'webhooks' })
@Index('webhooks_challenge_idx', ['challengeId'])
export class Webhook {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ name: 'account_id', type: 'uuid' })
  accountId!: string;

  @ManyToOne(() => Account, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'account_id' })
  account?: Relation<Account>;

  @Column({ name: 'challenge_id', type: 'uuid' })
  challengeId!: string;

  @ManyToOne(() => Challenge, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'challenge_id' })
  challenge?: Relation<Challenge>;

  @Column({ type: 'varchar', length: 2048 })
  url!: string;

  /** The HMAC-SHA256 key deliveries are signed with: shown once, kept to sign. */
  @Column({ type: 'varchar', length: 64 })
  secret!: string;

  @Column({ type: 'varchar', array: true, length: 32 })
  events!: WebhookEvent[];

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}

export const DELIVERY_STATUSES = ['pending', 'delivered', 'failed'] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];

/** One event for one hook: sent, retried with backoff, and kept as the hook's delivery log. */
@Entity({ name: 'webhook_deliveries' })
@Index('webhook_deliveries_due_idx', ['status', 'nextAttemptAt'])
@Index('webhook_deliveries_hook_idx', ['webhookId', 'createdAt'])
export class WebhookDelivery {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ name: 'webhook_id', type: 'uuid' })
  webhookId!: string;

  @ManyToOne(() => Webhook, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'webhook_id' })
  webhook?: Relation<Webhook>;

  @Column({ type: 'varchar', length: 32 })
  event!: WebhookEvent;

  @Column({ type: 'jsonb' })
  payload!: object;

  @Column({ type: 'varchar', length: 16, default: 'pending' })
  status!: DeliveryStatus;

  @Column({ type: 'integer', default: 0 })
  attempts!: number;

  @Column({ name: 'next_attempt_at', type: 'timestamptz', default: () => 'now()' })
  nextAttemptAt!: Date;

  @Column({ name: 'response_status', type: 'integer', nullable: true })
  responseStatus!: number | null;

  @Column({ name: 'last_error', type: 'text', nullable: true })
  lastError!: string | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @Column({ name: 'delivered_at', type: 'timestamptz', nullable: true })
  deliveredAt!: Date | null;
}

/** A phase whose closing has been announced (once). */
@Entity({ name: 'phase_closings' })
export class PhaseClosing {
  @PrimaryColumn({ name: 'challenge_id', type: 'uuid' })
  challengeId!: string;

  @PrimaryColumn({ type: 'varchar', length: 32 })
  phase!: string;

  @Column({ name: 'closed_at', type: 'timestamptz' })
  closedAt!: Date;
}
