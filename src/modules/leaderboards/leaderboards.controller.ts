import { Controller, Get, Param, Query, Res } from '@nestjs/common';
import type { Response } from 'express';
import { sendExport } from '../../core/export/export.js';
import { z } from 'zod';
import { parseInput } from '../../core/validation/parse-input.js';
import { Public, type Principal } from '../accounts/access.js';
import { OptionalAccount } from '../accounts/auth.guard.js';
import { BOARD_COLUMNS, boardRows } from './board-export.js';
import { LeaderboardsService } from './leaderboards.service.js';

export const BoardQuery = z.strictObject({
  version: z.coerce.number().int().positive().optional(),
  phase: z.string().max(32).optional(),
  split: z.enum(['public', 'private']).optional(),
  /** json (default): the board; csv: its entries as a CSV file. */
  format: z.enum(['json', 'csv']).default('json'),
});

@Controller('challenges')
export class LeaderboardsController {
  constructor(private readonly leaderboards: LeaderboardsService) {}

  /** `?version=N` a version's scores (default: the current one), `?phase=<name>` a phase's board, `?split=public|private` a part (private only once the phase has closed), `?format=csv` as a CSV file. */
  @Get(':slug/leaderboard')
  @Public()
  async get(@OptionalAccount() principal: Principal | undefined, @Param('slug') slug: string, @Query() query: unknown, @Res({ passthrough: true }) res: Response) {
    const { format, ...which } = parseInput(BoardQuery, query, 'query');
    const board = await this.leaderboards.get(slug, which, principal);
    if (format === 'json') return board;
    sendExport(res, 'csv', `${slug}-v${board.version}-${board.phase}-leaderboard`, boardRows(board), [...BOARD_COLUMNS]);
  }
}
