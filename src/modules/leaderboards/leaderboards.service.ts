import { Injectable } from '@nestjs/common';
import { protocolFor } from '../protocols/registry.js';
import { ChallengesService } from '../challenges/challenges.service.js';
import { LeaderboardsRepository } from './leaderboards.repository.js';
import { rankLeaderboard } from './ranking.js';

@Injectable()
export class LeaderboardsService {
  constructor(
    private readonly challenges: ChallengesService,
    private readonly leaderboards: LeaderboardsRepository,
  ) {}

  async get(slug: string) {
    const { challenge, version } = await this.challenges.get(slug);
    const { metric, direction } = protocolFor(version.spec).ranking(version.spec);
    const entries = rankLeaderboard(await this.leaderboards.bestPerParticipant(challenge.id, version.version, direction), direction);
    return {
      challenge: challenge.slug,
      version: version.version,
      metric,
      direction,
      entries: entries.map((e) => ({
        rank: e.rank,
        participant: e.participant,
        score: e.score,
        submissionId: e.submissionId,
        submittedAt: e.submittedAt,
      })),
    };
  }
}
