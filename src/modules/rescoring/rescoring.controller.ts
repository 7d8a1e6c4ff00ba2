import { Body, Controller, Get, HttpCode, Param, Post } from '@nestjs/common';
import { RequireScope, type Principal } from '../accounts/access.js';
import { CurrentAccount } from '../accounts/auth.guard.js';
import { RescoringService } from './rescoring.service.js';

@Controller('challenges/:slug/rescores')
@RequireScope('organize')
export class RescoringController {
  constructor(private readonly rescoring: RescoringService) {}

  /** `{version?, submissionIds?}`: score again under a version; 202 with the run's progress. */
  @Post()
  @HttpCode(202)
  start(@CurrentAccount() account: Principal, @Param('slug') slug: string, @Body() body: unknown) {
    return this.rescoring.start(account, slug, body);
  }

  @Get()
  list(@CurrentAccount() account: Principal, @Param('slug') slug: string) {
    return this.rescoring.list(account, slug);
  }

  @Get(':id')
  progress(@CurrentAccount() account: Principal, @Param('slug') slug: string, @Param('id') id: string) {
    return this.rescoring.progress(account, slug, id);
  }
}
