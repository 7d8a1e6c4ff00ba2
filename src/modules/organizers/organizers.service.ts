import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { z } from 'zod';
import { AppError } from '../../core/errors/app-error.js';
import { parseInput } from '../../core/validation/parse-input.js';
import type { Principal } from '../accounts/access.js';
import { AccountsService } from '../accounts/accounts.service.js';
import { AuditService } from '../audit/audit.service.js';
import { ChallengesRepository } from '../challenges/challenges.repository.js';
import { ChallengesService } from '../challenges/challenges.service.js';
import { DisqualificationsRepository } from '../submissions/disqualifications.repository.js';
import { SubmissionsRepository } from '../submissions/submissions.repository.js';
import { SubmissionsService } from '../submissions/submissions.service.js';

const Reason = z.string().trim().min(3, 'say why, in at least 3 characters').max(1000, 'at most 1000 characters');
const DisqualifySubmission = z.strictObject({ reason: Reason });
const DisqualifyCompetitor = z.union([
  z.strictObject({ team: z.uuid('must be a team id'), reason: Reason }),
  z.strictObject({ participant: z.string().min(1).max(64), reason: Reason }),
]);
const AddCollaborator = z.strictObject({ name: z.string().trim().min(1).max(64) });

/**
 * What organizers do to a running challenge. Every action here is written to the audit
 * log in the same transaction as its effect, with the before and after.
 */
@Injectable()
export class OrganizersService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly challenges: ChallengesService,
    private readonly challengeRows: ChallengesRepository,
    private readonly submissions: SubmissionsRepository,
    private readonly submitting: SubmissionsService,
    private readonly disqualifications: DisqualificationsRepository,
    private readonly accounts: AccountsService,
    private readonly audit: AuditService,
  ) {}

  /** Opens a draft (once its dry run scored under the current version) or reopens a closed challenge. */
  async open(slug: string, principal: Principal) {
    const access = await this.challenges.asOrganizer(slug, principal, 'open it');
    const { challenge, version } = access;
    if (challenge.status === 'open') throw AppError.conflict('already_open', `Challenge "${slug}" is already open`);
    if (challenge.status === 'draft') {
      const dryRun = await this.submissions.latestDryRun(challenge.id, version.version);
      if (dryRun?.status !== 'scored') {
        const state = !dryRun
          ? 'has no dry run: start one with POST /api/v1/challenges/' + slug + '/dry-run'
          : dryRun.status === 'failed'
            ? `has a failed dry run (${dryRun.errorCode}: ${dryRun.errorMessage}); fix the bundle or start another with POST /api/v1/challenges/${slug}/dry-run`
            : `has a dry run still ${dryRun.status} (GET /api/v1/submissions/${dryRun.id})`;
        throw AppError.conflict('dry_run_not_scored', `Challenge "${slug}" opens once a dry run of its baseline has scored under version ${version.version}; it ${state}`);
      }
    }
    return this.setStatus(access.challenge.id, slug, principal, challenge.status, 'open');
  }

  async close(slug: string, principal: Principal) {
    const { challenge } = await this.challenges.asOrganizer(slug, principal, 'close it');
    if (challenge.status !== 'open') throw AppError.conflict('not_open', `Challenge "${slug}" is ${challenge.status}; only an open challenge can be closed`);
    return this.setStatus(challenge.id, slug, principal, challenge.status, 'closed');
  }

  private async setStatus(challengeId: string, slug: string, principal: Principal, before: string, after: 'open' | 'closed') {
    await this.dataSource.transaction(async (em) => {
      await this.challengeRows.setStatus(challengeId, after, em);
      await this.audit.record(principal, { action: `challenge.${after === 'open' ? 'open' : 'close'}`, challengeId, target: { type: 'challenge', id: slug }, before: { status: before }, after: { status: after } }, em);
    });
    return { slug, status: after };
  }

  /** Scores the current version's baseline again (the first dry run starts with the upload). */
  async dryRun(slug: string, principal: Principal) {
    const access = await this.challenges.asOrganizer(slug, principal, 'start a dry run');
    const baseline = await this.challenges.baselineOf(access);
    const started = await this.submitting.dryRun(access, principal, baseline);
    await this.audit.record(principal, { action: 'challenge.dry_run', challengeId: access.challenge.id, target: { type: 'submission', id: started.id }, after: { version: access.version.version } });
    return started;
  }

  async editSchedule(slug: string, principal: Principal, body: unknown) {
    const access = await this.challenges.asOrganizer(slug, principal, 'edit its phases and limits');
    const { before, after } = await this.challenges.editSchedule(access, body);
    await this.audit.record(principal, { action: 'challenge.schedule', challengeId: access.challenge.id, target: { type: 'challenge', id: slug }, before, after });
    return this.challenges.describe(slug, principal);
  }

  async collaborators(slug: string, principal: Principal) {
    const { challenge } = await this.challenges.asOrganizer(slug, principal, 'list its organizers');
    return this.challengeRows.organizers(challenge.id);
  }

  async addCollaborator(slug: string, principal: Principal, body: unknown) {
    const { name } = parseInput(AddCollaborator, body);
    const access = await this.challenges.asOrganizer(slug, principal, 'add organizers');
    const account = await this.accounts.findByName(name);
    if (!account) throw AppError.notFound(`Account "${name}"`);
    if (account.role === 'participant') {
      throw AppError.unprocessable('not_an_organizer', `"${account.name}" is a participant account; an admin must give it the organizer role first (PUT /api/v1/accounts/${account.id}/role)`);
    }
    const standing = await this.challenges.standingIn(access.challenge.id, account.id);
    if (standing.participant) throw AppError.conflict('is_participant', `"${account.name}" competes in "${slug}"; a participant cannot also organize it`);
    await this.dataSource.transaction(async (em) => {
      if (!(await this.challengeRows.addOrganizer(access.challenge.id, account.id, 'collaborator', em))) {
        throw AppError.conflict('already_organizer', `"${account.name}" already organizes "${slug}"`);
      }
      await this.audit.record(principal, { action: 'challenge.collaborator_add', challengeId: access.challenge.id, target: { type: 'account', id: account.id }, after: { name: account.name, role: 'collaborator' } }, em);
    });
    return this.challengeRows.organizers(access.challenge.id);
  }

  async removeCollaborator(slug: string, principal: Principal, accountId: string) {
    const access = await this.challenges.asOrganizer(slug, principal, 'remove organizers');
    const account = await this.accounts.findById(accountId);
    await this.dataSource.transaction(async (em) => {
      if (!account || !(await this.challengeRows.removeOrganizer(access.challenge.id, account.id, em))) {
        throw AppError.notFound(`A collaborator "${accountId}" of "${slug}" (the owner cannot be removed)`);
      }
      await this.audit.record(principal, { action: 'challenge.collaborator_remove', challengeId: access.challenge.id, target: { type: 'account', id: account.id }, before: { name: account.name, role: 'collaborator' } }, em);
    });
    return this.challengeRows.organizers(access.challenge.id);
  }

  /** Takes one submission off every board, with the reason (its author sees it). */
  async disqualifySubmission(principal: Principal, id: string, body: unknown) {
    const { reason } = parseInput(DisqualifySubmission, body);
    const { submission, as } = await this.submitting.visible(principal, id);
    const slug = await this.challenges.slugOf(submission.challengeId);
    if (as !== 'organizer' && as !== 'admin') throw AppError.forbidden(`Only the organizers of "${slug}" can disqualify its submissions`);
    await this.dataSource.transaction(async (em) => {
      if (!(await this.submissions.disqualify(id, reason, em))) throw AppError.conflict('already_disqualified', `Submission "${id}" is already disqualified`);
      await this.audit.record(principal, { action: 'submission.disqualify', challengeId: submission.challengeId, target: { type: 'submission', id }, before: { disqualified: false }, after: { disqualified: true }, reason }, em);
    });
    return this.submitting.get(principal, id);
  }

  /** Disqualifies a team or a participant competing alone: off the boards, and no more submissions. */
  async disqualifyCompetitor(slug: string, principal: Principal, body: unknown) {
    const input = parseInput(DisqualifyCompetitor, body);
    const access = await this.challenges.asOrganizer(slug, principal, 'disqualify its participants');
    const challengeId = access.challenge.id;
    let competitor: { id: string; kind: 'team' | 'participant'; name: string };
    if ('team' in input) {
      const team = await this.challenges.teamIn(challengeId, input.team);
      if (!team) throw AppError.notFound(`Team "${input.team}" in "${slug}"`);
      competitor = { id: team.id, kind: 'team', name: team.name };
    } else {
      const account = await this.accounts.findByName(input.participant);
      const standing = account ? await this.challenges.standingIn(challengeId, account.id) : null;
      if (!account || !standing?.participant) throw AppError.notFound(`Participant "${input.participant}" in "${slug}"`);
      if (standing.participant.teamId) {
        throw AppError.unprocessable('in_a_team', `"${account.name}" competes in a team; disqualify the team ({"team": "${standing.participant.teamId}"})`);
      }
      competitor = { id: account.id, kind: 'participant', name: account.name };
    }
    await this.dataSource.transaction(async (em) => {
      const inserted = await this.disqualifications.insert({ challengeId, competitorId: competitor.id, competitorKind: competitor.kind, reason: input.reason, disqualifiedBy: principal.id }, em);
      if (!inserted) throw AppError.conflict('already_disqualified', `${competitor.kind === 'team' ? 'Team' : 'Participant'} "${competitor.name}" is already disqualified from "${slug}"`);
      await this.audit.record(principal, { action: `${competitor.kind}.disqualify`, challengeId, target: { type: competitor.kind, id: competitor.id }, before: { disqualified: false }, after: { disqualified: true, name: competitor.name }, reason: input.reason }, em);
    });
    return { challenge: slug, [competitor.kind]: { id: competitor.id, name: competitor.name }, reason: input.reason };
  }

  /** Every submission with its author, team, status and score: never a file or a hidden label. */
  async exportSubmissions(slug: string, principal: Principal) {
    const { challenge } = await this.challenges.asOrganizer(slug, principal, 'export its submissions');
    const rows = await this.submissions.exportRows(challenge.id);
    await this.audit.record(principal, { action: 'challenge.export_submissions', challengeId: challenge.id, target: { type: 'challenge', id: slug }, after: { rows: rows.length } });
    return rows;
  }

  async challengeAudit(slug: string, principal: Principal) {
    const { challenge } = await this.challenges.asOrganizer(slug, principal, 'read its audit log');
    return this.audit.list(challenge.id);
  }
}
