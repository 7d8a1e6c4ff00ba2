import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query, Res, UploadedFile } from '@nestjs/common';
import type { UploadedFile as Upload } from '../../core/http/uploaded-file.js';
import { UploadRoute } from '../../core/http/upload-route.js';
import type { Response } from 'express';
import { ExportQuery, exportFormat, sendExport } from '../../core/export/export.js';
import { ApiDoc } from '../../core/openapi/api-doc.js';
import { RequireScope, type Principal } from '../accounts/access.js';
import { CurrentAccount } from '../accounts/auth.guard.js';
import { AUDIT_COLUMNS, AuditService } from '../audit/audit.service.js';
import { SUBMISSION_EXPORT_COLUMNS } from '../submissions/submissions.repository.js';
import { EditSchedule } from '../challenges/challenges.service.js';
import { AddCollaborator, DisqualifyCompetitor, DisqualifySubmission, OrganizersService } from './organizers.service.js';

/** The organizer tools: for a challenge's owner and collaborators, and admins. Every action is audited. */
@Controller()
@RequireScope('organize')
export class OrganizersController {
  constructor(
    private readonly organizers: OrganizersService,
    private readonly audit: AuditService,
  ) {}

  /** A challenge from a bundle (multipart field \`bundle\`: zip, tar or tar.gz of its folder): a draft, with its dry run queued. */
  @Post('challenges')
  @HttpCode(201)
  @UploadRoute('bundle', 'bundle')
  @ApiDoc({
    summary: 'Create a challenge from its bundle (a draft)',
    description: 'Checked as `challenges:publish` checks the repository\'s, plus what an uploaded archive needs (no links, no `..`, size caps). The challenge is your draft: not listed, 404 to others. A dry run of the first file under `baselines/` is queued at once. Organizer-role accounts and admins.',
    upload: { description: 'The challenge folder as a zip, tar or tar.gz archive' },
    responses: { 201: '`{slug, version, outcome, status, dryRun}`', 400: 'No bundle (`missing_file`)', 409: 'The slug is taken (`slug_taken`)', 422: 'The bundle is not a valid challenge (details name the file and field)' },
  })
  create(@CurrentAccount() principal: Principal, @UploadedFile() file: Upload | undefined) {
    return this.organizers.publishBundle(principal, file);
  }

  /** A new version of a challenge you organize, from its bundle (same checks; a version that changes scores must bump \`version\`). */
  @Post('challenges/:slug/versions')
  @HttpCode(201)
  @UploadRoute('bundle', 'bundle')
  @ApiDoc({
    summary: 'Publish a new version of a challenge from its bundle',
    description: 'The same checks as creating one; a change that changes scores must bump `version`. A dry run of it is queued.',
    params: { slug: "The challenge's slug" },
    upload: { description: 'The challenge folder as a zip, tar or tar.gz archive' },
    responses: { 201: '`{slug, version, outcome, status, dryRun}`', 400: 'No bundle (`missing_file`)', 403: 'Not an organizer of this challenge', 404: 'No such challenge', 422: "The bundle is not valid, or its slug is another challenge's (`slug_mismatch`)" },
  })
  newVersion(@CurrentAccount() principal: Principal, @Param('slug') slug: string, @UploadedFile() file: Upload | undefined) {
    return this.organizers.publishBundle(principal, file, slug);
  }

  /** `{phases?, limits?}`: replaces the current version's phases and limits (`phases: null` removes them). */
  @Patch('challenges/:slug')
  @ApiDoc({
    summary: "Replace the current version's phases and limits",
    description: 'Send `phases`, `limits` or both (`phases: null` removes the phases: always open). They do not change scores, so the version stays; the whole challenge is validated again.',
    params: { slug: "The challenge's slug" },
    body: EditSchedule,
    responses: { 200: 'The challenge as GET /challenges/{slug} shows it', 403: 'Not an organizer of this challenge', 404: 'No such challenge', 422: 'The phases or limits are not valid (`invalid_schedule`, naming the field)' },
  })
  editSchedule(@CurrentAccount() principal: Principal, @Param('slug') slug: string, @Body() body: unknown) {
    return this.organizers.editSchedule(slug, principal, body);
  }

  @Post('challenges/:slug/open')
  @HttpCode(200)
  @ApiDoc({
    summary: 'Open a challenge',
    description: 'A draft opens once a dry run of its current version has scored; a closed challenge opens again.',
    params: { slug: "The challenge's slug" },
    responses: { 200: 'The challenge', 403: 'Not an organizer of this challenge', 404: 'No such challenge', 409: 'Already open (`already_open`), or no dry run has scored yet (`dry_run_not_scored`, saying where it is)' },
  })
  open(@CurrentAccount() principal: Principal, @Param('slug') slug: string) {
    return this.organizers.open(slug, principal);
  }

  @Post('challenges/:slug/close')
  @HttpCode(200)
  @ApiDoc({
    summary: 'Close a challenge',
    params: { slug: "The challenge's slug" },
    responses: { 200: 'The challenge', 403: 'Not an organizer of this challenge', 404: 'No such challenge', 409: 'It is not open (`not_open`)' },
  })
  close(@CurrentAccount() principal: Principal, @Param('slug') slug: string) {
    return this.organizers.close(slug, principal);
  }

  /** Scores the current version's baseline again (202 with the dry run's submission id). */
  @Post('challenges/:slug/dry-run')
  @HttpCode(202)
  @ApiDoc({
    summary: "Score the current version's baseline again",
    description: 'Dry runs never reach a board or a limit.',
    params: { slug: "The challenge's slug" },
    responses: { 202: "The dry run's submission", 403: 'Not an organizer of this challenge', 404: 'No such challenge', 422: 'The version has no stored baseline (`no_baseline`)' },
  })
  dryRun(@CurrentAccount() principal: Principal, @Param('slug') slug: string) {
    return this.organizers.dryRun(slug, principal);
  }

  @Get('challenges/:slug/collaborators')
  @ApiDoc({
    summary: "The challenge's organizers",
    params: { slug: "The challenge's slug" },
    responses: { 200: '`[{accountId, name, role, addedAt}]`: the owner and collaborators', 403: 'Not an organizer of this challenge', 404: 'No such challenge' },
  })
  collaborators(@CurrentAccount() principal: Principal, @Param('slug') slug: string) {
    return this.organizers.collaborators(slug, principal);
  }

  /** `{name}`: adds an organizer-role account as a collaborator. */
  @Post('challenges/:slug/collaborators')
  @HttpCode(201)
  @ApiDoc({
    summary: 'Add a collaborator',
    description: 'An organizer-role account, which must not compete in the challenge.',
    params: { slug: "The challenge's slug" },
    body: AddCollaborator,
    responses: { 201: 'The collaborator', 403: 'Not an organizer of this challenge', 404: 'No such challenge or account', 409: 'Already an organizer, or a participant of the challenge', 422: 'The account is not an organizer (`not_an_organizer`)' },
  })
  addCollaborator(@CurrentAccount() principal: Principal, @Param('slug') slug: string, @Body() body: unknown) {
    return this.organizers.addCollaborator(slug, principal, body);
  }

  @Delete('challenges/:slug/collaborators/:accountId')
  @ApiDoc({
    summary: 'Remove a collaborator',
    description: 'The owner stays.',
    params: { slug: "The challenge's slug", accountId: "The collaborator's account id" },
    responses: { 200: 'Removed', 403: 'Not an organizer of this challenge', 404: 'No such challenge or collaborator' },
  })
  removeCollaborator(@CurrentAccount() principal: Principal, @Param('slug') slug: string, @Param('accountId') accountId: string) {
    return this.organizers.removeCollaborator(slug, principal, accountId);
  }

  /** `{reason}`: takes a submission off every board. */
  @Post('submissions/:id/disqualify')
  @HttpCode(200)
  @ApiDoc({
    summary: 'Disqualify a submission',
    description: 'Takes it off every board; its author sees the reason. Audited.',
    params: { id: "The submission's id" },
    body: DisqualifySubmission,
    responses: { 200: 'The submission', 403: "Not an organizer of the submission's challenge", 404: 'No such submission', 409: 'Already disqualified (`already_disqualified`)' },
  })
  disqualifySubmission(@CurrentAccount() principal: Principal, @Param('id') id: string, @Body() body: unknown) {
    return this.organizers.disqualifySubmission(principal, id, body);
  }

  /** `{team, reason}` or `{participant, reason}`: disqualifies a team or a participant competing alone. */
  @Post('challenges/:slug/disqualifications')
  @HttpCode(201)
  @ApiDoc({
    summary: 'Disqualify a team or a participant competing alone',
    description: 'A team by id, or a participant by name: off the boards, and refused new submissions (403 `disqualified`).',
    params: { slug: "The challenge's slug" },
    body: DisqualifyCompetitor,
    responses: { 201: 'The disqualification', 403: 'Not an organizer of this challenge', 404: 'No such challenge, team or participant', 409: 'Already disqualified (`already_disqualified`)', 422: 'The participant competes in a team: disqualify the team (`in_a_team`)' },
  })
  disqualify(@CurrentAccount() principal: Principal, @Param('slug') slug: string, @Body() body: unknown) {
    return this.organizers.disqualifyCompetitor(slug, principal, body);
  }

  /** `?format=json|csv`: every submission with its author, team, status and score. */
  @Get('challenges/:slug/submissions/export')
  @ApiDoc({
    summary: 'Export every submission',
    description: "id, participant, team, status, phase, version, metric, score, items, fileSha256, errorCode, dryRun, disqualifiedReason, final, createdAt, finishedAt (never a file or a label). In CSV, a cell a spreadsheet would run as a formula starts with `'`. Audited.",
    params: { slug: "The challenge's slug" },
    query: ExportQuery,
    responses: { 200: 'The submissions, as JSON or CSV', 403: 'Not an organizer of this challenge', 404: 'No such challenge' },
    media: ['application/json', 'text/csv'],
  })
  async exportSubmissions(@CurrentAccount() principal: Principal, @Param('slug') slug: string, @Query() query: unknown, @Res() res: Response) {
    const format = exportFormat(query);
    sendExport(res, format, `${slug}-submissions`, await this.organizers.exportSubmissions(slug, principal), [...SUBMISSION_EXPORT_COLUMNS]);
  }

  /** `?format=json|csv`: the challenge's audit log, oldest first. */
  @Get('challenges/:slug/audit')
  @ApiDoc({
    summary: "The challenge's audit log",
    description: 'Oldest first.',
    params: { slug: "The challenge's slug" },
    query: ExportQuery,
    responses: { 200: 'The entries, as JSON or CSV', 403: 'Not an organizer of this challenge', 404: 'No such challenge' },
    media: ['application/json', 'text/csv'],
  })
  async challengeAudit(@CurrentAccount() principal: Principal, @Param('slug') slug: string, @Query() query: unknown, @Res() res: Response) {
    const format = exportFormat(query);
    sendExport(res, format, `${slug}-audit`, await this.organizers.challengeAudit(slug, principal), [...AUDIT_COLUMNS]);
  }

  /** `?format=json|csv`: the whole audit log (admins). */
  @Get('audit')
  @RequireScope('admin')
  @ApiDoc({
    summary: 'The whole audit log (admins)',
    description: 'Oldest first.',
    query: ExportQuery,
    responses: { 200: 'The entries, as JSON or CSV' },
    media: ['application/json', 'text/csv'],
  })
  async allAudit(@Query() query: unknown, @Res() res: Response) {
    const format = exportFormat(query);
    sendExport(res, format, 'sieve-audit', await this.audit.list(null), [...AUDIT_COLUMNS]);
  }
}
