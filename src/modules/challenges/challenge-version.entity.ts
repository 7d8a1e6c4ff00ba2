import { Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn, UpdateDateColumn , type Relation } from 'typeorm';
import { Challenge } from './challenge.entity.js';
import type { ChallengeSpec } from './challenge-bundle.schema.js';

export interface ChallengeDataKeys {
  pool: string;
  test: string;
  /** cleaning: the hidden true labels of the pool. */
  clean?: string;
  /** selection: the public dev split. */
  dev?: string;
}

/** One published version of a challenge: its validated spec and where its data lives. */
@Entity({ name: 'challenge_versions' })
@Index('challenge_versions_challenge_version_key', ['challengeId', 'version'], { unique: true })
export class ChallengeVersion {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ name: 'challenge_id', type: 'uuid' })
  challengeId!: string;

  @ManyToOne(() => Challenge, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'challenge_id' })
  challenge?: Relation<Challenge>;

  @Column({ type: 'integer' })
  version!: number;

  /** SHA-256 over what decides a score: data files, model and metric. */
  @Column({ name: 'content_hash', type: 'char', length: 64 })
  contentHash!: string;

  @Column({ type: 'jsonb' })
  spec!: ChallengeSpec;

  @Column({ name: 'data_keys', type: 'jsonb' })
  dataKeys!: ChallengeDataKeys;

  /** Public facts about the data (row counts, feature count, class histogram). */
  @Column({ name: 'data_summary', type: 'jsonb' })
  dataSummary!: DataSummary;

  @CreateDateColumn({ name: 'published_at', type: 'timestamptz' })
  publishedAt!: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;
}

export interface DataSummary {
  poolRows: number;
  testRows: number;
  features: number;
  poolLabeled: boolean;
  poolClassCounts: Record<string, number>;
  /** Rows of the public dev split, when there is one. */
  devRows?: number;
}
