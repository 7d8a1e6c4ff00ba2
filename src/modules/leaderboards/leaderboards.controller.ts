import { Controller, Get, Param, Query } from '@nestjs/common';
import { z } from 'zod';
import { parseInput } from '../../core/validation/parse-input.js';
import { Public, type Principal } from '../accounts/access.js';
import { OptionalAccount } from '../accounts/auth.guard.js';
import { LeaderboardsService } from './leaderboards.service.js';

const BoardQuery = z.strictObject({
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
  get(@OptionalAccount() principal: Principal | undefined, @Param('slug') slug: string, @Query() query: unknown) {
    return this.leaderboards.get(slug, parseInput(BoardQuery, query, 'query'), principal);
  }
}
