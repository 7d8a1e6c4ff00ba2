import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'pino';
import { z } from 'zod';
import { AppError } from '../../core/errors/app-error.js';
import { LOGGER } from '../../core/logger/logger.js';
import { parseInput } from '../../core/validation/parse-input.js';
import type { AccountRecord } from '../accounts/accounts.repository.js';
import { ChallengesRepository } from '../challenges/challenges.repository.js';
import { ChallengesService } from '../challenges/challenges.service.js';
import { queueFor } from '../challenges/spec-parts.js';
import { EvaluationQueue } from '../submissions/evaluation-queue.js';
import { type RescoreProgress, RescoresRepository } from './rescores.repository.js';

const StartRescore = z.strictObject({
  version: z.number().int().positive().optional(),
  submissionIds: z.array(z.uuid('must be a submission id')).min(1).max(100_000).optional(),
});

/**
 * Scoring submissions again under a challenge version (a new version's data, model or
 * metric), in the background through the evaluation queues, with progress. Admins only
 * for now (challenge organizers get it with roles).
 */
@Injectable()
export class RescoringService {
  constructor(
    private readonly challenges: ChallengesService,
    private readonly versions: ChallengesRepository,
    private readonly rescores: RescoresRepository,
    private readonly queue: EvaluationQueue,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  /** Queues every scored submission (or the listed ones) without a score under the version (default: the current one). */
  async start(account: AccountRecord, slug: string, body: unknown): Promise<RescoreProgress> {
    this.mustBeAdmin(account);
    const input = parseInput(StartRescore, body);
    const { challenge } = await this.challenges.get(slug);
    const number = input.version ?? challenge.currentVersion;
    const version = await this.versions.findVersion(challenge.id, number);
    if (!version) throw AppError.notFound(`Version ${number} of challenge "${slug}"`);
    const queue = queueFor(version.spec);
    const { run, rescores } = await this.rescores.createRun(challenge.id, number, queue, account.id, input.submissionIds);
    for (const r of rescores) {
      // The rows are the truth: a failed enqueue is picked up by the reconciler.
      await this.queue.enqueue(r.id, queue, 'rescore').catch((err: unknown) => this.logger.warn({ err, rescoreId: r.id }, 'could not enqueue a rescore; the reconciler will'));
    }
    this.logger.info({ challenge: slug, version: number, runId: run.id, total: run.total, by: account.id }, 'rescore run started');
    return this.rescores.progress(run);
  }

  async progress(account: AccountRecord, slug: string, id: string): Promise<RescoreProgress> {
    this.mustBeAdmin(account);
    const { challenge } = await this.challenges.get(slug);
    const run = /^[0-9a-f-]{36}$/i.test(id) ? await this.rescores.findRun(id) : null;
    if (!run || run.challengeId !== challenge.id) throw AppError.notFound(`Rescore run "${id}" of challenge "${slug}"`);
    return this.rescores.progress(run);
  }

  private mustBeAdmin(account: AccountRecord): void {
    if (account.role !== 'admin') throw AppError.forbidden('Only admins can rescore a challenge');
  }
}
