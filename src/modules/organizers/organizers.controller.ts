import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query, Res, UploadedFile } from '@nestjs/common';
import type { UploadedFile as Upload } from '../../core/http/uploaded-file.js';
import { UploadRoute } from '../../core/http/upload-route.js';
import type { Response } from 'express';
import { exportFormat, sendExport } from '../../core/export/export.js';
import { RequireScope, type Principal } from '../accounts/access.js';
import { CurrentAccount } from '../accounts/auth.guard.js';
import { AUDIT_COLUMNS, AuditService } from '../audit/audit.service.js';
import { SUBMISSION_EXPORT_COLUMNS } from '../submissions/submissions.repository.js';
import { OrganizersService } from './organizers.service.js';

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
  create(@CurrentAccount() principal: Principal, @UploadedFile() file: Upload | undefined) {
    return this.organizers.publishBundle(principal, file);
  }

  /** A new version of a challenge you organize, from its bundle (same checks; a version that changes scores must bump \`version\`). */
  @Post('challenges/:slug/versions')
  @HttpCode(201)
  @UploadRoute('bundle', 'bundle')
  newVersion(@CurrentAccount() principal: Principal, @Param('slug') slug: string, @UploadedFile() file: Upload | undefined) {
    return this.organizers.publishBundle(principal, file, slug);
  }

  /** `{phases?, limits?}`: replaces the current version's phases and limits (`phases: null` removes them). */
  @Patch('challenges/:slug')
  editSchedule(@CurrentAccount() principal: Principal, @Param('slug') slug: string, @Body() body: unknown) {
    return this.organizers.editSchedule(slug, principal, body);
  }

  @Post('challenges/:slug/open')
  @HttpCode(200)
  open(@CurrentAccount() principal: Principal, @Param('slug') slug: string) {
    return this.organizers.open(slug, principal);
  }

  @Post('challenges/:slug/close')
  @HttpCode(200)
  close(@CurrentAccount() principal: Principal, @Param('slug') slug: string) {
    return this.organizers.close(slug, principal);
  }

  /** Scores the current version's baseline again (202 with the dry run's submission id). */
  @Post('challenges/:slug/dry-run')
  @HttpCode(202)
  dryRun(@CurrentAccount() principal: Principal, @Param('slug') slug: string) {
    return this.organizers.dryRun(slug, principal);
  }

  @Get('challenges/:slug/collaborators')
  collaborators(@CurrentAccount() principal: Principal, @Param('slug') slug: string) {
    return this.organizers.collaborators(slug, principal);
  }

  /** `{name}`: adds an organizer-role account as a collaborator. */
  @Post('challenges/:slug/collaborators')
  @HttpCode(201)
  addCollaborator(@CurrentAccount() principal: Principal, @Param('slug') slug: string, @Body() body: unknown) {
    return this.organizers.addCollaborator(slug, principal, body);
  }

  @Delete('challenges/:slug/collaborators/:accountId')
  removeCollaborator(@CurrentAccount() principal: Principal, @Param('slug') slug: string, @Param('accountId') accountId: string) {
    return this.organizers.removeCollaborator(slug, principal, accountId);
  }

  /** `{reason}`: takes a submission off every board. */
  @Post('submissions/:id/disqualify')
  @HttpCode(200)
  disqualifySubmission(@CurrentAccount() principal: Principal, @Param('id') id: string, @Body() body: unknown) {
    return this.organizers.disqualifySubmission(principal, id, body);
  }

  /** `{team, reason}` or `{participant, reason}`: disqualifies a team or a participant competing alone. */
  @Post('challenges/:slug/disqualifications')
  @HttpCode(201)
  disqualify(@CurrentAccount() principal: Principal, @Param('slug') slug: string, @Body() body: unknown) {
    return this.organizers.disqualifyCompetitor(slug, principal, body);
  }

  /** `?format=json|csv`: every submission with its author, team, status and score. */
  @Get('challenges/:slug/submissions/export')
  async exportSubmissions(@CurrentAccount() principal: Principal, @Param('slug') slug: string, @Query() query: unknown, @Res() res: Response) {
    const format = exportFormat(query);
    sendExport(res, format, `${slug}-submissions`, await this.organizers.exportSubmissions(slug, principal), [...SUBMISSION_EXPORT_COLUMNS]);
  }

  /** `?format=json|csv`: the challenge's audit log, oldest first. */
  @Get('challenges/:slug/audit')
  async challengeAudit(@CurrentAccount() principal: Principal, @Param('slug') slug: string, @Query() query: unknown, @Res() res: Response) {
    const format = exportFormat(query);
    sendExport(res, format, `${slug}-audit`, await this.organizers.challengeAudit(slug, principal), [...AUDIT_COLUMNS]);
  }

  /** `?format=json|csv`: the whole audit log (admins). */
  @Get('audit')
  @RequireScope('admin')
  async allAudit(@Query() query: unknown, @Res() res: Response) {
    const format = exportFormat(query);
    sendExport(res, format, 'sieve-audit', await this.audit.list(null), [...AUDIT_COLUMNS]);
  }
}
