import { Controller, Get, Param, Res } from '@nestjs/common';
import type { Response } from 'express';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import type { Readable } from 'node:stream';
import { ChallengesService } from './challenges.service.js';

@Controller('challenges')
export class ChallengesController {
  constructor(private readonly challenges: ChallengesService) {}

  @Get()
  list() {
    return this.challenges.list();
  }

  @Get(':slug')
  describe(@Param('slug') slug: string) {
    return this.challenges.describe(slug);
  }

  /** The candidate pool as CSV (never the test set). */
  @Get(':slug/pool')
  pool(@Param('slug') slug: string, @Res() res: Response): Promise<void> {
    return this.send(slug, 'pool', res);
  }

  /** The public dev split as CSV, for the offline scorer (404 when the challenge has none). */
  @Get(':slug/dev')
  dev(@Param('slug') slug: string, @Res() res: Response): Promise<void> {
    return this.send(slug, 'dev', res);
  }

  /** Any public data file of the challenge by role, as listed under `files` on its page. */
  @Get(':slug/files/:role')
  file(@Param('slug') slug: string, @Param('role') role: string, @Res() res: Response): Promise<void> {
    return this.send(slug, role, res);
  }

  private async send(slug: string, which: string, res: Response): Promise<void> {
    const file = await this.challenges.publicFile(slug, which);
    res.setHeader('Content-Type', 'text/csv; charset=utf-8');
    res.setHeader('Content-Disposition', `attachment; filename="${file.filename}"`);
    const source = file.stream as Readable;
    await (file.gzip ? pipeline(source, createGunzip(), res) : pipeline(source, res));
  }
}
