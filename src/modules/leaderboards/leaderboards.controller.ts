import { Controller, Get, Param } from '@nestjs/common';
import { LeaderboardsService } from './leaderboards.service.js';

@Controller('challenges')
export class LeaderboardsController {
  constructor(private readonly leaderboards: LeaderboardsService) {}

  @Get(':slug/leaderboard')
  get(@Param('slug') slug: string) {
    return this.leaderboards.get(slug);
  }
}
