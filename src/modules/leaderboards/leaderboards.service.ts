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
    const protocol = protocolFor(version.spec);
    const { metric, direction } = protocol.ranking(version.spec);
    const breakdown = protocol.breakdown?.(version.spec) ?? [];
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
        /** The standard deviation over the model's seeds, when it has several. */
        spread: e.metrics[`${metric}_std`] ?? null,
        /** The 95% (or the challenge's level) bootstrap interval over test examples, where the metric has one. */
        ci: e.metrics[`${metric}_ci_low`] === undefined ? null : { low: e.metrics[`${metric}_ci_low`], high: e.metrics[`${metric}_ci_high`] },
        ...(breakdown.length > 0 ? { tasks: Object.fromEntries(breakdown.map((b) => [b.name, e.metrics[b.metric] ?? null])) } : {}),
        submissionId: e.submissionId,
        submittedAt: e.submittedAt,
      })),
    };
  }
}
