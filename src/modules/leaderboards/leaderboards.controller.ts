import { Controller, Get, Param, Query, Res } from '@nestjs/common';
import type { Response } from 'express';
import { sendExport } from '../../core/export/export.js';
import { z } from 'zod';
import { ApiDoc } from '../../core/openapi/api-doc.js';
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
  @ApiDoc({
    summary: "A challenge's leaderboard",
    description:
      "One phase's board under one version: `?version=` (default the current one), `?phase=` (default the open phase, else the last one that opened), `?split=public|private` (with a public/private split: public until the phase closes), `?format=csv` (its entries as a CSV file). One entry per competitor (a team or a participant alone).",
    params: { slug: "The challenge's slug" },
    query: BoardQuery,
    responses: {
      200: '`{challenge, version, phase, split, metric, direction, ladder, entries: [{rank, tieGroup, rankRange, participant, team, score, spread, ci, submissionId, submittedAt}]}`, or a CSV file',
      404: 'No such challenge, version or phase',
      409: 'The private board before the phase closes (`not_revealed`)',
    },
  })
  async get(@OptionalAccount() principal: Principal | undefined, @Param('slug') slug: string, @Query() query: unknown, @Res({ passthrough: true }) res: Response) {
    const { format, ...which } = parseInput(BoardQuery, query, 'query');
    if (format === 'json') {
      // Serialized once per computed board (the hot path); the ETag gives a poller a 304 while the board stays.
      const { json, etag } = await this.leaderboards.getJson(slug, which, principal);
      res.type('application/json').setHeader('ETag', etag);
      return json;
    }
    const board = await this.leaderboards.get(slug, which, principal);
    sendExport(res, 'csv', `${slug}-v${board.version}-${board.phase}-leaderboard`, boardRows(board), [...BOARD_COLUMNS]);
  }
}
