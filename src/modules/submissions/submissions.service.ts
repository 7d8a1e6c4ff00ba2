import { Inject, Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import type { Logger } from 'pino';
import type { EntityManager } from 'typeorm';
import { z } from 'zod';
import { parseInput } from '../../core/validation/parse-input.js';
import { AppError } from '../../core/errors/app-error.js';
import type { UploadedFile } from '../../core/http/uploaded-file.js';
import { LOGGER } from '../../core/logger/logger.js';
import { STORAGE, type StoragePort } from '../../core/storage/storage.port.js';
import type { AccountRecord } from '../accounts/accounts.repository.js';
import { ChallengeDataService } from '../challenges/challenge-data.service.js';
import { ChallengesService } from '../challenges/challenges.service.js';
import type { ChallengeSpec } from '../challenges/challenge-bundle.schema.js';
import { type ActivePhase, checkLimits, closedMessage, phaseAt, phasesOf } from '../challenges/phases.js';
import { leaderboardOf, queueFor } from '../challenges/spec-parts.js';
import type { QueueName } from '../../core/queue/jobs.js';
import { protocolFor } from '../protocols/registry.js';
import { beforeClose, revealed, revealsAt } from '../leaderboards/visibility.js';
import { WorkersService } from '../workers/workers.service.js';
import { EvaluationQueue } from './evaluation-queue.js';
import type { Submission } from './submission.entity.js';
import { SubmissionsRepository } from './submissions.repository.js';

const FinalPicks = z.strictObject({ submissionIds: z.array(z.uuid('must be a submission id')).max(20).refine((ids) => new Set(ids).size === ids.length, 'lists a submission twice') });

@Injectable()
export class SubmissionsService {
  constructor(
    private readonly submissions: SubmissionsRepository,
    private readonly challenges: ChallengesService,
    private readonly data: ChallengeDataService,
    private readonly queue: EvaluationQueue,
    private readonly workers: WorkersService,
    @Inject(STORAGE) private readonly storage: StoragePort,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  /**
   * Validates the whole file first; only a valid file is stored, recorded and queued.
   * A rejected file leaves nothing behind.
   */
  async submit(account: AccountRecord, slug: string, file: UploadedFile | undefined): Promise<{ id: string; status: 'queued' }> {
    const { challenge, version } = await this.challenges.get(slug);
    if (challenge.status !== 'open') throw AppError.conflict('challenge_closed', `Challenge "${slug}" is not accepting submissions`);
    const { spec } = version;
    const phase = this.openPhase(slug, spec);
    await this.checkLimits(challenge.id, account.id, phase);
    if (!file) {
      throw AppError.badRequest('missing_file', 'No file: send the selection as multipart/form-data in the field "file"');
    }
    // The upload is on disk (streamed there under MAX_UPLOAD_BYTES): the challenge's own cap
    // comes before a byte of it is read. Validators take a Buffer, so the file is then read
    // whole; that is bounded by this cap (at most 64 MiB, see spec-parts).
    if (file.size > spec.limits.maxFileBytes) {
      throw AppError.tooLarge(`The file is ${file.size} bytes; this challenge accepts at most ${spec.limits.maxFileBytes} bytes`);
    }
    const bytes = await readFile(file.path);
    const protocol = protocolFor(spec);
    const parsed = await protocol.validate(bytes, spec, this.data.files(version));
    const itemCount = protocol.itemCount(parsed);

    const id = randomUUID();
    const kind = fileKind(bytes);
    const fileKey = `submissions/${challenge.id}/${id}${kind.extension}`;
    await this.storage.put(fileKey, createReadStream(file.path), { contentType: kind.contentType });
    try {
      await this.submissions.withSubmitLock(challenge.id, account.id, async (em) => {
        // Again under the lock: another upload may have taken the last slot while this one was validated.
        await this.checkLimits(challenge.id, account.id, phase, em);
        await this.submissions.insert(
          {
            id,
            challengeId: challenge.id,
            challengeVersion: version.version,
            accountId: account.id,
            status: 'queued',
            queue: queueFor(spec),
            phase: phase.name,
            fileKey,
            fileBytes: file.size,
            fileSha256: file.sha256,
            itemCount,
          },
          em,
        );
      });
    } catch (e) {
      await this.storage.delete(fileKey).catch(() => undefined);
      throw e;
    }
    const log = { challenge: slug, submissionId: id };
    try {
      await this.queue.enqueue(id, queueFor(spec));
    } catch (err) {
      // The row is the truth: the reconciler enqueues it once the queue is back.
      this.logger.warn({ ...log, err }, 'could not enqueue; the reconciler will retry');
    }
    this.logger.info({ ...log, items: itemCount }, 'submission accepted');
    return { id, status: 'queued' };
  }

  /** The phase taking submissions now; 409 with the phase dates when none is. */
  private openPhase(slug: string, spec: ChallengeSpec): ActivePhase {
    const state = phaseAt(spec, new Date());
    if (state.state === 'open') return state.phase;
    const phases = phasesOf(spec).map((p) => ({ field: `phases.${p.name}`, message: `opens ${p.opens ?? 'always'}, closes ${p.closes ?? 'never'}` }));
    throw AppError.conflict('phase_closed', closedMessage(slug, state)!, phases);
  }

  /** 429 when one more submission would go over a limit of the phase, saying which and when the next is allowed. */
  private async checkLimits(challengeId: string, accountId: string, phase: ActivePhase, em?: EntityManager): Promise<void> {
    const now = new Date();
    const refusal = checkLimits(phase, await this.submissions.limitUsage(challengeId, accountId, phase.name, now, em), now);
    if (!refusal) return;
    throw new AppError(429, 'limit_reached', refusal.message, [
      { field: `limits.${refusal.limit}`, message: refusal.retryAt ? `next allowed at ${refusal.retryAt.toISOString()}` : refusal.limit === 'total' ? 'none left in this phase' : 'when one of your queued or running submissions finishes' },
    ]);
  }

  /** A submission as its owner (or an admin) sees it. Anyone else gets a 404. */
  async get(account: AccountRecord, id: string) {
    return this.view(await this.owned(account, id), await this.workers.waiting());
  }

  /**
   * Stops a queued or running submission of one's own: it fails with code `cancelled`
   * and never counts against a limit. A worker still training it finds it finished and
   * writes no score.
   */
  async cancel(account: AccountRecord, id: string) {
    const submission = await this.owned(account, id);
    if (!(await this.submissions.markFailed(submission.id, 'cancelled', 'Cancelled by its owner; it does not count against your limits'))) {
      throw AppError.conflict('already_finished', `Submission "${id}" has already finished (${submission.status}); only a queued or running one can be cancelled`);
    }
    this.logger.info({ submissionId: id, accountId: account.id }, 'submission cancelled');
    return this.view((await this.submissions.findById(submission.id))!, await this.workers.waiting());
  }

  /**
   * A participant picks up to `leaderboard.finalSubmissions` scored submissions of one
   * phase for its private ranking, while that phase is open (an empty list drops the
   * picks: then their best public ones count). Returns the picks.
   */
  async pickFinal(account: AccountRecord, slug: string, body: unknown) {
    const { submissionIds } = parseInput(FinalPicks, body);
    const { challenge, version } = await this.challenges.get(slug);
    const { spec } = version;
    const limit = leaderboardOf(spec).finalSubmissions;
    if (submissionIds.length > limit) {
      throw AppError.unprocessable('too_many_final', `Challenge "${slug}" ranks at most ${limit} final submissions per participant; you picked ${submissionIds.length}`);
    }
    const picked = await Promise.all(submissionIds.map((id) => this.owned(account, id)));
    const problems = picked.flatMap((s) =>
      s.accountId !== account.id
        ? [{ field: s.id, message: 'is not yours' }]
        : s.challengeId !== challenge.id
          ? [{ field: s.id, message: 'is a submission to another challenge' }]
          : s.status !== 'scored'
            ? [{ field: s.id, message: `is ${s.status}; only scored submissions can be final` }]
            : [],
    );
    if (problems.length > 0) throw AppError.unprocessable('invalid_final', `These cannot be final submissions of "${slug}": ${problems.map((p) => `${p.field} ${p.message}`).join('; ')}`, problems);
    const phases = new Set(picked.map((s) => s.phase));
    const state = phaseAt(spec, new Date());
    const phase = picked[0]?.phase ?? (state.state === 'open' ? state.phase.name : null);
    if (phases.size > 1) throw AppError.unprocessable('invalid_final', `Final submissions must come from one phase; these come from ${[...phases].join(', ')}`);
    if (!phase || state.state !== 'open' || state.phase.name !== phase) {
      throw AppError.conflict('phase_closed', `Final submissions are picked while their phase is open; phase "${phase ?? '(none)'}" of "${slug}" is not open now`);
    }
    await this.submissions.setFinal(challenge.id, account.id, phase, submissionIds);
    this.logger.info({ challenge: slug, accountId: account.id, phase, picks: submissionIds.length }, 'final submissions picked');
    return { challenge: slug, phase, limit, submissionIds };
  }

  private async owned(account: AccountRecord, id: string): Promise<Submission> {
    const submission = /^[0-9a-f-]{36}$/i.test(id) ? await this.submissions.findById(id) : null;
    if (!submission || (submission.accountId !== account.id && account.role !== 'admin')) {
      throw AppError.notFound(`Submission "${id}"`);
    }
    return submission;
  }

  async listMine(account: AccountRecord, slug: string) {
    const { challenge } = await this.challenges.get(slug);
    const rows = await this.submissions.listForAccount(challenge.id, account.id, 100);
    const waitingFor = await this.workers.waiting();
    // One look at each version's spec for the whole list (they are the challenge's few versions).
    const specs = new Map<number, Promise<ChallengeSpec | null>>();
    const specOf = (s: Submission) => {
      if (!specs.has(s.challengeVersion)) specs.set(s.challengeVersion, this.challenges.specOf(s.challengeId, s.challengeVersion));
      return specs.get(s.challengeVersion)!;
    };
    return Promise.all(rows.map((s) => this.view(s, waitingFor, slug, specOf)));
  }

  private async view(
    s: Submission,
    waitingFor: (queue: QueueName) => string | null,
    slug?: string,
    specOf = (sub: Submission) => this.challenges.specOf(sub.challengeId, sub.challengeVersion),
  ) {
    const score = s.status === 'scored' ? await this.submissions.findScore(s.id, s.challengeVersion) : null;
    const challengeSlug = slug ?? (await this.challenges.slugOf(s.challengeId));
    const waiting = s.status === 'queued' ? waitingFor(s.queue) : null;
    const spec = score ? await specOf(s) : null;
    const isRevealed = spec ? revealed(spec, s.phase) : true;
    const shown = !score ? null : isRevealed ? { metric: score.metric, score: score.value, metrics: score.metrics, details: score.details } : beforeClose(score.metric, score.metrics, score.details);
    return {
      id: s.id,
      challenge: challengeSlug,
      challengeVersion: s.challengeVersion,
      phase: s.phase,
      status: s.status,
      /** While queued with no live worker for its queue: "waiting for a GPU worker". */
      waiting,
      score: shown?.score ?? null,
      metric: shown?.metric ?? null,
      metrics: shown?.metrics ?? null,
      details: shown?.details ?? null,
      /** With a public/private split: whether the private part is shown yet, and when it will be. */
      revealed: spec ? isRevealed : null,
      revealsAt: spec && !isRevealed ? revealsAt(spec, s.phase) : null,
      trainer: score ? { name: score.trainerName, version: score.trainerVersion } : null,
      items: s.itemCount,
      attempts: s.attempts,
      final: s.final,
      error: s.errorCode ? { code: s.errorCode, message: s.errorMessage, details: s.errorDetails ?? [] } : null,
      createdAt: s.createdAt,
      startedAt: s.startedAt,
      finishedAt: s.finishedAt,
    };
  }
}

/** How a validated submission file is stored: a zip, gzip-compressed CSV or CSV. */
function fileKind(bytes: Buffer): { extension: string; contentType: string } {
  if (bytes[0] === 0x50 && bytes[1] === 0x4b) return { extension: '.zip', contentType: 'application/zip' };
  if (bytes[0] === 0x1f && bytes[1] === 0x8b) return { extension: '.csv.gz', contentType: 'application/gzip' };
  return { extension: '.csv', contentType: 'text/csv' };
}
