import { Body, Controller, Get, HttpCode, Param, Post, Put, Query, Res, Sse, UploadedFile } from '@nestjs/common';
import type { Response } from 'express';
import { exportFormat, sendExport } from '../../core/export/export.js';
import type { UploadedFile as Upload } from '../../core/http/uploaded-file.js';
import { UploadRoute } from '../../core/http/upload-route.js';
import { RequireScope, type Principal } from '../accounts/access.js';
import { CurrentAccount } from '../accounts/auth.guard.js';
import { exportRowOf, MY_SUBMISSION_COLUMNS, SubmissionsService } from './submissions.service.js';

@Controller()
export class SubmissionsController {
  constructor(private readonly submissions: SubmissionsService) {}

  @Post('challenges/:slug/submissions')
  @RequireScope('submit')
  @HttpCode(202)
  @UploadRoute('file')
  submit(@CurrentAccount() account: Principal, @Param('slug') slug: string, @UploadedFile() file: Upload | undefined) {
    return this.submissions.submit(account, slug, file);
  }

  /** Your submissions to a challenge (your team's, in a team), newest first; `?format=csv` as a CSV file. */
  @Get('challenges/:slug/submissions')
  @RequireScope('read')
  async listMine(@CurrentAccount() account: Principal, @Param('slug') slug: string, @Query() query: unknown, @Res({ passthrough: true }) res: Response) {
    const format = exportFormat(query);
    const mine = await this.submissions.listMine(account, slug);
    if (format === 'json') return mine;
    sendExport(res, 'csv', `${slug}-my-submissions`, mine.map(exportRowOf), [...MY_SUBMISSION_COLUMNS]);
  }

  /** `{submissionIds: [...]}`: your (team's) final picks for the private ranking of their phase. */
  @Put('challenges/:slug/final-submissions')
  @RequireScope('submit')
  pickFinal(@CurrentAccount() account: Principal, @Param('slug') slug: string, @Body() body: unknown) {
    return this.submissions.pickFinal(account, slug, body);
  }

  @Post('submissions/:id/cancel')
  @RequireScope('submit')
  @HttpCode(200)
  cancel(@CurrentAccount() account: Principal, @Param('id') id: string) {
    return this.submissions.cancel(account, id);
  }

  /** Server-sent events: `status` (the submission now, then at each change) and `progress`, until it is scored or failed. */
  @Sse('submissions/:id/events')
  @RequireScope('read')
  events(@CurrentAccount() account: Principal, @Param('id') id: string) {
    return this.submissions.stream(account, id);
  }

  @Get('submissions/:id')
  @RequireScope('read')
  get(@CurrentAccount() account: Principal, @Param('id') id: string) {
    return this.submissions.get(account, id);
  }
}
