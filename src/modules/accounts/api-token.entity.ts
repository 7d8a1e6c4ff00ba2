import { Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn, type Relation } from 'typeorm';
import { Account } from './account.entity.js';
import type { Scope } from './access.js';

/**
 * A personal API token. The token is `sieve_<lookup><secret>`: `lookup` finds the row,
 * the secret is checked against its scrypt hash. The token itself is shown once.
 */
@Entity({ name: 'api_tokens' })
export class ApiToken {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Index('api_tokens_account_idx')
  @Column({ name: 'account_id', type: 'uuid' })
  accountId!: string;

  @ManyToOne(() => Account, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'account_id' })
  account?: Relation<Account>;

  @Column({ type: 'varchar', length: 64 })
  name!: string;

  /** The token's public part: finds the row without revealing anything about the secret. */
  @Index('api_tokens_lookup_key', { unique: true })
  @Column({ type: 'char', length: 16 })
  lookup!: string;

  /** `scrypt$N$r$p$salt$hash` (base64url). */
  @Column({ name: 'secret_hash', type: 'varchar', length: 200 })
  secretHash!: string;

  @Column({ type: 'varchar', array: true, length: 16 })
  scopes!: Scope[];

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  /** Null: never expires. */
  @Column({ name: 'expires_at', type: 'timestamptz', nullable: true })
  expiresAt!: Date | null;

  @Column({ name: 'last_used_at', type: 'timestamptz', nullable: true })
  lastUsedAt!: Date | null;

  @Column({ name: 'revoked_at', type: 'timestamptz', nullable: true })
  revokedAt!: Date | null;
}
