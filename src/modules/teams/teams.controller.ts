import { Body, Controller, Get, HttpCode, Param, Post } from '@nestjs/common';
import { RequireScope, type Principal } from '../accounts/access.js';
import { CurrentAccount } from '../accounts/auth.guard.js';
import { TeamsService } from './teams.service.js';

/** Your team in a challenge. Routes name the challenge, never a team id: you only ever act on your own team. */
@Controller('challenges/:slug')
export class TeamsController {
  constructor(private readonly teams: TeamsService) {}

  /** `{name}`: creates a team with you in it (your earlier submissions come along). */
  @Post('teams')
  @RequireScope('submit')
  @HttpCode(201)
  create(@CurrentAccount() principal: Principal, @Param('slug') slug: string, @Body() body: unknown) {
    return this.teams.create(slug, principal, body);
  }

  @Get('team')
  @RequireScope('read')
  mine(@CurrentAccount() principal: Principal, @Param('slug') slug: string) {
    return this.teams.mine(slug, principal);
  }

  /** A one-use invitation token into your team (valid 7 days), shown once. */
  @Post('team/invites')
  @RequireScope('submit')
  @HttpCode(201)
  invite(@CurrentAccount() principal: Principal, @Param('slug') slug: string) {
    return this.teams.invite(slug, principal);
  }

  /** `{token}`: joins the inviting team; the creator of another team merges it in (when the combined submissions fit the limits). */
  @Post('team/accept')
  @RequireScope('submit')
  @HttpCode(200)
  accept(@CurrentAccount() principal: Principal, @Param('slug') slug: string, @Body() body: unknown) {
    return this.teams.accept(slug, principal, body);
  }

  @Post('team/leave')
  @RequireScope('submit')
  @HttpCode(200)
  leave(@CurrentAccount() principal: Principal, @Param('slug') slug: string) {
    return this.teams.leave(slug, principal);
  }
}
