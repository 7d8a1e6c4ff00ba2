import { Body, Controller, Get, Param, Post, Res } from '@nestjs/common';
import type { Response } from 'express';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import type { Readable } from 'node:stream';
import { ApiDoc } from '../../core/openapi/api-doc.js';
import { Public, RequireScope, type Principal } from '../accounts/access.js';
import { CurrentAccount, OptionalAccount } from '../accounts/auth.guard.js';
import { ChallengesService, JoinSchema } from './challenges.service.js';

@Controller('challenges')
export class ChallengesController {
  constructor(private readonly challenges: ChallengesService) {}

  @Get()
  @Public()
  @ApiDoc({
    summary: 'The challenges',
    description: 'Drafts are not listed.',
    responses: { 200: '`[{slug, title, summary, protocol, status, version}]`' },
  })
  list() {
    return this.challenges.list();
  }

  @Get(':slug')
  @Public()
  @ApiDoc({
    summary: 'A challenge: its rules, data, model, budget, metric, phases and limits',
    description: 'The public part only (never the test set). With a token, `you` says where you stand: `{organizer, joinedAt, teamId}`.',
    params: { slug: "The challenge's slug" },
    responses: { 200: 'The challenge', 404: 'No such challenge (or a draft you do not organize)' },
  })
  describe(@OptionalAccount() principal: Principal | undefined, @Param('slug') slug: string) {
    return this.challenges.describe(slug, principal);
  }

  /** `{"acceptRules": true}`: joins the challenge; 201 the first time, 200 after. */
  @Post(':slug/join')
  @RequireScope('submit')
  @ApiDoc({
    summary: 'Join a challenge, accepting its rules and license',
    description: 'Accepts the rules and license of the current version (recorded with the time).',
    params: { slug: "The challenge's slug" },
    body: JoinSchema,
    responses: { 201: 'Joined', 200: 'Already joined', 404: 'No such challenge', 409: 'Organizers and admins cannot compete in what they run' },
  })
  async join(@CurrentAccount() principal: Principal, @Param('slug') slug: string, @Body() body: unknown, @Res({ passthrough: true }) res: Response) {
    const { created, body: joined } = await this.challenges.join(slug, principal, body);
    res.status(created ? 201 : 200);
    return joined;
  }

  /** The candidate pool as CSV, or as a Sieve binary table where it is one (never the test set), for those who joined. */
  @Get(':slug/pool')
  @RequireScope('read')
  @ApiDoc({
    summary: 'The candidate pool (CSV)',
    description: 'Never the test set. A pool published as a Sieve binary table (`.sbt`, docs/challenge-format.md) is served as it is, as `application/vnd.sieve.table`.',
    params: { slug: "The challenge's slug" },
    responses: { 200: 'The pool as CSV (or a binary table)', 403: 'Not joined yet (`not_joined`)', 404: 'No such challenge' },
    media: ['text/csv', 'application/vnd.sieve.table'],
  })
  pool(@CurrentAccount() principal: Principal, @Param('slug') slug: string, @Res() res: Response): Promise<void> {
    return this.send(slug, 'pool', principal, res);
  }

  /** The public dev split as CSV, for the offline scorer (404 when the challenge has none). */
  @Get(':slug/dev')
  @RequireScope('read')
  @ApiDoc({
    summary: 'The public dev split (CSV)',
    description: 'For scoring offline, where the challenge has one.',
    params: { slug: "The challenge's slug" },
    responses: { 200: 'The dev split as CSV', 403: 'Not joined yet (`not_joined`)', 404: 'No such challenge, or it has no dev split' },
    media: ['text/csv'],
  })
  dev(@CurrentAccount() principal: Principal, @Param('slug') slug: string, @Res() res: Response): Promise<void> {
    return this.send(slug, 'dev', principal, res);
  }

  /** Any public data file of the challenge by role, as listed under `files` on its page. */
  @Get(':slug/files/:role')
  @RequireScope('read')
  @ApiDoc({
    summary: 'A public data file of the challenge (CSV)',
    description: 'Any file listed under `files` on the challenge page (a starter set, a task\'s pool…). Hidden files have no route. A file published as a Sieve binary table is served as it is, as `application/vnd.sieve.table`.',
    params: { slug: "The challenge's slug", role: 'The file\'s role, as listed under `files`' },
    responses: { 200: 'The file as CSV (or a binary table)', 403: 'Not joined yet (`not_joined`)', 404: 'No such challenge, or no public file with that role' },
    media: ['text/csv', 'application/vnd.sieve.table'],
  })
  file(@CurrentAccount() principal: Principal, @Param('slug') slug: string, @Param('role') role: string, @Res() res: Response): Promise<void> {
    return this.send(slug, role, principal, res);
  }

  private async send(slug: string, which: string, principal: Principal, res: Response): Promise<void> {
    const file = await this.challenges.publicFile(slug, which, principal);
    res.setHeader('Content-Type', file.contentType);
    res.setHeader('Content-Disposition', `attachment; filename="${file.filename}"`);
    const source = file.stream as Readable;
    await (file.gzip ? pipeline(source, createGunzip(), res) : pipeline(source, res));
  }
}
