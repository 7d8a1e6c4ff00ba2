import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { AuditEntry } from './audit-entry.entity.js';

export type NewAuditEntry = Omit<AuditEntry, 'id' | 'at'>;

@Injectable()
export class AuditRepository {
  constructor(private readonly dataSource: DataSource) {}

  async append(entry: NewAuditEntry, em: EntityManager = this.dataSource.manager): Promise<void> {
    await em.getRepository(AuditEntry).insert(entry);
  }

  /** Oldest first; one challenge's entries, or everything (admins). */
  async list(challengeId: string | null, limit: number): Promise<AuditEntry[]> {
    return this.dataSource.getRepository(AuditEntry).find({
      where: challengeId ? { challengeId } : {},
      order: { id: 'ASC' },
      take: limit,
    });
  }
}
