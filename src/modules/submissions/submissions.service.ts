import { Inject, Injectable } from '@nestjs/common';
import { createHash, randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import type { Logger } from 'pino';
import type { EntityManager } from 'typeorm';
import { z } from 'zod';
import { parseInput } from '../../core/validation/parse-input.js';
import { AppError } from '../../core/errors/app-error.js';
import type { UploadedFile } from '../../core/http/uploaded-file.js';
import { IDEMPOTENCY_HEADER } from '../../core/http/idempotency-key.js';
import { violates } from '../../core/database/unique-violation.js';
import { withDeadline } from '../../core/async/deadline.js';
import { LOGGER } from '../../core/logger/logger.js';
import { STORAGE, type StoragePort } from '../../core/storage/storage.port.js';
import { isAdmin, type Principal } from '../accounts/access.js';
import { ChallengeDataService } from '../challenges/challenge-data.service.js';
import { type ChallengeAccess, ChallengesService } from '../challenges/challenges.service.js';
import type { ChallengeSpec } from '../challenges/challenge-bundle.schema.js';
import { type ActivePhase, checkLimits, closedMessage, phaseAt, phasesOf } from '../challenges/phases.js';
import { leaderboardOf, queueFor } from '../challenges/spec-parts.js';
import type { QueueName } from '../../core/queue/jobs.js';
import { protocolFor } from '../protocols/registry.js';
import { beforeClose, revealed, revealsAt } from '../leaderboards/visibility.js';
import { WorkersService } from '../workers/workers.service.js';
import { EvaluationQueue } from './evaluation-queue.js';
import type { Submission } from './submission.entity.js';
import { type Competitor, SubmissionsRepository } from './submissions.repository.js';
import { DisqualificationsRepository } from './disqualifications.repository.js';
import { SubmissionEventsService } from './submission-events.service.js';
import { WebhooksRepository } from '../webhooks/webhooks.repository.js';
import { isTerminal, type SubmissionStatus } from './submission-status.js';
import { concatMap, interval, map, merge, mergeMap, type Observable, of, takeUntil, takeWhile } from 'rxjs';

export const FinalPicks = z.strictObject({ submissionIds: z.array(z.uuid('must be a submission id')).max(20).refine((ids) => new Set(ids).size === ids.length, 'lists a submission twice') });

/** Refusals at intake that still count as a submission (each one tells something about the hidden data). */
const COUNTED_REFUSALS = new Set(['test_contamination']);

/** How long intake waits for the queue before answering all the same (the submission is safe in PostgreSQL). */
const ENQUEUE_DEADLINE_MS = 2000;

/** How often a live status stream reads the submission again, whatever it was told. */
const STREAM_POLL_MS = 3000;

/** One server-sent event: `status` (the submission as GET /submissions/:id shows it) or `progress`. */
export interface StreamEvent {
  type: 'status' | 'progress';
  data: object;
}

/** An accepted upload: `replayed` when it repeats the answer to an earlier request with the same Idempotency-Key. */
export interface Accepted {
  id: string;
  status: 'queued';
  replayed?: true;
}

/** The unique index that makes one submission per account and Idempotency-Key. */
const IDEMPOTENCY_INDEX = 'submissions_idempotency_key_idx';

/** The phase recorded on dry runs (boards and limits tell them apart by their dry_run flag, not by this name). */
export const DRY_RUN_PHASE = 'dry-run';

@Injectable()
export class SubmissionsService {
  constructor(
    private readonly submissions: SubmissionsRepository,
    private readonly challenges: ChallengesService,
    private readonly data: ChallengeDataService,
    private readonly queue: EvaluationQueue,
    private readonly workers: WorkersService,
    private readonly disqualifications: DisqualificationsRepository,
    private readonly events: SubmissionEventsService,
    private readonly webhooks: WebhooksRepository,
    @Inject(STORAGE) private readonly storage: StoragePort,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  /**
   * Validates the whole file first; only a valid file is stored, recorded and queued.
   * A rejected file leaves nothing behind.
   */
  async submit(account: Principal, slug: string, file: UploadedFile | undefined, idempotencyKey?: string): Promise<Accepted> {
    const access = await this.challenges.asParticipant(slug, account);
    const { challenge, version } = access;
    if (!access.participant) {
      throw new AppError(403, 'not_joined', `Organizers do not compete in their own challenge; join "${slug}" as a participant with another account, or check the challenge with its dry run`);
    }
    // A retry of an upload that already made a submission gets the first answer, whatever has changed since (limits, phase).
    if (idempotencyKey !== undefined) {
      const first = await this.submissions.findByIdempotencyKey(account.id, idempotencyKey);
      if (first) return this.replay(first, slug, challenge.id, file);
    }
    if (challenge.status !== 'open') throw AppError.conflict('challenge_closed', `Challenge "${slug}" is not accepting submissions`);
    const competitor = competitorOf(access.participant);
    const disqualified = await this.disqualifications.find(challenge.id, competitor.id);
    if (disqualified) {
      throw new AppError(403, 'disqualified', `${competitor.kind === 'team' ? 'Your team was' : 'You were'} disqualified from "${slug}" on ${disqualified.disqualifiedAt.toISOString()}: ${disqualified.reason}`);
    }
    const { spec } = version;
    const phase = this.openPhase(slug, spec);
    await this.checkLimits(challenge.id, competitor, phase);
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
    // A copy of hidden test data is refused like any invalid file, but recorded as a failed
    // submission that counts against the limits: probing the test set costs submissions.
    let counted: AppError | null = null;
    let itemCount = 0;
    try {
      itemCount = protocol.itemCount(await protocol.validate(bytes, spec, this.data.files(version)));
    } catch (e) {
      if (!(e instanceof AppError && COUNTED_REFUSALS.has(e.code))) throw e;
      counted = e;
    }

    const { id, fileKey } = await this.store(challenge.id, bytes, createReadStream(file.path));
    try {
      const twin = await this.submissions.withSubmitLock(challenge.id, [competitor.id], async (em) => {
        // The same upload sent twice at once: the first one through the lock made the submission.
        if (idempotencyKey !== undefined) {
          const first = await this.submissions.findByIdempotencyKey(account.id, idempotencyKey, em);
          if (first) return first;
        }
        // Again under the lock: another upload may have taken the last slot while this one was validated.
        await this.checkLimits(challenge.id, competitor, phase, em);
        await this.submissions.insert(
          {
            id,
            challengeId: challenge.id,
            challengeVersion: version.version,
            accountId: account.id,
            teamId: competitor.kind === 'team' ? competitor.id : null,
            dryRun: false,
            status: 'queued',
            queue: queueFor(spec),
            phase: phase.name,
            fileKey,
            fileBytes: file.size,
            fileSha256: file.sha256,
            itemCount,
            idempotencyKey: idempotencyKey ?? null,
          },
          em,
        );
        return null;
      });
      if (twin) {
        await this.storage.delete(fileKey).catch(() => undefined);
        return this.replay(twin, slug, challenge.id, file);
      }
    } catch (e) {
      await this.storage.delete(fileKey).catch(() => undefined);
      // A twin that got past the lock's check all the same (the unique index has the last word): answer as it did.
      if (idempotencyKey !== undefined && violates(e, IDEMPOTENCY_INDEX)) {
        const first = await this.submissions.findByIdempotencyKey(account.id, idempotencyKey);
        if (first) return this.replay(first, slug, challenge.id, file);
      }
      throw e;
    }
    const log = { challenge: slug, submissionId: id };
    if (counted) {
      await this.submissions.markFailed(id, 'invalid_submission', counted.message, counted.details);
      this.logger.warn({ ...log, code: counted.code }, 'submission refused and counted');
      throw counted;
    }
    await this.enqueue(id, queueFor(spec), log);
    this.logger.info({ ...log, items: itemCount }, 'submission accepted');
    return { id, status: 'queued' };
  }

  /**
   * An organizer's dry run of a challenge version: its baseline, validated and scored like
   * any submission, but never on a board and never counted. A draft opens once one scored.
   */
  async dryRun(access: ChallengeAccess, principal: Principal, bytes: Buffer): Promise<{ id: string; status: 'queued' }> {
    const { challenge, version } = access;
    const { spec } = version;
    const protocol = protocolFor(spec);
    const itemCount = protocol.itemCount(await protocol.validate(bytes, spec, this.data.files(version)));
    const { id, fileKey } = await this.store(challenge.id, bytes, bytes);
    const row = {
      id,
      challengeId: challenge.id,
      challengeVersion: version.version,
      accountId: principal.id,
      teamId: null,
      dryRun: true,
      status: 'queued' as const,
      queue: queueFor(spec),
      phase: DRY_RUN_PHASE,
      fileKey,
      fileBytes: bytes.length,
      fileSha256: createHash('sha256').update(bytes).digest('hex'),
      itemCount,
    };
    await this.submissions.insert(row).catch(async (e: unknown) => {
      await this.storage.delete(fileKey).catch(() => undefined);
      throw e;
    });
    const log = { challenge: challenge.slug, submissionId: id };
    await this.enqueue(id, queueFor(spec), log);
    this.logger.info({ ...log, version: version.version }, 'dry run queued');
    return { id, status: 'queued' };
  }

  /** Stores a validated file under a new submission id (the key is generated, never the client's name). */
  private async store(challengeId: string, bytes: Buffer, body: Buffer | NodeJS.ReadableStream): Promise<{ id: string; fileKey: string }> {
    const id = randomUUID();
    const kind = fileKind(bytes);
    const fileKey = `submissions/${challengeId}/${id}${kind.extension}`;
    await this.storage.put(fileKey, body, { contentType: kind.contentType });
    return { id, fileKey };
  }

  /** Queues the evaluation; the row is the truth, so when the queue is down the reconciler enqueues it later. */
  /**
   * Queues the evaluation of a submission already stored in PostgreSQL. The queue being
   * down does not lose it: after ENQUEUE_DEADLINE_MS the answer goes out anyway and the
   * workers' reconciler queues it once the queue is back.
   */
  private async enqueue(id: string, queue: QueueName, log: object): Promise<void> {
    await withDeadline(this.queue.enqueue(id, queue), ENQUEUE_DEADLINE_MS, 'the queue did not answer').catch((err: unknown) =>
      this.logger.warn({ ...log, err }, 'could not enqueue; the reconciler will queue it'),
    );
  }

  /** The phase taking submissions now; 409 with the phase dates when none is. */
  private openPhase(slug: string, spec: ChallengeSpec): ActivePhase {
    const state = phaseAt(spec, new Date());
    if (state.state === 'open') return state.phase;
    const phases = phasesOf(spec).map((p) => ({ field: `phases.${p.name}`, message: `opens ${p.opens ?? 'always'}, closes ${p.closes ?? 'never'}` }));
    throw AppError.conflict('phase_closed', closedMessage(slug, state)!, phases);
  }

  /** 429 when one more submission would go over a limit of the phase, saying which and when the next is allowed. */
  private async checkLimits(challengeId: string, competitor: Competitor, phase: ActivePhase, em?: EntityManager): Promise<void> {
    const now = new Date();
    const refusal = checkLimits(phase, await this.submissions.limitUsage(challengeId, competitor, phase.name, now, em), now);
    if (!refusal) return;
    throw new AppError(429, 'limit_reached', refusal.message, [
      { field: `limits.${refusal.limit}`, message: refusal.retryAt ? `next allowed at ${refusal.retryAt.toISOString()}` : refusal.limit === 'total' ? 'none left in this phase' : 'when one of your queued or running submissions finishes' },
    ]);
  }

  /** A submission as its author, their team, the challenge's organizers and admins see it. Anyone else gets a 404. */
  async get(account: Principal, id: string) {
    const { submission } = await this.visible(account, id);
    return this.view(submission, await this.workers.waiting());
  }

  /**
   * A submission's live status as server-sent events, for whoever may see it: first its
   * current state (`status`), then each `progress` report of its evaluation and each
   * `status` change, until it is scored or failed. The status is read again on every
   * change and every few seconds (an announcement may be lost: a worker that died, a
   * dropped connection), and always through the view, so nothing hidden goes out.
   */
  async stream(account: Principal, id: string): Promise<Observable<StreamEvent>> {
    const { submission } = await this.visible(account, id);
    const live = await this.events.watch(submission.id);
    let last: string | null = null;
    let done = false;
    const read = async (): Promise<StreamEvent[]> => {
      const current = await this.submissions.findById(submission.id);
      if (!current) return [];
      const key = `${current.status}:${current.attempts}`;
      if (key === last) return [];
      last = key;
      done = isTerminal(current.status);
      return [{ type: 'status', data: await this.view(current, await this.workers.waiting()) }];
    };
    return merge(of('read' as const), live, interval(STREAM_POLL_MS).pipe(map(() => 'read' as const))).pipe(
      concatMap(async (item): Promise<StreamEvent[]> => {
        if (done) return [];
        if (item === 'read' || item.type === 'status') return read();
        return [{ type: 'progress', data: { stage: item.stage, step: item.step, steps: item.steps, seed: item.seed, percent: item.percent } }];
      }),
      mergeMap((events) => events),
      takeWhile((event) => !(event.type === 'status' && isTerminal((event.data as { status: SubmissionStatus }).status)), true),
      // A stopping server ends its streams (clients reconnect to another instance, or poll).
      takeUntil(this.events.stopping$),
    );
  }

  /**
   * Stops a queued or running submission of one's own: it fails with code `cancelled`
   * and never counts against a limit. A worker still training it finds it finished and
   * writes no score.
   */
  async cancel(account: Principal, id: string) {
    const { submission, as } = await this.visible(account, id);
    if (as === 'organizer') throw AppError.forbidden(`Only the author of submission "${id}" or their team can cancel it; organizers disqualify submissions instead`);
    if (!(await this.submissions.markFailed(submission.id, 'cancelled', 'Cancelled by its owner; it does not count against your limits'))) {
      throw AppError.conflict('already_finished', `Submission "${id}" has already finished (${submission.status}); only a queued or running one can be cancelled`);
    }
    this.logger.info({ submissionId: id, accountId: account.id }, 'submission cancelled');
    await this.submissions.announce({ type: 'status', submissionId: submission.id, status: 'failed' });
    await this.webhooks.emitSubmission('submission.failed', submission.id);
    return this.view((await this.submissions.findById(submission.id))!, await this.workers.waiting());
  }

  /**
   * A participant picks up to `leaderboard.finalSubmissions` scored submissions of one
   * phase for its private ranking, while that phase is open (an empty list drops the
   * picks: then their best public ones count). Returns the picks.
   */
  async pickFinal(account: Principal, slug: string, body: unknown) {
    const { submissionIds } = parseInput(FinalPicks, body);
    const access = await this.challenges.asParticipant(slug, account);
    const { challenge, version } = access;
    if (!access.participant) throw new AppError(403, 'not_joined', `Only participants of "${slug}" pick final submissions`);
    const competitor = competitorOf(access.participant);
    const { spec } = version;
    const limit = leaderboardOf(spec).finalSubmissions;
    if (submissionIds.length > limit) {
      throw AppError.unprocessable('too_many_final', `Challenge "${slug}" ranks at most ${limit} final submissions per participant; you picked ${submissionIds.length}`);
    }
    const picked = await Promise.all(submissionIds.map(async (id) => (await this.visible(account, id)).submission));
    const ours = (s: Submission) => (competitor.kind === 'team' ? s.teamId === competitor.id : s.accountId === account.id && s.teamId === null);
    const problems = picked.flatMap((s) =>
      !ours(s)
        ? [{ field: s.id, message: competitor.kind === 'team' ? "is not your team's" : 'is not yours' }]
        : s.disqualifiedAt
          ? [{ field: s.id, message: `was disqualified: ${s.disqualifiedReason}` }]
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
    await this.submissions.setFinal(challenge.id, competitor, phase, submissionIds);
    this.logger.info({ challenge: slug, accountId: account.id, phase, picks: submissionIds.length }, 'final submissions picked');
    return { challenge: slug, phase, limit, submissionIds };
  }

  /**
   * A submission and why the caller may see it: they made it, their team did, they
   * organize its challenge, or they are an admin. Anyone else gets the 404 a missing
   * submission gets, so ids cannot be probed.
   */
  async visible(account: Principal, id: string): Promise<{ submission: Submission; as: 'author' | 'team' | 'organizer' | 'admin' }> {
    const submission = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(id) ? await this.submissions.findById(id) : null;
    if (submission) {
      if (submission.accountId === account.id) return { submission, as: 'author' };
      const standing = await this.challenges.standingIn(submission.challengeId, account.id);
      if (submission.teamId && standing.participant?.teamId === submission.teamId) return { submission, as: 'team' };
      if (standing.organizer) return { submission, as: 'organizer' };
      if (isAdmin(account)) return { submission, as: 'admin' };
    }
    throw AppError.notFound(`Submission "${id}"`);
  }

  /**
   * The answer to an upload whose Idempotency-Key made a submission already: the same
   * answer as the first time (202 with its id, or the refusal that was counted), for the
   * same file to the same challenge only; the key is not reusable for another upload.
   */
  private replay(first: Submission, slug: string, challengeId: string, file: UploadedFile | undefined): Accepted {
    if (first.challengeId !== challengeId || first.fileSha256 !== file?.sha256) {
      throw AppError.unprocessable(
        'idempotency_key_reused',
        `This ${IDEMPOTENCY_HEADER} was first sent with another upload (submission ${first.id}${first.challengeId === challengeId ? '' : ', to another challenge'}, a file with SHA-256 ${first.fileSha256}); send a new key for a new upload`,
        [{ field: IDEMPOTENCY_HEADER, message: 'already used for another upload' }],
      );
    }
    if (first.status === 'failed' && first.errorCode === 'invalid_submission' && first.attempts === 0) {
      throw AppError.unprocessable('invalid_submission', first.errorMessage ?? `Submission ${first.id} to "${slug}" was refused`, first.errorDetails ?? []);
    }
    return { id: first.id, status: 'queued', replayed: true };
  }

  /**
   * The organizers' baseline as everyone may see it: the newest dry run of the version when
   * it scored, shown like any submission (the public part while a split is hidden).
   */
  async baseline(challengeId: string, version: number) {
    const dryRun = await this.submissions.latestDryRun(challengeId, version);
    return dryRun?.status === 'scored' ? this.view(dryRun, await this.workers.waiting()) : null;
  }

  async listMine(account: Principal, slug: string) {
    const access = await this.challenges.asParticipant(slug, account);
    const { challenge } = access;
    const competitor: Competitor = access.participant ? competitorOf(access.participant) : { kind: 'participant', id: account.id };
    const rows = await this.submissions.listForCompetitor(challenge.id, competitor, 100);
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
      dryRun: s.dryRun,
      disqualified: s.disqualifiedAt ? { at: s.disqualifiedAt, reason: s.disqualifiedReason } : null,
      error: s.errorCode ? { code: s.errorCode, message: s.errorMessage, details: s.errorDetails ?? [] } : null,
      createdAt: s.createdAt,
      startedAt: s.startedAt,
      finishedAt: s.finishedAt,
    };
  }
}

export const MY_SUBMISSION_COLUMNS = ['id', 'status', 'phase', 'challengeVersion', 'metric', 'score', 'items', 'final', 'errorCode', 'disqualified', 'createdAt', 'finishedAt'] as const;

/** A submission as a participant sees it, flattened for a CSV export. */
export function exportRowOf(view: Awaited<ReturnType<SubmissionsService['get']>>): Record<(typeof MY_SUBMISSION_COLUMNS)[number], unknown> {
  return {
    id: view.id,
    status: view.status,
    phase: view.phase,
    challengeVersion: view.challengeVersion,
    metric: view.metric,
    score: view.score,
    items: view.items,
    final: view.final,
    errorCode: view.error?.code ?? null,
    disqualified: view.disqualified?.reason ?? null,
    createdAt: view.createdAt,
    finishedAt: view.finishedAt,
  };
}

/** The team a participant competes in, or the participant alone. */
export function competitorOf(participant: { accountId: string; teamId: string | null }): Competitor {
  return participant.teamId ? { kind: 'team', id: participant.teamId } : { kind: 'participant', id: participant.accountId };
}

/** How a validated submission file is stored: a zip, gzip-compressed CSV or CSV. */
function fileKind(bytes: Buffer): { extension: string; contentType: string } {
  if (bytes[0] === 0x50 && bytes[1] === 0x4b) return { extension: '.zip', contentType: 'application/zip' };
  if (bytes[0] === 0x1f && bytes[1] === 0x8b) return { extension: '.csv.gz', contentType: 'application/gzip' };
  return { extension: '.csv', contentType: 'text/csv' };
}
