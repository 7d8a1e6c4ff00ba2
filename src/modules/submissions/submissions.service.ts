import { Inject, Injectable } from '@nestjs/common';
import { createHash, randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { EntityManager } from 'typeorm';
import { AppError } from '../../core/errors/app-error.js';
import { LOGGER } from '../../core/logger/logger.js';
import { STORAGE, type StoragePort } from '../../core/storage/storage.port.js';
import type { AccountRecord } from '../accounts/accounts.repository.js';
import { ChallengeDataService } from '../challenges/challenge-data.service.js';
import { ChallengesService } from '../challenges/challenges.service.js';
import type { ChallengeSpec } from '../challenges/challenge-bundle.schema.js';
import { type ActivePhase, checkLimits, closedMessage, phaseAt, phasesOf } from '../challenges/phases.js';
import { queueFor } from '../challenges/spec-parts.js';
import type { QueueName } from '../../core/queue/jobs.js';
import { protocolFor } from '../protocols/registry.js';
import { WorkersService } from '../workers/workers.service.js';
import { EvaluationQueue } from './evaluation-queue.js';
import type { Submission } from './submission.entity.js';
import { SubmissionsRepository } from './submissions.repository.js';

export interface UploadedFile {
  buffer: Buffer;
  size: number;
}

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
    const protocol = protocolFor(spec);
    const parsed = await protocol.validate(file.buffer, spec, this.data.files(version));
    const itemCount = protocol.itemCount(parsed);

    const id = randomUUID();
    const kind = fileKind(file.buffer);
    const fileKey = `submissions/${challenge.id}/${id}${kind.extension}`;
    await this.storage.put(fileKey, file.buffer, { contentType: kind.contentType });
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
            fileSha256: createHash('sha256').update(file.buffer).digest('hex'),
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
    return Promise.all(rows.map((s) => this.view(s, waitingFor, slug)));
  }

  private async view(s: Submission, waitingFor: (queue: QueueName) => string | null, slug?: string) {
    const score = s.status === 'scored' ? await this.submissions.findScore(s.id, s.challengeVersion) : null;
    const challengeSlug = slug ?? (await this.challenges.slugOf(s.challengeId));
    const waiting = s.status === 'queued' ? waitingFor(s.queue) : null;
    return {
      id: s.id,
      challenge: challengeSlug,
      challengeVersion: s.challengeVersion,
      phase: s.phase,
      status: s.status,
      /** While queued with no live worker for its queue: "waiting for a GPU worker". */
      waiting,
      score: score?.value ?? null,
      metric: score?.metric ?? null,
      metrics: score?.metrics ?? null,
      details: score?.details ?? null,
      trainer: score ? { name: score.trainerName, version: score.trainerVersion } : null,
      items: s.itemCount,
      attempts: s.attempts,
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
