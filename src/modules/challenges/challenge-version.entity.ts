import { Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn, UpdateDateColumn , type Relation } from 'typeorm';
import { Challenge } from './challenge.entity.js';
import type { ChallengeSpec } from './challenge-bundle.schema.js';

/** Where each data file of the version is stored, by role ("pool", "test", "seller:atelier"…). */
export type ChallengeDataKeys = Record<string, string>;

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

/** Public facts about a version's data (row counts, class histograms…), as its protocol's checkData gives them. */
export type DataSummary = { [key: string]: string | number | boolean | null | object | undefined };
