import { Module } from '@nestjs/common';
import { AccountsModule } from '../accounts/accounts.module.js';
import { AuditModule } from '../audit/audit.module.js';
import { ChallengesModule } from '../challenges/challenges.module.js';
import { LeaderboardsModule } from '../leaderboards/leaderboards.module.js';
import { SubmissionsModule } from '../submissions/submissions.module.js';
import { RescoringController } from './rescoring.controller.js';
import { RescoresRepository } from './rescores.repository.js';
import { RescoringService } from './rescoring.service.js';

@Module({
  imports: [AccountsModule, AuditModule, ChallengesModule, SubmissionsModule, LeaderboardsModule],
  controllers: [RescoringController],
  providers: [RescoresRepository, RescoringService],
  exports: [RescoresRepository, RescoringService],
})
export class RescoringModule {}
