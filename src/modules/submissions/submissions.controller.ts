import { Body, Controller, Get, HttpCode, Param, Post, Put, UploadedFile, UseGuards, UseInterceptors } from '@nestjs/common';
import { FileInterceptor } from '@nestjs/platform-express';
import type { AccountRecord } from '../accounts/accounts.repository.js';
import { AuthGuard, CurrentAccount } from '../accounts/auth.guard.js';
import { SubmissionsService, type UploadedFile as Upload } from './submissions.service.js';
import { UPLOAD_LIMITS } from './upload-limits.js';

@Controller()
@UseGuards(AuthGuard)
export class SubmissionsController {
  constructor(private readonly submissions: SubmissionsService) {}

  @Post('challenges/:slug/submissions')
  @HttpCode(202)
  @UseInterceptors(FileInterceptor('file', { limits: UPLOAD_LIMITS }))
  submit(@CurrentAccount() account: AccountRecord, @Param('slug') slug: string, @UploadedFile() file: Upload | undefined) {
    return this.submissions.submit(account, slug, file);
  }

  @Get('challenges/:slug/submissions')
  listMine(@CurrentAccount() account: AccountRecord, @Param('slug') slug: string) {
    return this.submissions.listMine(account, slug);
  }

  /** `{submissionIds: [...]}`: your final picks for the private ranking of their phase. */
  @Put('challenges/:slug/final-submissions')
  pickFinal(@CurrentAccount() account: AccountRecord, @Param('slug') slug: string, @Body() body: unknown) {
    return this.submissions.pickFinal(account, slug, body);
  }

  @Post('submissions/:id/cancel')
  @HttpCode(200)
  cancel(@CurrentAccount() account: AccountRecord, @Param('id') id: string) {
    return this.submissions.cancel(account, id);
  }

  @Get('submissions/:id')
  get(@CurrentAccount() account: AccountRecord, @Param('id') id: string) {
    return this.submissions.get(account, id);
  }
}
