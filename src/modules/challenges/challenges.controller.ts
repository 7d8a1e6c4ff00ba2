import { Body, Controller, Get, Param, Post, Res } from '@nestjs/common';
import type { Response } from 'express';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import type { Readable } from 'node:stream';
import { Public, RequireScope, type Principal } from '../accounts/access.js';
import { CurrentAccount, OptionalAccount } from '../accounts/auth.guard.js';
import { ChallengesService } from './challenges.service.js';

@Controller('challenges')
export class ChallengesController {
  constructor(private readonly challenges: ChallengesService) {}

  @Get()
  @Public()
  list() {
    return this.challenges.list();
  }

  @Get(':slug')
  @Public()
  describe(@OptionalAccount() principal: Principal | undefined, @Param('slug') slug: string) {
    return this.challenges.describe(slug, principal);
  }

  /** `{"acceptRules": true}`: joins the challenge; 201 the first time, 200 after. */
  @Post(':slug/join')
  @RequireScope('submit')
  async join(@CurrentAccount() principal: Principal, @Param('slug') slug: string, @Body() body: unknown, @Res({ passthrough: true }) res: Response) {
    const { created, body: joined } = await this.challenges.join(slug, principal, body);
    res.status(created ? 201 : 200);
    return joined;
  }

  /** The candidate pool as CSV (never the test set), for those who joined. */
  @Get(':slug/pool')
  @RequireScope('read')
  pool(@CurrentAccount() principal: Principal, @Param('slug') slug: string, @Res() res: Response): Promise<void> {
    return this.send(slug, 'pool', principal, res);
  }

  /** The public dev split as CSV, for the offline scorer (404 when the challenge has none). */
  @Get(':slug/dev')
  @RequireScope('read')
  dev(@CurrentAccount() principal: Principal, @Param('slug') slug: string, @Res() res: Response): Promise<void> {
    return this.send(slug, 'dev', principal, res);
  }

  /** Any public data file of the challenge by role, as listed under `files` on its page. */
  @Get(':slug/files/:role')
  @RequireScope('read')
  file(@CurrentAccount() principal: Principal, @Param('slug') slug: string, @Param('role') role: string, @Res() res: Response): Promise<void> {
    return this.send(slug, role, principal, res);
  }

  private async send(slug: string, which: string, principal: Principal, res: Response): Promise<void> {
    const file = await this.challenges.publicFile(slug, which, principal);
    res.setHeader('Content-Type', 'text/csv; charset=utf-8');
    res.setHeader('Content-Disposition', `attachment; filename="${file.filename}"`);
    const source = file.stream as Readable;
    await (file.gzip ? pipeline(source, createGunzip(), res) : pipeline(source, res));
  }
}
