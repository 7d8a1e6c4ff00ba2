import { Body, Controller, Get, HttpCode, Param, Post, Put, UploadedFile, UseInterceptors } from '@nestjs/common';
import { FileInterceptor } from '@nestjs/platform-express';
import { RequireScope, type Principal } from '../accounts/access.js';
import { CurrentAccount } from '../accounts/auth.guard.js';
import { SubmissionsService, type UploadedFile as Upload } from './submissions.service.js';
import { UPLOAD_LIMITS } from './upload-limits.js';

@Controller()
export class SubmissionsController {
  constructor(private readonly submissions: SubmissionsService) {}

  @Post('challenges/:slug/submissions')
  @RequireScope('submit')
  @HttpCode(202)
  @UseInterceptors(FileInterceptor('file', { limits: UPLOAD_LIMITS }))
  submit(@CurrentAccount() account: Principal, @Param('slug') slug: string, @UploadedFile() file: Upload | undefined) {
    return this.submissions.submit(account, slug, file);
  }

  /** Your submissions to a challenge (your team's, in a team), newest first. */
  @Get('challenges/:slug/submissions')
  @RequireScope('read')
  listMine(@CurrentAccount() account: Principal, @Param('slug') slug: string) {
    return this.submissions.listMine(account, slug);
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

  @Get('submissions/:id')
  @RequireScope('read')
  get(@CurrentAccount() account: Principal, @Param('id') id: string) {
    return this.submissions.get(account, id);
  }
}
