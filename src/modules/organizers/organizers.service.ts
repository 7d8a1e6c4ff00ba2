import { Inject, Injectable } from '@nestjs/common';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { CONFIG, type Config } from '../../core/config/config.js';
import type { UploadedFile } from '../../core/http/uploaded-file.js';
import { S3Storage } from '../../core/storage/s3-storage.adapter.js';
import { extractBundle } from '../challenges/bundle-archive.js';
import { loadUploadedBundle } from '../challenges/uploaded-bundle.js';
import { RescoringService } from '../rescoring/rescoring.service.js';
import { z } from 'zod';
import { AppError } from '../../core/errors/app-error.js';
import { parseInput } from '../../core/validation/parse-input.js';
import { plainText } from '../../core/validation/text.js';
import type { Principal } from '../accounts/access.js';
import { AccountNameSchema, AccountsService } from '../accounts/accounts.service.js';
import { AuditService } from '../audit/audit.service.js';
import { ChallengesRepository } from '../challenges/challenges.repository.js';
import { ChallengesService } from '../challenges/challenges.service.js';
import { phaseAt } from '../challenges/phases.js';
import { DisqualificationsRepository } from '../submissions/disqualifications.repository.js';
import { SubmissionsRepository } from '../submissions/submissions.repository.js';
import { SubmissionsService } from '../submissions/submissions.service.js';

const Reason = plainText(1000, 3);
export const DisqualifySubmission = z.strictObject({ reason: Reason });
export const DisqualifyCompetitor = z.union([
  z.strictObject({ team: z.uuid('must be a team id'), reason: Reason }),
  z.strictObject({ participant: AccountNameSchema, reason: Reason }),
]);
export const AddCollaborator = z.strictObject({ name: AccountNameSchema });

/**
 * What organizers do to a running challenge. Every action here is written to the audit
 * log with the before and after: in the same transaction as its effect where the effect
 * is one database change, right after it where it is not (publishing, rescoring).
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
    private readonly rescoring: RescoringService,
    @Inject(CONFIG) private readonly config: Config,
  ) {}

  /**
   * Creates a challenge from an uploaded bundle (zip, tar or tar.gz), checked exactly as
   * \`sieve challenges:publish\` checks the repository's, plus what an untrusted archive
   * needs. It starts as the caller's draft, and a dry run of its baseline is queued at once:
   * the challenge can be opened once that scores. `slug` set: a new version of that challenge.
   */
  async publishBundle(principal: Principal, file: UploadedFile | undefined, slug?: string) {
    if (!file) throw AppError.badRequest('missing_file', 'No bundle: send the challenge folder as a zip, tar or tar.gz in the multipart field "bundle"');
    const existing = slug ? await this.challenges.asOrganizer(slug, principal, 'publish a new version of it') : null;
    const extracted = await extractBundle(file.path, this.config.bundles);
    try {
      const storage = this.config.storage;
      const readUri = storage.kind === 's3' ? (uri: string) => S3Storage.readUri(storage, uri) : undefined;
      const bundle = await loadUploadedBundle(extracted.dir, this.config, readUri);
      const baseline = await baselineIn(extracted.dir);
      const result = await this.challenges.publish(bundle, {
        owner: principal.id,
        baseline,
        expect: (challenge) => {
          if (!slug && challenge) {
            throw AppError.conflict('slug_taken', `A challenge "${bundle.spec.slug}" exists already; its organizers publish new versions with POST /api/v1/challenges/${bundle.spec.slug}/versions`);
          }
          if (slug && bundle.spec.slug !== slug) {
            throw AppError.unprocessable('slug_mismatch', `This bundle's challenge.yaml says slug "${bundle.spec.slug}", but it was uploaded as a version of "${slug}"`, [{ file: 'challenge.yaml', field: 'slug', message: `must be "${slug}"` }]);
          }
        },
      });
      const access = await this.challenges.access(result.slug, principal);
      await this.audit.record(principal, {
        action: slug ? 'challenge.version' : 'challenge.create',
        challengeId: access.challenge.id,
        target: { type: 'challenge', id: result.slug },
        before: existing ? { version: existing.version.version } : null,
        after: { version: result.version, outcome: result.outcome, contentHash: access.version.contentHash },
      });
      const rescore = await this.rescoring.afterPublish(result);
      const dryRun = result.outcome === 'unchanged' || result.outcome === 'updated' ? null : await this.submitting.dryRun(access, principal, baseline.bytes).catch((e: unknown) => {
        if (e instanceof AppError && e.status < 500) return { id: null, status: 'refused' as const, error: { code: e.code, message: e.message, details: e.details } };
        throw e;
      });
      return { ...result, status: access.challenge.status, dryRun, rescore };
    } finally {
      await extracted.cleanup();
    }
  }

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

  /**
   * Ends the phase taking submissions now: its `closes` becomes now (a challenge without
   * phases gets its one phase, "open", dated from its publication). Its board's private
   * part is revealed, as at any phase's close. Audited as a schedule edit.
   */
  async closePhase(slug: string, principal: Principal, name: string) {
    const access = await this.challenges.asOrganizer(slug, principal, 'close its phases');
    const { spec, publishedAt } = access.version;
    const now = new Date();
    const state = phaseAt(spec, now);
    if (state.state !== 'open' || state.phase.name !== name) {
      const open = state.state === 'open' ? ` ("${state.phase.name}" is)` : ' (none is)';
      throw AppError.conflict('phase_not_open', `Phase "${name}" of "${slug}" is not the one taking submissions now${open}; only the open phase can be closed`);
    }
    const phases = spec.phases
      ? spec.phases.map((p) => (p.name === name ? { ...p, closes: now.toISOString() } : p))
      : [{ name, title: state.phase.title, opens: new Date(Math.min(publishedAt.getTime(), now.getTime() - 1000)).toISOString(), closes: now.toISOString() }];
    return this.editSchedule(slug, principal, { phases });
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

/** The file a bundle's dry run submits: the first under baselines/, by name. */
async function baselineIn(dir: string): Promise<{ bytes: Buffer; extension: string }> {
  const names = (await readdir(join(dir, 'baselines')).catch(() => [] as string[])).filter((n) => /\.(csv|csv\.gz|zip)$/.test(n)).sort();
  if (names.length === 0) {
    throw AppError.unprocessable('no_baseline', 'The bundle has no baseline: add one submission file under baselines/ (CSV, CSV.gz or zip); its dry run must score before the challenge can open', [
      { field: 'baselines/', message: 'no .csv, .csv.gz or .zip file' },
    ]);
  }
  const name = names[0];
  return { bytes: await readFile(join(dir, 'baselines', name)), extension: name.endsWith('.csv.gz') ? '.csv.gz' : name.slice(name.lastIndexOf('.')) };
}
