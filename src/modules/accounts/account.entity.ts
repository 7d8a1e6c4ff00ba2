import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

export const ROLES = ['participant', 'organizer', 'admin'] as const;
export type Role = (typeof ROLES)[number];

@Entity({ name: 'accounts' })
export class Account {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  /** Shown on leaderboards. Unique regardless of case. */
  @Column({ type: 'varchar', length: 64 })
  name!: string;

  @Index('accounts_name_lower_key', { unique: true })
  @Column({ name: 'name_key', type: 'varchar', length: 64 })
  nameKey!: string;

  @Column({ type: 'varchar', length: 16, default: 'participant' })
  role!: Role;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}
