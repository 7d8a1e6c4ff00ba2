import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { Disqualification } from '../challenges/challenge-participant.entity.js';

@Injectable()
export class DisqualificationsRepository {
  constructor(private readonly dataSource: DataSource) {}

  async find(challengeId: string, competitorId: string): Promise<Disqualification | null> {
    return this.dataSource.getRepository(Disqualification).findOneBy({ challengeId, competitorId });
  }

  /** Records a disqualification; false when the competitor already was disqualified. */
  async insert(row: Pick<Disqualification, 'challengeId' | 'competitorId' | 'competitorKind' | 'reason' | 'disqualifiedBy'>, em: EntityManager): Promise<boolean> {
    const inserted = await em.createQueryBuilder().insert().into(Disqualification).values(row).orIgnore().execute();
    return (inserted.raw as unknown[]).length > 0;
  }
}
