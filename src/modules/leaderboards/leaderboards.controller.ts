import { Controller, Get, Param, Query } from '@nestjs/common';
import { z } from 'zod';
import { ApiDoc } from '../../core/openapi/api-doc.js';
import { parseInput } from '../../core/validation/parse-input.js';
import { Public, type Principal } from '../accounts/access.js';
import { OptionalAccount } from '../accounts/auth.guard.js';
import { LeaderboardsService } from './leaderboards.service.js';

export const BoardQuery = z.strictObject({
  version: z.coerce.number().int().positive().optional(),
  phase: z.string().max(32).optional(),
  split: z.enum(['public', 'private']).optional(),
});

@Controller('challenges')
export class LeaderboardsController {
  constructor(private readonly leaderboards: LeaderboardsService) {}

  /** `?version=N` a version's scores (default: the current one), `?phase=<name>` a phase's board, `?split=public|private` a part (private only once the phase has closed). */
  @Get(':slug/leaderboard')
  @Public()
  @ApiDoc({
    summary: "A challenge's leaderboard",
    description: "One phase's board under one version: `?version=` (default the current one), `?phase=` (default the open phase, else the last one that opened), `?split=public|private` (with a public/private split: public until the phase closes). One entry per competitor (a team or a participant alone).",
    params: { slug: "The challenge's slug" },
    query: BoardQuery,
    responses: {
      200: '`{challenge, version, phase, split, metric, direction, ladder, entries: [{rank, tieGroup, rankRange, participant, team, score, spread, ci, submissionId, submittedAt}]}`',
      404: 'No such challenge, version or phase',
      409: 'The private board before the phase closes (`not_revealed`)',
    },
  })
  get(@OptionalAccount() principal: Principal | undefined, @Param('slug') slug: string, @Query() query: unknown) {
    return this.leaderboards.get(slug, parseInput(BoardQuery, query, 'query'), principal);
  }
}
