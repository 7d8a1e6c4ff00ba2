import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';

/** draft: uploaded, seen only by its organizers until its dry run scores and it is opened. */
export const CHALLENGE_STATUSES = ['draft', 'open', 'closed'] as const;
export type ChallengeStatus = (typeof CHALLENGE_STATUSES)[number];

@Entity({ name: 'challenges' })
export class Challenge {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Index('challenges_slug_key', { unique: true })
  @Column({ type: 'varchar', length: 64 })
  slug!: string;

  @Column({ type: 'varchar', length: 200 })
  title!: string;

  @Column({ type: 'varchar', length: 32 })
  protocol!: string;

  @Column({ type: 'varchar', length: 16, default: 'open' })
  status!: ChallengeStatus;

  /** The version new submissions are validated and scored under. */
  @Column({ name: 'current_version', type: 'integer' })
  currentVersion!: number;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;
}
