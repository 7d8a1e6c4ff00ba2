import { Module } from '@nestjs/common';
import { AccountsModule } from '../accounts/accounts.module.js';
import { ChallengesModule } from '../challenges/challenges.module.js';
import { WebhooksModule } from '../webhooks/webhooks.module.js';
import { WorkersModule } from '../workers/workers.module.js';
import { EvaluationQueue } from './evaluation-queue.js';
import { SubmissionsController } from './submissions.controller.js';
import { DisqualificationsRepository } from './disqualifications.repository.js';
import { SubmissionEventsService } from './submission-events.service.js';
import { SubmissionsRepository } from './submissions.repository.js';
import { SubmissionsService } from './submissions.service.js';

@Module({
  imports: [AccountsModule, ChallengesModule, WorkersModule, WebhooksModule],
  controllers: [SubmissionsController],
  providers: [SubmissionsRepository, SubmissionsService, DisqualificationsRepository, SubmissionEventsService, EvaluationQueue],
  exports: [SubmissionsRepository, SubmissionsService, DisqualificationsRepository, EvaluationQueue],
})
export class SubmissionsModule {}
