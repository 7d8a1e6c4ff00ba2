import { Body, Controller, Get, HttpCode, Param, Post, Put, Query, Req, Res, Sse, UploadedFile } from '@nestjs/common';
import type { Request, Response } from 'express';
import { idempotencyKeyOf, REPLAYED_HEADER } from '../../core/http/idempotency-key.js';
import { ExportQuery, exportFormat, sendExport } from '../../core/export/export.js';
import type { UploadedFile as Upload } from '../../core/http/uploaded-file.js';
import { UploadRoute } from '../../core/http/upload-route.js';
import { ApiDoc } from '../../core/openapi/api-doc.js';
import { RequireScope, type Principal } from '../accounts/access.js';
import { CurrentAccount } from '../accounts/auth.guard.js';
import { exportRowOf, FinalPicks, MY_SUBMISSION_COLUMNS, SubmissionsService } from './submissions.service.js';

@Controller()
export class SubmissionsController {
  constructor(private readonly submissions: SubmissionsService) {}

  @Post('challenges/:slug/submissions')
  @RequireScope('submit')
  @HttpCode(202)
  @UploadRoute('file')
  @ApiDoc({
    summary: 'Submit a file to a challenge',
    description:
      "The file is validated completely (ids, budget, format: errors name its lines), stored, and queued for evaluation. Each refusal says which rule; a team's members share its limits. With an `Idempotency-Key` header (1 to 255 visible ASCII characters, e.g. a UUID made once per upload), a retry of the same upload gets the first answer again (202 with the same id and `Idempotent-Replayed: true`) instead of making a second submission; the key is then not usable for another upload (422 `idempotency_key_reused`).",
    params: { slug: "The challenge's slug" },
    upload: { description: "The submission: a CSV (a selection, an ordering, a purchase plan) or the protocol's dataset format" },
    responses: {
      202: 'Queued: `{id, status: "queued"}`',
      400: 'No file (`missing_file`), or a malformed `Idempotency-Key` (`invalid_idempotency_key`)',
      403: 'Not joined (`not_joined`), or disqualified (`disqualified`)',
      404: 'No such challenge',
      409: 'The challenge is not open (`challenge_closed`), or no phase is (`phase_closed`)',
      413: "Larger than the challenge's `limits.maxFileBytes`",
      422: 'The file is not valid for the challenge (details name its lines), or the `Idempotency-Key` was used for another upload (`idempotency_key_reused`)',
      429: "Over a phase's limits (`limit_reached`)",
    },
    response: { type: 'object', required: ['id', 'status'], properties: { id: { type: 'string', format: 'uuid' }, status: { const: 'queued' } } },
  })
  async submit(@CurrentAccount() account: Principal, @Param('slug') slug: string, @UploadedFile() file: Upload | undefined, @Req() req: Request, @Res({ passthrough: true }) res: Response) {
    const { id, status, replayed } = await this.submissions.submit(account, slug, file, idempotencyKeyOf(req.headers));
    if (replayed) res.setHeader(REPLAYED_HEADER, 'true');
    return { id, status };
  }

  /** Your submissions to a challenge (your team's, in a team), newest first; `?format=csv` as a CSV file. */
  @Get('challenges/:slug/submissions')
  @RequireScope('read')
  @ApiDoc({
    summary: 'Your submissions to a challenge',
    description: "Your team's, in a team; newest first. `?format=csv`: the same as a CSV file.",
    query: ExportQuery,
    params: { slug: "The challenge's slug" },
    responses: { 200: 'The submissions (JSON), or a CSV file', 403: 'Not joined (`not_joined`)', 404: 'No such challenge' },
  })
  async listMine(@CurrentAccount() account: Principal, @Param('slug') slug: string, @Query() query: unknown, @Res({ passthrough: true }) res: Response) {
    const format = exportFormat(query);
    const mine = await this.submissions.listMine(account, slug);
    if (format === 'json') return mine;
    sendExport(res, 'csv', `${slug}-my-submissions`, mine.map(exportRowOf), [...MY_SUBMISSION_COLUMNS]);
  }

  /** `{submissionIds: [...]}`: your (team's) final picks for the private ranking of their phase. */
  @Put('challenges/:slug/final-submissions')
  @RequireScope('submit')
  @ApiDoc({
    summary: 'Pick your final submissions for the private ranking',
    description: "Up to `leaderboard.finalSubmissions` of your (team's) scored submissions of the open phase, each listed once; an empty list drops the picks.",
    params: { slug: "The challenge's slug" },
    body: FinalPicks,
    responses: { 200: 'The picks', 403: 'Not joined (`not_joined`)', 404: 'No such challenge', 409: 'Their phase is not open (`phase_closed`)', 422: 'Too many, or submissions that cannot be final (`too_many_final`, `invalid_final`)' },
  })
  pickFinal(@CurrentAccount() account: Principal, @Param('slug') slug: string, @Body() body: unknown) {
    return this.submissions.pickFinal(account, slug, body);
  }

  @Post('submissions/:id/cancel')
  @RequireScope('submit')
  @HttpCode(200)
  @ApiDoc({
    summary: 'Cancel a queued or running submission',
    description: 'It becomes `failed` with code `cancelled` and never counts against a limit. Its author, their team and admins may cancel it.',
    params: { id: "The submission's id" },
    responses: { 200: 'The cancelled submission', 403: 'Organizers disqualify instead', 404: 'No such submission of yours', 409: 'It has already finished (`already_finished`)' },
  })
  cancel(@CurrentAccount() account: Principal, @Param('id') id: string) {
    return this.submissions.cancel(account, id);
  }

  /** Server-sent events: `status` (the submission now, then at each change) and `progress`, until it is scored or failed. */
  @Sse('submissions/:id/events')
  @RequireScope('read')
  @ApiDoc({
    summary: "A submission's live status (server-sent events)",
    description:
      'A `text/event-stream`: `status` events (the submission as GET /submissions/:id shows it: first its state now, then at each change) and `progress` events (`{stage, step, steps, seed, percent}`), until it is scored or failed; then the stream ends.',
    params: { id: "The submission's id" },
    responses: { 200: 'The event stream', 404: 'No such submission (or not yours to see)' },
    media: ['text/event-stream'],
  })
  events(@CurrentAccount() account: Principal, @Param('id') id: string) {
    return this.submissions.stream(account, id);
  }

  @Get('submissions/:id')
  @RequireScope('read')
  @ApiDoc({
    summary: 'A submission: its status, score and metrics',
    description: 'For its author and team, the challenge\'s organizers and admins. With a public/private split and its phase still open, the score and metrics are the public part only (`revealed: false`).',
    params: { id: "The submission's id" },
    responses: { 200: '`{id, challenge, phase, status, waiting, score, metric, metrics, details, …, error, createdAt, startedAt, finishedAt}`', 404: 'No such submission (or not yours to see)' },
  })
  get(@CurrentAccount() account: Principal, @Param('id') id: string) {
    return this.submissions.get(account, id);
  }
}
