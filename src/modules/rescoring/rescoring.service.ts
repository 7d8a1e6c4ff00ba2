import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'pino';
import { z } from 'zod';
import { AppError } from '../../core/errors/app-error.js';
import { LOGGER } from '../../core/logger/logger.js';
import { parseInput } from '../../core/validation/parse-input.js';
import type { Principal } from '../accounts/access.js';
import { AuditService } from '../audit/audit.service.js';
import { ChallengesRepository } from '../challenges/challenges.repository.js';
import type { ChallengeVersion } from '../challenges/challenge-version.entity.js';
import { ChallengesService, type PublishResult } from '../challenges/challenges.service.js';
import { phasesOf } from '../challenges/phases.js';
import { leaderboardOf, queueFor } from '../challenges/spec-parts.js';
import { LeaderboardsRepository } from '../leaderboards/leaderboards.repository.js';
import { finalCandidates } from '../leaderboards/ranking.js';
import { protocolFor } from '../protocols/registry.js';
import { EvaluationQueue } from '../submissions/evaluation-queue.js';
import { type RescoreProgress, RescoresRepository } from './rescores.repository.js';

export const StartRescore = z.strictObject({
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
    private readonly boards: LeaderboardsRepository,
    private readonly audit: AuditService,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  /** Queues every scored submission (or the listed ones) without a score under the version (default: the current one). */
  async start(account: Principal, slug: string, body: unknown): Promise<RescoreProgress> {
    const { challenge } = await this.challenges.asOrganizer(slug, account, 'rescore it');
    const input = parseInput(StartRescore, body);
    const number = input.version ?? challenge.currentVersion;
    const version = await this.versions.findVersion(challenge.id, number);
    if (!version) throw AppError.notFound(`Version ${number} of challenge "${slug}"`);
    const progress = await this.run(challenge.id, version, account.id, input.submissionIds);
    await this.audit.record(account, { action: 'challenge.rescore', challengeId: challenge.id, target: { type: 'rescore_run', id: progress.id }, after: { version: number, submissionIds: input.submissionIds ?? null, total: progress.total } });
    return progress;
  }

  /** The challenge's rescore runs with their progress, newest first. */
  async list(account: Principal, slug: string): Promise<RescoreProgress[]> {
    const { challenge } = await this.challenges.asOrganizer(slug, account, 'see its rescores');
    return Promise.all((await this.rescores.listRuns(challenge.id)).map((r) => this.rescores.progress(r)));
  }

  /**
   * After publishing: when a new version adds rounds, every current final submission
   * (each participant's final picks in each phase, or their best ones, under the previous
   * version) is rescored under it at once, so the board can compare rounds.
   */
  async afterPublish(result: PublishResult): Promise<RescoreProgress | null> {
    if (result.outcome !== 'new_version') return null;
    const { challenge, version } = await this.challenges.get(result.slug);
    const previous = await this.versions.previousVersion(challenge.id, version.version);
    if (!previous) return null;
    const before = new Set((previous.spec.rounds ?? []).map((r) => r.name));
    const added = (version.spec.rounds ?? []).filter((r) => !before.has(r.name)).map((r) => r.name);
    if (added.length === 0) return null;
    const { direction } = protocolFor(previous.spec).ranking(previous.spec);
    const finals: string[] = [];
    for (const phase of phasesOf(previous.spec)) {
      const rows = await this.boards.scoredInPhase(challenge.id, previous.version, phase.name);
      finals.push(...finalCandidates(rows, (r) => r.value, direction, leaderboardOf(previous.spec).finalSubmissions).map((r) => r.submissionId));
    }
    if (finals.length === 0) return null;
    this.logger.info({ challenge: result.slug, version: version.version, rounds: added }, 'new rounds: rescoring the final submissions');
    return this.run(challenge.id, version, null, finals);
  }

  private async run(challengeId: string, version: ChallengeVersion, requestedBy: string | null, submissionIds?: string[]): Promise<RescoreProgress> {
    const queue = queueFor(version.spec);
    const { run, rescores } = await this.rescores.createRun(challengeId, version.version, queue, requestedBy, submissionIds);
    for (const r of rescores) {
      // The rows are the truth: a failed enqueue is picked up by the reconciler.
      await this.queue.enqueue(r.id, queue, 'rescore').catch((err: unknown) => this.logger.warn({ err, rescoreId: r.id }, 'could not enqueue a rescore; the reconciler will'));
    }
    this.logger.info({ challengeId, version: version.version, runId: run.id, total: run.total, by: requestedBy ?? 'sieve' }, 'rescore run started');
    return this.rescores.progress(run);
  }

  async progress(account: Principal, slug: string, id: string): Promise<RescoreProgress> {
    const { challenge } = await this.challenges.asOrganizer(slug, account, 'see its rescores');
    const run = z.uuid().safeParse(id).success ? await this.rescores.findRun(id) : null;
    if (!run || run.challengeId !== challenge.id) throw AppError.notFound(`Rescore run "${id}" of challenge "${slug}"`);
    return this.rescores.progress(run);
  }
}
