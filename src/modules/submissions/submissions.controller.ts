import { Body, Controller, Get, HttpCode, Param, Post, Put, UploadedFile, UseGuards } from '@nestjs/common';
import type { UploadedFile as Upload } from '../../core/http/uploaded-file.js';
import { UploadRoute } from '../../core/http/upload-route.js';
import type { AccountRecord } from '../accounts/accounts.repository.js';
import { AuthGuard, CurrentAccount } from '../accounts/auth.guard.js';
import { SubmissionsService } from './submissions.service.js';

@Controller()
@UseGuards(AuthGuard)
export class SubmissionsController {
  constructor(private readonly submissions: SubmissionsService) {}

  @Post('challenges/:slug/submissions')
  @HttpCode(202)
  @UploadRoute('file')
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
