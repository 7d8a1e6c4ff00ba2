import { Injectable } from '@nestjs/common';
import { createHash, randomBytes } from 'node:crypto';
import { z } from 'zod';
import { AppError } from '../../core/errors/app-error.js';
import { parseInput } from '../../core/validation/parse-input.js';
import type { Principal } from '../accounts/access.js';
import { AccountNameSchema } from '../accounts/accounts.service.js';
import type { ChallengeParticipant } from '../challenges/challenge-participant.entity.js';
import { type ChallengeAccess, ChallengesService } from '../challenges/challenges.service.js';
import { combinedUsage, mergeRefusal, phaseAt } from '../challenges/phases.js';
import { DisqualificationsRepository } from '../submissions/disqualifications.repository.js';
import { type Competitor, SubmissionsRepository } from '../submissions/submissions.repository.js';
import { competitorOf } from '../submissions/submissions.service.js';
import { type TeamRecord, TeamsRepository } from './teams.repository.js';

export const CreateTeam = z.strictObject({ name: AccountNameSchema });
export const AcceptInvite = z.strictObject({ token: z.string().regex(/^team_[A-Za-z0-9_-]{43}$/, 'must be an invitation token ("team_…")') });

const INVITE_DAYS = 7;

const hashInvite = (token: string) => createHash('sha256').update(token, 'utf8').digest('hex');

/**
 * Teams: a participant creates one, invites others with one-use tokens, and members
 * compete as one (one board entry, shared limits). Joining a team brings your earlier
 * submissions along; merging two teams is allowed only when their combined submissions
 * fit the limits, and nobody leaves a team that has submitted.
 */
@Injectable()
export class TeamsService {
  constructor(
    private readonly teams: TeamsRepository,
    private readonly challenges: ChallengesService,
    private readonly submissions: SubmissionsRepository,
    private readonly disqualifications: DisqualificationsRepository,
  ) {}

  async create(slug: string, principal: Principal, body: unknown): Promise<TeamRecord> {
    const { name } = parseInput(CreateTeam, body);
    const { challenge, participant } = await this.participant(slug, principal);
    if (participant.teamId) throw AppError.conflict('already_in_team', `You are already in a team in "${slug}"; leave it first (POST /api/v1/challenges/${slug}/team/leave)`);
    await this.notDisqualified(challenge.challenge.id, competitorOf(participant));
    const id = await this.submissions.withSubmitLock(challenge.challenge.id, [principal.id], async (em) => {
      const team = await this.teams.create(challenge.challenge.id, name, principal.id, em);
      if (!team) throw AppError.conflict('team_name_taken', `Challenge "${slug}" already has a team named "${name}"; choose another name`);
      await this.teams.addMember(challenge.challenge.id, principal.id, team.id, em);
      return team.id;
    });
    return (await this.teams.find(id))!;
  }

  async mine(slug: string, principal: Principal): Promise<TeamRecord> {
    const { participant } = await this.participant(slug, principal);
    if (!participant.teamId) throw AppError.notFound(`Your team in "${slug}" (you compete alone)`);
    return (await this.teams.find(participant.teamId))!;
  }

  /** A one-use invitation token into the caller's team, shown once. */
  async invite(slug: string, principal: Principal) {
    const { participant } = await this.participant(slug, principal);
    if (!participant.teamId) throw AppError.conflict('no_team', `You are not in a team in "${slug}"; create one first (POST /api/v1/challenges/${slug}/teams)`);
    const token = `team_${randomBytes(32).toString('base64url')}`;
    const expiresAt = new Date(Date.now() + INVITE_DAYS * 24 * 60 * 60 * 1000);
    await this.teams.insertInvite(participant.teamId, hashInvite(token), principal.id, expiresAt);
    return { token, expiresAt, teamId: participant.teamId };
  }

  /**
   * Accepts an invitation: alone, the caller joins the team with their submissions; as
   * the creator of another team, the caller's whole team merges into it.
   */
  async accept(slug: string, principal: Principal, body: unknown): Promise<TeamRecord> {
    const { token } = parseInput(AcceptInvite, body);
    const { challenge, participant } = await this.participant(slug, principal);
    const challengeId = challenge.challenge.id;
    const teamId = await this.teams.inviteTeam(hashInvite(token), challengeId);
    if (!teamId) throw AppError.notFound(`An invitation with this token in "${slug}"`);
    const mover = competitorOf(participant);
    if (mover.kind === 'team' && mover.id === teamId) throw AppError.conflict('already_member', 'You are already in this team');
    const target = (await this.teams.find(teamId))!;
    if (mover.kind === 'team') {
      const own = (await this.teams.find(mover.id))!;
      if (own.createdBy !== principal.id) {
        throw AppError.forbidden(`Only the creator of your team "${own.name}" can merge it into another; or leave it first if it has not submitted`);
      }
    }
    await this.notDisqualified(challengeId, mover);
    await this.notDisqualified(challengeId, { kind: 'team', id: teamId });

    await this.submissions.withSubmitLock(challengeId, [teamId, mover.id], async (em) => {
      if (!(await this.teams.useInvite(hashInvite(token), principal.id, em))) {
        throw AppError.conflict('invite_used', 'This invitation was already used or has expired; ask the team for a new one');
      }
      const state = phaseAt(challenge.version.spec, new Date());
      if (state.state === 'open') {
        const now = new Date();
        const [a, b] = await Promise.all([
          this.submissions.limitUsage(challengeId, mover, state.phase.name, now, em),
          this.submissions.limitUsage(challengeId, { kind: 'team', id: teamId }, state.phase.name, now, em),
        ]);
        const refusal = mergeRefusal(state.phase, combinedUsage(a, b));
        if (refusal) throw AppError.conflict('merge_over_limits', refusal);
      }
      if (mover.kind === 'team') await this.teams.merge(mover.id, teamId, em);
      else await this.teams.addMember(challengeId, principal.id, teamId, em);
    });
    return (await this.teams.find(target.id))!;
  }

  /** Leaves the caller's team, which must not have submitted (its submissions are everyone's). */
  async leave(slug: string, principal: Principal) {
    const { challenge, participant } = await this.participant(slug, principal);
    const teamId = participant.teamId;
    if (!teamId) throw AppError.conflict('no_team', `You are not in a team in "${slug}"`);
    await this.submissions.withSubmitLock(challenge.challenge.id, [teamId, principal.id], async (em) => {
      if (await this.teams.hasSubmissions(teamId, em)) {
        throw AppError.conflict('team_has_submissions', 'Your team has made submissions, which count for all its members; members cannot leave it now');
      }
      await this.teams.removeMember(challenge.challenge.id, principal.id, teamId, em);
    });
    return { challenge: slug, teamId: null };
  }

  private async participant(slug: string, principal: Principal): Promise<{ challenge: ChallengeAccess; participant: ChallengeParticipant }> {
    const challenge = await this.challenges.asParticipant(slug, principal);
    if (!challenge.participant) throw new AppError(403, 'not_joined', `Teams are for participants: join "${slug}" first (POST /api/v1/challenges/${slug}/join)`);
    return { challenge, participant: challenge.participant };
  }

  private async notDisqualified(challengeId: string, competitor: Competitor): Promise<void> {
    const found = await this.disqualifications.find(challengeId, competitor.id);
    if (found) throw new AppError(403, 'disqualified', `${competitor.kind === 'team' ? 'That team was' : 'You were'} disqualified from this challenge: ${found.reason}`);
  }
}
