import { Module } from '@nestjs/common';
import { ChallengesModule } from '../challenges/challenges.module.js';
import { BoardStatistics } from './board-statistics.js';
import { LeaderboardsController } from './leaderboards.controller.js';
import { LeaderboardsRepository } from './leaderboards.repository.js';
import { LeaderboardsService } from './leaderboards.service.js';

@Module({
  imports: [ChallengesModule],
  controllers: [LeaderboardsController],
  providers: [LeaderboardsRepository, LeaderboardsService, BoardStatistics],
  exports: [LeaderboardsRepository, LeaderboardsService],
})
export class LeaderboardsModule {}
