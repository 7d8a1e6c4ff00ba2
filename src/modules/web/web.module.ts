import { Module } from '@nestjs/common';
import { AccountsModule } from '../accounts/accounts.module.js';
import { ChallengesModule } from '../challenges/challenges.module.js';
import { LeaderboardsModule } from '../leaderboards/leaderboards.module.js';
import { OrganizersModule } from '../organizers/organizers.module.js';
import { RescoringModule } from '../rescoring/rescoring.module.js';
import { SubmissionsModule } from '../submissions/submissions.module.js';
import { WebController } from './web.controller.js';
import { WebService } from './web.service.js';

/** The web pages (server-rendered HTML) at /, /c/:slug/… and /login. */
@Module({
  imports: [AccountsModule, ChallengesModule, LeaderboardsModule, OrganizersModule, RescoringModule, SubmissionsModule],
  controllers: [WebController],
  providers: [WebService],
})
export class WebModule {}
