import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager, LessThan } from 'typeorm';
import { SLUG_PATTERN } from './spec-parts.js';
import { ChallengeOrganizer, type OrganizerRole } from './challenge-organizer.entity.js';
import { ChallengeParticipant } from './challenge-participant.entity.js';
import { ChallengeVersion } from './challenge-version.entity.js';
import { Challenge, type ChallengeStatus } from './challenge.entity.js';

export interface ChallengeWithVersion {
  challenge: Challenge;
  version: ChallengeVersion;
}

export interface OrganizerRecord {
  accountId: string;
  name: string;
  role: OrganizerRole;
  addedAt: Date;
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
    // Not a slug's shape (a NUL byte, 10,000 characters…): no such challenge, and no query.
    if (!SLUG_PATTERN.test(slug)) return null;
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

  /** The caller's standing in a challenge: organizer role and participation, in one query. */
  async standing(challengeId: string, accountId: string): Promise<{ organizer: OrganizerRole | null; participant: ChallengeParticipant | null }> {
    const [organizer, participant] = await Promise.all([
      this.dataSource.getRepository(ChallengeOrganizer).findOneBy({ challengeId, accountId }),
      this.dataSource.getRepository(ChallengeParticipant).findOneBy({ challengeId, accountId }),
    ]);
    return { organizer: organizer?.role ?? null, participant };
  }

  /** Records that a participant joined; returns the row, and whether this call created it. */
  async join(challengeId: string, accountId: string, rulesVersion: number): Promise<{ participant: ChallengeParticipant; created: boolean }> {
    const repo = this.dataSource.getRepository(ChallengeParticipant);
    const inserted = await repo.createQueryBuilder().insert().values({ challengeId, accountId, rulesVersion }).orIgnore().execute();
    return { participant: (await repo.findOneBy({ challengeId, accountId }))!, created: (inserted.raw as unknown[]).length > 0 };
  }

  async organizers(challengeId: string): Promise<OrganizerRecord[]> {
    const rows: { account_id: string; name: string; role: OrganizerRole; added_at: Date }[] = await this.dataSource.query(
      `SELECT o.account_id, a.name, o.role, o.added_at FROM challenge_organizers o JOIN accounts a ON a.id = o.account_id
        WHERE o.challenge_id = $1 ORDER BY o.added_at, a.name`,
      [challengeId],
    );
    return rows.map((r) => ({ accountId: r.account_id, name: r.name, role: r.role, addedAt: r.added_at }));
  }

  /** Adds an organizer (or changes nothing when they already are one); false when they already were. */
  async addOrganizer(challengeId: string, accountId: string, role: OrganizerRole, em: EntityManager = this.dataSource.manager): Promise<boolean> {
    const inserted = await em.createQueryBuilder().insert().into(ChallengeOrganizer).values({ challengeId, accountId, role }).orIgnore().execute();
    return (inserted.raw as unknown[]).length > 0;
  }

  async removeOrganizer(challengeId: string, accountId: string, em: EntityManager = this.dataSource.manager): Promise<boolean> {
    const result = await em.delete(ChallengeOrganizer, { challengeId, accountId, role: 'collaborator' });
    return (result.affected ?? 0) > 0;
  }

  async updateSpec(versionId: string, spec: ChallengeVersion['spec']): Promise<void> {
    await this.dataSource.getRepository(ChallengeVersion).update({ id: versionId }, { spec });
  }

  async findTeam(challengeId: string, id: string): Promise<{ id: string; name: string } | null> {
    const rows: { id: string; name: string }[] = await this.dataSource.query(`SELECT id, name FROM teams WHERE challenge_id = $1 AND id = $2`, [challengeId, id]);
    return rows[0] ?? null;
  }

  async setStatus(challengeId: string, status: ChallengeStatus, em: EntityManager = this.dataSource.manager): Promise<void> {
    await em.update(Challenge, { id: challengeId }, { status });
  }
}
