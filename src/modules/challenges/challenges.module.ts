import { Module } from '@nestjs/common';
import { WorkersModule } from '../workers/workers.module.js';
import { ChallengeDataService } from './challenge-data.service.js';
import { ChallengesController } from './challenges.controller.js';
import { ChallengesRepository } from './challenges.repository.js';
import { ChallengesService } from './challenges.service.js';

@Module({
  imports: [WorkersModule],
  controllers: [ChallengesController],
  providers: [ChallengesRepository, ChallengesService, ChallengeDataService],
  exports: [ChallengesRepository, ChallengesService, ChallengeDataService],
})
export class ChallengesModule {}
