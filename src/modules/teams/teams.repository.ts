import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager, IsNull, MoreThan } from 'typeorm';
import { ChallengeParticipant } from '../challenges/challenge-participant.entity.js';
import { Team, TeamInvite } from './team.entity.js';

export interface TeamRecord {
  id: string;
  challengeId: string;
  name: string;
  createdBy: string;
  createdAt: Date;
  members: { id: string; name: string }[];
}

@Injectable()
export class TeamsRepository {
  constructor(private readonly dataSource: DataSource) {}

  async find(id: string): Promise<TeamRecord | null> {
    const team = await this.dataSource.getRepository(Team).findOneBy({ id });
    if (!team) return null;
    const members: { id: string; name: string }[] = await this.dataSource.query(
      `SELECT a.id, a.name FROM challenge_participants p JOIN accounts a ON a.id = p.account_id WHERE p.team_id = $1 ORDER BY p.joined_at, a.name`,
      [id],
    );
    return { id: team.id, challengeId: team.challengeId, name: team.name, createdBy: team.createdBy, createdAt: team.createdAt, members };
  }

  /** Creates a team; null when the challenge has a team of that name (in any case). */
  async create(challengeId: string, name: string, createdBy: string, em: EntityManager): Promise<Team | null> {
    const inserted = await em.createQueryBuilder().insert().into(Team).values({ challengeId, name, nameKey: name.toLowerCase(), createdBy }).orIgnore().returning(['id']).execute();
    const id = (inserted.raw as { id: string }[])[0]?.id;
    return id ? em.findOneBy(Team, { id }) : null;
  }

  /** Puts a participant into a team, their solo submissions to the challenge with them. */
  async addMember(challengeId: string, accountId: string, teamId: string, em: EntityManager): Promise<void> {
    await em.update(ChallengeParticipant, { challengeId, accountId }, { teamId });
    await em.query(`UPDATE submissions SET team_id = $3 WHERE challenge_id = $1 AND account_id = $2 AND team_id IS NULL`, [challengeId, accountId, teamId]);
  }

  /** Moves every member and submission of team `from` into team `into`, then deletes `from`. */
  async merge(from: string, into: string, em: EntityManager): Promise<void> {
    await em.update(ChallengeParticipant, { teamId: from }, { teamId: into });
    await em.query(`UPDATE submissions SET team_id = $2 WHERE team_id = $1`, [from, into]);
    await em.delete(Team, { id: from });
  }

  /** Takes a participant out of their team; deletes the team when they were its last member. */
  async removeMember(challengeId: string, accountId: string, teamId: string, em: EntityManager): Promise<void> {
    await em.update(ChallengeParticipant, { challengeId, accountId }, { teamId: null });
    if ((await em.countBy(ChallengeParticipant, { teamId })) === 0) await em.delete(Team, { id: teamId });
  }

  /** Whether any submission (other than a dry run) is the team's. */
  async hasSubmissions(teamId: string, em: EntityManager = this.dataSource.manager): Promise<boolean> {
    const rows: unknown[] = await em.query(`SELECT 1 FROM submissions WHERE team_id = $1 AND NOT dry_run LIMIT 1`, [teamId]);
    return rows.length > 0;
  }

  /** The team an invitation token leads to, when it is one of this challenge's. */
  async inviteTeam(tokenHash: string, challengeId: string): Promise<string | null> {
    const rows: { team_id: string }[] = await this.dataSource.query(
      `SELECT i.team_id FROM team_invites i JOIN teams t ON t.id = i.team_id WHERE i.token_hash = $1 AND t.challenge_id = $2`,
      [tokenHash, challengeId],
    );
    return rows[0]?.team_id ?? null;
  }

  async insertInvite(teamId: string, tokenHash: string, createdBy: string, expiresAt: Date): Promise<void> {
    await this.dataSource.getRepository(TeamInvite).insert({ teamId, tokenHash, createdBy, expiresAt });
  }

  /** Takes an unused, unexpired invite (one use): null when there is none under that hash. */
  async useInvite(tokenHash: string, usedBy: string, em: EntityManager): Promise<TeamInvite | null> {
    const invite = await em.findOne(TeamInvite, { where: { tokenHash, usedAt: IsNull(), expiresAt: MoreThan(new Date()) }, lock: { mode: 'pessimistic_write' } });
    if (!invite) return null;
    await em.update(TeamInvite, { id: invite.id }, { usedAt: new Date(), usedBy });
    return invite;
  }
}
