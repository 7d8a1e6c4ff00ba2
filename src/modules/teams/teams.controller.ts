import { Body, Controller, Get, HttpCode, Param, Post } from '@nestjs/common';
import { ApiDoc } from '../../core/openapi/api-doc.js';
import { RequireScope, type Principal } from '../accounts/access.js';
import { CurrentAccount } from '../accounts/auth.guard.js';
import { AcceptInvite, CreateTeam, TeamsService } from './teams.service.js';

/** Your team in a challenge. Routes name the challenge, never a team id: you only ever act on your own team. */
@Controller('challenges/:slug')
export class TeamsController {
  constructor(private readonly teams: TeamsService) {}

  /** `{name}`: creates a team with you in it (your earlier submissions come along). */
  @Post('teams')
  @RequireScope('submit')
  @HttpCode(201)
  @ApiDoc({
    summary: 'Create a team with you in it',
    description: 'Your earlier submissions come along.',
    params: { slug: "The challenge's slug" },
    body: CreateTeam,
    responses: { 201: 'The team', 403: 'Not joined (`not_joined`), or disqualified', 404: 'No such challenge', 409: 'You are in a team already (`already_in_team`), or the name is taken (`team_name_taken`)' },
  })
  create(@CurrentAccount() principal: Principal, @Param('slug') slug: string, @Body() body: unknown) {
    return this.teams.create(slug, principal, body);
  }

  @Get('team')
  @RequireScope('read')
  @ApiDoc({
    summary: 'Your team',
    params: { slug: "The challenge's slug" },
    responses: { 200: '`{id, name, createdBy, members}`', 403: 'Not joined (`not_joined`)', 404: 'No such challenge, or you compete alone' },
  })
  mine(@CurrentAccount() principal: Principal, @Param('slug') slug: string) {
    return this.teams.mine(slug, principal);
  }

  /** A one-use invitation token into your team (valid 7 days), shown once. */
  @Post('team/invites')
  @RequireScope('submit')
  @HttpCode(201)
  @ApiDoc({
    summary: 'Invite someone into your team',
    description: 'A one-use invitation token, valid 7 days, shown this once.',
    params: { slug: "The challenge's slug" },
    responses: { 201: '`{token, expiresAt}`', 403: 'Not joined (`not_joined`)', 404: 'No such challenge', 409: 'You are not in a team (`no_team`)' },
  })
  invite(@CurrentAccount() principal: Principal, @Param('slug') slug: string) {
    return this.teams.invite(slug, principal);
  }

  /** `{token}`: joins the inviting team; the creator of another team merges it in (when the combined submissions fit the limits). */
  @Post('team/accept')
  @RequireScope('submit')
  @HttpCode(200)
  @ApiDoc({
    summary: 'Accept an invitation into a team',
    description: "Joins the inviting team; the creator of another team merges it in. Both only when the combined submissions fit the phase's limits.",
    params: { slug: "The challenge's slug" },
    body: AcceptInvite,
    responses: {
      200: 'Your team now',
      403: 'Not joined, disqualified, or not the creator of the team to merge',
      404: 'No such challenge or invitation',
      409: 'Already a member (`already_member`), the invitation was used or expired (`invite_used`), or the merge would exceed the limits (`merge_over_limits`)',
    },
  })
  accept(@CurrentAccount() principal: Principal, @Param('slug') slug: string, @Body() body: unknown) {
    return this.teams.accept(slug, principal, body);
  }

  @Post('team/leave')
  @RequireScope('submit')
  @HttpCode(200)
  @ApiDoc({
    summary: 'Leave your team',
    description: 'The last member out deletes the team.',
    params: { slug: "The challenge's slug" },
    responses: { 200: 'Left', 403: 'Not joined (`not_joined`)', 404: 'No such challenge', 409: 'Not in a team (`no_team`), or the team has submitted (`team_has_submissions`)' },
  })
  leave(@CurrentAccount() principal: Principal, @Param('slug') slug: string) {
    return this.teams.leave(slug, principal);
  }
}
