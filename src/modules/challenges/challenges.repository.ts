import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager, LessThan } from 'typeorm';
import { ChallengeVersion } from './challenge-version.entity.js';
import { Challenge } from './challenge.entity.js';

export interface ChallengeWithVersion {
  challenge: Challenge;
  version: ChallengeVersion;
}

@Injectable()
export class ChallengesRepository {
  constructor(private readonly dataSource: DataSource) {}

  async list(): Promise<ChallengeWithVersion[]> {
    const challenges = await this.dataSource.getRepository(Challenge).find({ order: { slug: 'ASC' } });
    const versions = await this.dataSource
      .getRepository(ChallengeVersion)
      .createQueryBuilder('v')
      .innerJoin(Challenge, 'c', 'c.id = v.challenge_id AND c.current_version = v.version')
      .getMany();
    const byChallenge = new Map(versions.map((v) => [v.challengeId, v]));
    return challenges.flatMap((challenge) => {
      const version = byChallenge.get(challenge.id);
      return version ? [{ challenge, version }] : [];
    });
  }

  async findById(id: string): Promise<Challenge | null> {
    return this.dataSource.getRepository(Challenge).findOneBy({ id });
  }

  /** The challenge and its current version (or the given one). */
  async findBySlug(slug: string, version?: number): Promise<ChallengeWithVersion | null> {
    const challenge = await this.dataSource.getRepository(Challenge).findOneBy({ slug });
    if (!challenge) return null;
    const v = await this.findVersion(challenge.id, version ?? challenge.currentVersion);
    return v ? { challenge, version: v } : null;
  }

  /** The highest version below `version`, if any. */
  async previousVersion(challengeId: string, version: number): Promise<ChallengeVersion | null> {
    return this.dataSource.getRepository(ChallengeVersion).findOne({ where: { challengeId, version: LessThan(version) }, order: { version: 'DESC' } });
  }

  async findVersion(challengeId: string, version: number): Promise<ChallengeVersion | null> {
    return this.dataSource.getRepository(ChallengeVersion).findOneBy({ challengeId, version });
  }

  /** Runs `work` holding a transaction-scoped lock on the slug, so two publishers never race. */
  async withSlugLock<T>(slug: string, work: (em: EntityManager) => Promise<T>): Promise<T> {
    return this.dataSource.transaction(async (em) => {
      await em.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`challenge:${slug}`]);
      return work(em);
    });
  }
}
