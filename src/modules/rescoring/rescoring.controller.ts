import { Body, Controller, Get, HttpCode, Param, Post } from '@nestjs/common';
import { ApiDoc } from '../../core/openapi/api-doc.js';
import { RequireScope, type Principal } from '../accounts/access.js';
import { CurrentAccount } from '../accounts/auth.guard.js';
import { RescoringService, StartRescore } from './rescoring.service.js';

@Controller('challenges/:slug/rescores')
@RequireScope('organize')
export class RescoringController {
  constructor(private readonly rescoring: RescoringService) {}

  /** `{version?, submissionIds?}`: score again under a version; 202 with the run's progress. */
  @Post()
  @HttpCode(202)
  @ApiDoc({
    summary: 'Score submissions again under a version',
    description: 'Every scored submission, or the listed ones, under `version` (default: the current one), in the background through the evaluation queues. A submission keeps its own score; the new score row records the version.',
    params: { slug: "The challenge's slug" },
    body: StartRescore,
    responses: { 202: "The run's progress", 403: 'Not an organizer of this challenge', 404: 'No such challenge or version' },
  })
  start(@CurrentAccount() account: Principal, @Param('slug') slug: string, @Body() body: unknown) {
    return this.rescoring.start(account, slug, body);
  }

  @Get()
  @ApiDoc({
    summary: "The challenge's rescore runs",
    description: 'Newest first, with their progress (`reason`: `requested`, or `round` when a version added rounds).',
    params: { slug: "The challenge's slug" },
    responses: { 200: 'The runs', 403: 'Not an organizer of this challenge', 404: 'No such challenge' },
  })
  list(@CurrentAccount() account: Principal, @Param('slug') slug: string) {
    return this.rescoring.list(account, slug);
  }

  @Get(':id')
  @ApiDoc({
    summary: "A rescore run's progress",
    params: { slug: "The challenge's slug", id: "The run's id" },
    responses: { 200: '`{version, total, queued, running, scored, failed, done}`', 403: 'Not an organizer of this challenge', 404: 'No such challenge or run' },
  })
  progress(@CurrentAccount() account: Principal, @Param('slug') slug: string, @Param('id') id: string) {
    return this.rescoring.progress(account, slug, id);
  }
}
