import { Inject, Injectable } from '@nestjs/common';
import { extname } from 'node:path';
import { z } from 'zod';
import { parseInput } from '../../core/validation/parse-input.js';
import type { EntityManager } from 'typeorm';
import { AppError } from '../../core/errors/app-error.js';
import { STORAGE, type StoragePort } from '../../core/storage/storage.port.js';
import { phaseAt, phasesOf } from './phases.js';
import { dataFilesOf, protocolFor } from '../protocols/registry.js';
import { WorkersService } from '../workers/workers.service.js';
import { leaderboardOf, queueFor, resourceClass, seedsOf, uncertaintyOf } from './spec-parts.js';
import { canonicalJson, type LoadedBundle } from './challenge-bundle.loader.js';
import { type ChallengeDataKeys, ChallengeVersion } from './challenge-version.entity.js';
import { type ChallengeSpec, ChallengeSpecSchema } from './challenge-bundle.schema.js';
import { Challenge } from './challenge.entity.js';
import { BINARY_TABLE_CONTENT_TYPE, BINARY_TABLE_EXTENSION } from './binary-table.js';
import { type ChallengeWithVersion, ChallengesRepository } from './challenges.repository.js';
import { isAdmin, type Principal } from '../accounts/access.js';
import type { OrganizerRole } from './challenge-organizer.entity.js';
import type { ChallengeParticipant } from './challenge-participant.entity.js';

/** What an organizer may edit in place: both optional, `phases: null` removes the phases (always open). */
export const EditSchedule = z
  // Their shapes are the challenge schema's (checked on the whole spec), which refuses unknown keys, __proto__ included.
  .strictObject({ phases: z.array(z.unknown()).nullable().optional(), limits: z.unknown().optional() })
  .refine((e) => 'phases' in e || e.limits !== undefined, 'send "phases", "limits" or both');

export const JoinSchema = z.strictObject({
  acceptRules: z.literal(true, 'must be true: joining means accepting the challenge\'s rules and licence (GET /api/v1/challenges/:slug shows them)'),
});

/** Where an uploaded bundle's baseline is kept, among the version's data keys (never listed as a data file). */
export const BASELINE_ROLE = 'baseline';

export interface PublishOptions {
  /** Uploaded through the API by this account: a new challenge starts as its draft. */
  owner?: string;
  /** Checks the existing challenge (or its absence: null) under the slug lock, before anything is written. */
  expect?: (challenge: Challenge | null) => void;
  /** The baseline its dry runs submit, kept with the version's data (never served). */
  baseline?: { bytes: Buffer; extension: string };
}

export type PublishOutcome = 'created' | 'new_version' | 'updated' | 'unchanged';

export interface PublishResult {
  slug: string;
  version: number;
  outcome: PublishOutcome;
}

/** A challenge as one caller sees it: whether they organize it (admins do, everywhere) and their participation. */
export interface ChallengeAccess extends ChallengeWithVersion {
  organizer: OrganizerRole | 'admin' | null;
  participant: ChallengeParticipant | null;
}

@Injectable()
export class ChallengesService {
  constructor(
    private readonly challenges: ChallengesRepository,
    @Inject(STORAGE) private readonly storage: StoragePort,
    private readonly workers: WorkersService,
  ) {}

  /**
   * Inserts or updates a challenge from a checked bundle. A change to what decides a score
   * (data, labels, model, metric) needs a higher version; anything else updates in place.
   */
  async publish(bundle: LoadedBundle, opts: PublishOptions = {}): Promise<PublishResult> {
    const { spec } = bundle;
    return this.challenges.withSlugLock(spec.slug, async (em) => {
      const challenge = await em.findOneBy(Challenge, { slug: spec.slug });
      opts.expect?.(challenge);
      const current = challenge ? await em.findOneBy(ChallengeVersion, { challengeId: challenge.id, version: challenge.currentVersion }) : null;
      if (!challenge || !current) {
        // Uploaded through the API, a challenge starts as a draft owned by its uploader.
        const status = opts.owner ? 'draft' : 'open';
        const created =
          challenge ?? (await em.save(em.create(Challenge, { slug: spec.slug, title: spec.title, protocol: spec.protocol, currentVersion: spec.version, status })));
        if (opts.owner) await this.challenges.addOrganizer(created.id, opts.owner, 'owner', em);
        await this.insertVersion(em, created, bundle, opts.baseline);
        return { slug: spec.slug, version: spec.version, outcome: 'created' };
      }
      if (spec.version < current.version) {
        throw AppError.conflict(
          'stale_version',
          `${spec.slug}: challenge.yaml says version ${spec.version}, but version ${current.version} is already published; versions only go up`,
        );
      }
      if (spec.version === current.version) {
        if (bundle.contentHash !== current.contentHash) {
          throw AppError.conflict(
            'version_not_bumped',
            `${spec.slug}: the data, labels, model or metric changed but version is still ${spec.version}. ` +
              `Set "version: ${spec.version + 1}" in challenge.yaml to publish the change (scores record the version they were computed under)`,
          );
        }
        if (canonicalJson(current.spec) === canonicalJson(spec) && challenge.title === spec.title) {
          return { slug: spec.slug, version: spec.version, outcome: 'unchanged' };
        }
        await em.update(ChallengeVersion, { id: current.id }, { spec, dataSummary: bundle.summary });
        await em.update(Challenge, { id: challenge.id }, { title: spec.title });
        return { slug: spec.slug, version: spec.version, outcome: 'updated' };
      }
      await this.insertVersion(em, challenge, bundle, opts.baseline);
      await em.update(Challenge, { id: challenge.id }, { title: spec.title, currentVersion: spec.version });
      return { slug: spec.slug, version: spec.version, outcome: 'new_version' };
    });
  }

  private async insertVersion(em: EntityManager, challenge: Challenge, bundle: LoadedBundle, baseline?: PublishOptions['baseline']): Promise<void> {
    const { spec } = bundle;
    const prefix = `challenges/${spec.slug}/v${spec.version}-${bundle.contentHash.slice(0, 12)}`;
    const dataKeys: ChallengeDataKeys = {};
    for (const { file, bytes } of bundle.files) {
      dataKeys[file.role] = `${prefix}/${file.role}${dataExtension(file.ref)}`;
      await this.storage.put(dataKeys[file.role], bytes);
    }
    if (baseline) {
      dataKeys[BASELINE_ROLE] = `${prefix}/${BASELINE_ROLE}${baseline.extension}`;
      await this.storage.put(dataKeys[BASELINE_ROLE], baseline.bytes);
    }
    await em.insert(ChallengeVersion, {
      challengeId: challenge.id,
      version: spec.version,
      contentHash: bundle.contentHash,
      spec,
      dataKeys,
      dataSummary: bundle.summary,
    });
  }

  /** Every challenge but drafts (which only their organizers see, on their own pages). */
  async list() {
    const rows = (await this.challenges.list()).filter(({ challenge }) => challenge.status !== 'draft');
    return rows.map(({ challenge, version }) => ({
      slug: challenge.slug,
      title: challenge.title,
      summary: version.spec.summary,
      protocol: challenge.protocol,
      status: challenge.status,
      version: version.version,
    }));
  }

  async get(slug: string): Promise<ChallengeWithVersion> {
    const found = await this.challenges.findBySlug(slug);
    if (!found) throw AppError.notFound(`Challenge "${slug}"`);
    return found;
  }

  /**
   * A challenge and the caller's standing in it. A draft is a 404 to anyone who does
   * not organize it, as if it did not exist.
   */
  async access(slug: string, principal: Principal | undefined, version?: number): Promise<ChallengeAccess> {
    const found = await this.challenges.findBySlug(slug, version);
    if (!found) throw AppError.notFound(version === undefined ? `Challenge "${slug}"` : `Version ${version} of challenge "${slug}"`);
    const standing = principal ? await this.challenges.standing(found.challenge.id, principal.id) : { organizer: null, participant: null };
    const organizer = isAdmin(principal) ? 'admin' : standing.organizer;
    if (found.challenge.status === 'draft' && !organizer) throw AppError.notFound(`Challenge "${slug}"`);
    return { ...found, organizer, participant: standing.participant };
  }

  /**
   * Replaces the phases and limits of a challenge's current version in place (they do not
   * decide scores, so the version stays); the whole spec is validated again. Returns both.
   */
  async editSchedule(access: ChallengeAccess, body: unknown): Promise<{ before: object; after: object }> {
    const edit = parseInput(EditSchedule, body);
    const { spec } = access.version;
    const next = ChallengeSpecSchema.safeParse({ ...spec, ...('phases' in edit ? { phases: edit.phases ?? undefined } : {}), ...(edit.limits !== undefined ? { limits: edit.limits } : {}) });
    if (!next.success) {
      const details = next.error.issues.map((i) => ({ field: i.path.join('.'), message: i.message }));
      throw AppError.unprocessable('invalid_schedule', `These phases or limits are not valid: ${details.map((d) => `${d.field}: ${d.message}`).join('; ')}`, details);
    }
    await this.challenges.updateSpec(access.version.id, next.data);
    const pick = (s: ChallengeSpec) => ({ phases: s.phases ?? null, limits: s.limits });
    return { before: pick(spec), after: pick(next.data) };
  }

  /** A team of the challenge, by id. */
  teamIn(challengeId: string, teamId: string) {
    return z.uuid().safeParse(teamId).success ? this.challenges.findTeam(challengeId, teamId) : Promise.resolve(null);
  }

  /**
   * The file a dry run submits: the version's stored baseline (kept when the bundle was
   * uploaded), else the first file under the bundle's baselines/ folder.
   */
  async baselineOf(access: ChallengeAccess): Promise<Buffer> {
    const key = access.version.dataKeys[BASELINE_ROLE];
    if (!key) throw AppError.unprocessable('no_baseline', `Version ${access.version.version} of "${access.challenge.slug}" has no baseline to dry-run: add one under baselines/ in the bundle and upload it again`);
    return this.storage.get(key);
  }

  /** Whether an account organizes a challenge, and its participation there. */
  standingIn(challengeId: string, accountId: string) {
    return this.challenges.standing(challengeId, accountId);
  }

  /** For an organizer's action: 403 for anyone who does not organize the challenge. */
  async asOrganizer(slug: string, principal: Principal, what: string): Promise<ChallengeAccess> {
    const found = await this.access(slug, principal);
    if (!found.organizer) throw AppError.forbidden(`Only the organizers of "${slug}" can ${what}`);
    return found;
  }

  /** For a participant's action: the caller must have joined the challenge (its organizers need not). */
  async asParticipant(slug: string, principal: Principal): Promise<ChallengeAccess> {
    const found = await this.access(slug, principal);
    if (!found.participant && !found.organizer) {
      throw new AppError(
        403,
        'not_joined',
        `Join challenge "${slug}" first, accepting its rules: POST /api/v1/challenges/${slug}/join with {"acceptRules": true} (or \`sieve join ${slug}\`)`,
      );
    }
    return found;
  }

  /**
   * Joins the caller to an open or closed challenge, accepting the rules and licence of
   * its current version (recorded with the time). Joining again changes nothing.
   */
  async join(slug: string, principal: Principal, body: unknown) {
    parseInput(JoinSchema, body);
    const { challenge, version, organizer } = await this.access(slug, principal);
    if (organizer) {
      throw AppError.conflict('organizer_cannot_join', `You ${organizer === 'admin' ? 'administer this server' : 'organize this challenge'}, so you cannot compete in "${slug}"; join with a participant account`);
    }
    if (challenge.status === 'draft') throw AppError.conflict('challenge_draft', `Challenge "${slug}" is a draft; participants can join once its organizers open it`);
    const { participant, created } = await this.challenges.join(challenge.id, principal.id, version.version);
    return { created, body: { challenge: slug, joinedAt: participant.joinedAt, rulesVersion: participant.rulesVersion, teamId: participant.teamId } };
  }

  /** The spec a version was published with (null when that version is gone). */
  async specOf(challengeId: string, version: number): Promise<ChallengeSpec | null> {
    return (await this.challenges.findVersion(challengeId, version))?.spec ?? null;
  }

  async slugOf(challengeId: string): Promise<string> {
    return (await this.challenges.findById(challengeId))?.slug ?? challengeId;
  }

  /** The public part of a challenge: never the test data or anything derived from it. `access`: the caller's, when already read. */
  async describe(slug: string, principal?: Principal, access?: ChallengeAccess) {
    const { challenge, version, organizer, participant } = access ?? (await this.access(slug, principal));
    const { spec, dataSummary } = version;
    const protocol = protocolFor(spec);
    const { seeds, invariant } = seedsOf(spec.model);
    const queue = queueFor(spec);
    const publicFiles = dataFilesOf(spec).filter((f) => !f.hidden && version.dataKeys[f.role]);
    const phase = phaseAt(spec, new Date());
    return {
      slug: challenge.slug,
      title: challenge.title,
      summary: spec.summary,
      protocol: challenge.protocol,
      status: challenge.status,
      version: version.version,
      publishedAt: version.publishedAt,
      rules: spec.rules,
      license: spec.license ?? null,
      /** The caller's standing: null without a token. */
      you: principal ? { organizer, joinedAt: participant?.joinedAt ?? null, teamId: participant?.teamId ?? null } : null,
      labels: 'data' in spec ? spec.data.labels : undefined,
      model: { kind: spec.model.kind, params: spec.model.params, seeds: invariant ? null : seeds, seedInvariant: invariant },
      files: publicFiles.map((f) => ({ role: f.role, url: `/api/v1/challenges/${challenge.slug}/files/${f.role}` })),
      /** waiting: null while a live worker serves the challenge's queue, else e.g. "waiting for a GPU worker". */
      resources: { class: resourceClass(spec), queue, waiting: await this.workers.waitingFor(queue) },
      ...protocol.describe(spec, dataSummary),
      /** Every phase with its dates and limits, and the one taking submissions now (null: none). */
      phases: phasesOf(spec),
      currentPhase: phase.state === 'open' ? phase.phase.name : null,
      limits: { maxFileBytes: spec.limits.maxFileBytes },
      uncertainty: describeUncertainty(spec),
      /** The board: the public share of the test set (null: no split), final picks per participant, the Ladder, display precision. */
      leaderboard: (({ split, finalSubmissions, ladder, precision }) => ({ publicFraction: split?.publicFraction ?? null, finalSubmissions, ladder, precision: precision ?? null }))(leaderboardOf(spec)),
    };
  }

  /**
   * A public data file as stored: the pool, the dev split, a starter set… CSV (inflated
   * on the way out when stored gzip-compressed), or a Sieve binary table as is.
   */
  async publicFile(slug: string, role: string, principal: Principal): Promise<{ stream: NodeJS.ReadableStream; gzip: boolean; filename: string; contentType: string }> {
    const { version } = await this.asParticipant(slug, principal);
    const file = dataFilesOf(version.spec).find((f) => f.role === role && !f.hidden);
    const key = file && version.dataKeys[role];
    if (!key) throw AppError.notFound(`A public file "${role}" of challenge "${slug}"`);
    const stream = await this.storage.getStream(key);
    if (key.endsWith(BINARY_TABLE_EXTENSION)) {
      return { stream, gzip: false, filename: `${slug}-v${version.version}-${role}${BINARY_TABLE_EXTENSION}`, contentType: BINARY_TABLE_CONTENT_TYPE };
    }
    return { stream, gzip: key.endsWith('.gz'), filename: `${slug}-v${version.version}-${role}.csv`, contentType: 'text/csv; charset=utf-8' };
  }
}

function dataExtension(ref: string): string {
  return ref.endsWith('.csv.gz') ? '.csv.gz' : extname(ref);
}

/** How a score's interval is computed, in words and settings (cleaning and multi-task scores have none). */
function describeUncertainty(spec: ChallengeSpec) {
  if (spec.protocol === 'cleaning' || spec.protocol === 'multitask') {
    return { method: null, note: 'This score is not an average over test examples, so it carries no bootstrap interval; the spread over seeds is shown where the model has several.' };
  }
  const { resamples, seed, level } = uncertaintyOf(spec);
  return {
    method: 'percentile bootstrap over test examples',
    resamples,
    seed,
    level,
    note:
      `Each score carries a ${Math.round(level * 100)}% interval: the test examples are resampled with replacement ${resamples} times (seeded, the same draws for every submission and seed), ` +
      `the ranking metric is computed on each resample (the mean over the model's seeds where it has several), and the interval spans the middle ${Math.round(level * 100)}% of those values.`,
    tieGroups:
      'On the board, entries are compared with a paired bootstrap on the same resamples of the same test examples: going down the ranking, an entry joins the group of the entry that leads it ' +
      `unless the leader's ${Math.round(level * 100)}% interval of the difference excludes zero, which starts a new group. Entries of a group share its rank range; the order inside a group is not significant.`,
  };
}
